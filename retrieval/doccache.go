package retrieval

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"policybot/segment"
)

// DocCache keeps documents as the ingester prepared them — parsed, indexed
// and embedded — by the bytes they were read from, so that loading an
// unchanged corpus again (every start of the embedded default) reads them
// back instead of parsing, segmenting and embedding them anew. A miss, a
// damaged entry or an entry of another parser, index, lexicon or model
// version is just a miss: the key covers all of them.
type DocCache interface {
	// Load returns the document cached under key, with every clause's
	// embedding set, or false.
	Load(key string) (DocumentVersion, bool)
	// Save caches dv under key; a failure costs only the next load's time.
	Save(key string, dv DocumentVersion) error
}

// docCacheKey is the cache key of a source whose ContentHash is hash, for
// embedder model: the parser and index versions are in hash, the lexicon
// and the model beside it.
func docCacheKey(hash, model string) string {
	sum := sha256.Sum256([]byte(hash + "\n" + model + "\n" + segment.Fingerprint()))
	return hex.EncodeToString(sum[:])
}

// FileCache is a DocCache in a folder: one file a document, named by its
// key (under a folder of the key's first two characters). Files are written
// to a temporary name and renamed, so a reader never sees half a file and
// two processes writing the same entry write the same bytes. Entries no
// corpus uses any more stay until the folder is removed, which is always
// safe.
type FileCache struct{ dir string }

// NewFileCache returns a cache in dir (created when first written).
func NewFileCache(dir string) *FileCache { return &FileCache{dir: dir} }

func (c *FileCache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".doc")
}

// Load reads the entry of key.
func (c *FileCache) Load(key string) (DocumentVersion, bool) {
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return DocumentVersion{}, false
	}
	dv, err := decodeDoc(data)
	if err != nil {
		return DocumentVersion{}, false
	}
	return dv, true
}

// Save writes the entry of key.
func (c *FileCache) Save(key string, dv DocumentVersion) error {
	data, err := encodeDoc(dv)
	if err != nil {
		return fmt.Errorf("doc cache: %w", err)
	}
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("doc cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("doc cache: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("doc cache: %w", err)
	}
	return nil
}

// The entry format, version 1:
//
//	"policybot-doc 1\n"
//	uvarint n, n bytes: JSON {"document": StoredDocument, "clauses": [IndexedClause without Terms, Context, Embedding]}
//	uvarint d, then d terms (uvarint length, bytes): the document's distinct terms
//	for each clause: uvarint k, k term numbers (Terms); uvarint k, k term numbers (Context);
//	  uvarint dims, uvarint nz, nz × (uvarint index delta, float32 bits little-endian)
//	sha256 of everything before it
//
// Embeddings are written as their non-zero entries: the local embedder's
// vectors have about 90 of 1,024.
const docMagic = "policybot-doc 1\n"

type docHeader struct {
	Document StoredDocument  `json:"document"`
	Clauses  []IndexedClause `json:"clauses"`
}

func encodeDoc(dv DocumentVersion) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(docMagic)
	h := docHeader{Document: dv.Document, Clauses: make([]IndexedClause, len(dv.Clauses))}
	for i, c := range dv.Clauses {
		c.Terms, c.Context, c.Embedding = nil, nil, nil
		h.Clauses[i] = c
	}
	meta, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	putUvarint(&b, uint64(len(meta)))
	b.Write(meta)
	ids := map[string]uint64{}
	var terms []string
	for _, c := range dv.Clauses {
		for _, l := range [][]string{c.Terms, c.Context} {
			for _, t := range l {
				if _, ok := ids[t]; !ok {
					ids[t] = uint64(len(terms))
					terms = append(terms, t)
				}
			}
		}
	}
	putUvarint(&b, uint64(len(terms)))
	for _, t := range terms {
		putUvarint(&b, uint64(len(t)))
		b.WriteString(t)
	}
	var f4 [4]byte
	for _, c := range dv.Clauses {
		if c.Embedding == nil {
			return nil, errors.New("clause without embedding")
		}
		for _, l := range [][]string{c.Terms, c.Context} {
			putUvarint(&b, uint64(len(l)))
			for _, t := range l {
				putUvarint(&b, ids[t])
			}
		}
		putUvarint(&b, uint64(len(c.Embedding)))
		putUvarint(&b, uint64(nonZero(c.Embedding)))
		last := 0
		for i, x := range c.Embedding {
			if x == 0 {
				continue
			}
			putUvarint(&b, uint64(i-last))
			last = i
			binary.LittleEndian.PutUint32(f4[:], math.Float32bits(x))
			b.Write(f4[:])
		}
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

func putUvarint(b *bytes.Buffer, x uint64) {
	var buf [binary.MaxVarintLen64]byte
	b.Write(buf[:binary.PutUvarint(buf[:], x)])
}

var errBadEntry = errors.New("doc cache: damaged entry")

func decodeDoc(data []byte) (DocumentVersion, error) {
	if len(data) < len(docMagic)+sha256.Size || string(data[:len(docMagic)]) != docMagic {
		return DocumentVersion{}, errBadEntry
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		return DocumentVersion{}, errBadEntry
	}
	r := bufio.NewReader(bytes.NewReader(body[len(docMagic):]))
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(body)) {
		return DocumentVersion{}, errBadEntry
	}
	meta := make([]byte, n)
	if _, err := io.ReadFull(r, meta); err != nil {
		return DocumentVersion{}, errBadEntry
	}
	var h docHeader
	if err := json.Unmarshal(meta, &h); err != nil {
		return DocumentVersion{}, errBadEntry
	}
	uv := func() int {
		x, e := binary.ReadUvarint(r)
		if e != nil || x > uint64(len(body)) {
			err = errBadEntry
			return 0
		}
		return int(x)
	}
	terms := make([]string, uv())
	for i := range terms {
		buf := make([]byte, uv())
		if err != nil {
			return DocumentVersion{}, err
		}
		if _, e := io.ReadFull(r, buf); e != nil {
			return DocumentVersion{}, errBadEntry
		}
		terms[i] = string(buf)
	}
	list := func() []string {
		k := uv()
		if k == 0 || err != nil {
			return nil
		}
		out := make([]string, k)
		for i := range out {
			j := uv()
			if j >= len(terms) {
				err = errBadEntry
				return nil
			}
			out[i] = terms[j]
		}
		return out
	}
	var f4 [4]byte
	for i := range h.Clauses {
		c := &h.Clauses[i]
		c.Terms, c.Context = list(), list()
		dims, nz := uv(), uv()
		if err != nil || nz > dims {
			return DocumentVersion{}, errBadEntry
		}
		c.Embedding = make([]float32, dims)
		at := 0
		for range nz {
			at += uv()
			if _, e := io.ReadFull(r, f4[:]); e != nil || at >= dims {
				return DocumentVersion{}, errBadEntry
			}
			c.Embedding[at] = math.Float32frombits(binary.LittleEndian.Uint32(f4[:]))
		}
		if err != nil {
			return DocumentVersion{}, err
		}
	}
	return DocumentVersion{Document: h.Document, Clauses: h.Clauses}, nil
}
