package embeddings

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"policybot/segment"
)

// A corpus model file, little-endian (format version 1):
//
//	magic "PBCE", uint32 format version, uint32 dims, uint32 terms n
//	n × (uint16 byte length, UTF-8 term), sorted
//	n × float32 SIF weight
//	n × float32 scale, then n × dims int8: term vector = scale × int8
//	dims × float32 common direction (all zero: none)
//
// A 40,000-term model of 256 dimensions is about 10.6 MB. The model's
// identity, part of the embedder's Name, is the SHA-256 of the file.
const (
	modelMagic   = "PBCE"
	modelVersion = 1
	maxModelDims = 2000
	maxTerms     = 1 << 21
)

//go:embed model/default.pbce
var defaultModel []byte

// Model is a learned corpus model: a vector and a weight per term.
type Model struct {
	Dims    int
	Vocab   []string  // sorted
	Weights []float32 // SIF weight per term
	Vectors []float32 // len(Vocab) × Dims, row-major
	Common  []float32 // the direction removed from every text vector (nil: none)
	lookup  map[string]int32
}

func (m *Model) index() {
	m.lookup = make(map[string]int32, len(m.Vocab))
	for i, w := range m.Vocab {
		m.lookup[w] = int32(i)
	}
}

// quantize rounds the vectors to what the file keeps (int8 with a scale per
// term), so a model trained here and one read back embed alike.
func (m *Model) quantize() {
	for i := range m.Vocab {
		row := m.Vectors[i*m.Dims : (i+1)*m.Dims]
		scale := rowScale(row)
		for d, x := range row {
			row[d] = scale * float32(quantum(x, scale))
		}
	}
}

func rowScale(row []float32) float32 {
	var peak float32
	for _, x := range row {
		peak = max(peak, float32(math.Abs(float64(x))))
	}
	if peak == 0 {
		return 1
	}
	return peak / 127
}

func quantum(x, scale float32) int8 {
	return int8(max(-127, min(127, math.Round(float64(x/scale)))))
}

// Vector returns term's vector, nil when the model does not know it.
func (m *Model) Vector(term string) []float32 {
	i, ok := m.lookup[term]
	if !ok {
		return nil
	}
	return m.Vectors[int(i)*m.Dims : int(i+1)*m.Dims]
}

// mean is the SIF-weighted mean of the terms' vectors, nil when none is known.
func (m *Model) mean(terms []string) []float32 {
	var v []float32
	for _, t := range terms {
		i, ok := m.lookup[t]
		if !ok {
			continue
		}
		if v == nil {
			v = make([]float32, m.Dims)
		}
		w := m.Weights[i]
		for d, x := range m.Vectors[int(i)*m.Dims : int(i+1)*m.Dims] {
			v[d] += w * x
		}
	}
	if v != nil {
		n := float32(len(terms))
		for d := range v {
			v[d] /= n
		}
	}
	return v
}

// WriteTo writes the model in the file format above.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	put := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	put(uint32(modelVersion))
	put(uint32(m.Dims))
	put(uint32(len(m.Vocab)))
	for _, t := range m.Vocab {
		put(uint16(len(t)))
		b.WriteString(t)
	}
	put(m.Weights)
	q := make([]int8, len(m.Vectors))
	scales := make([]float32, len(m.Vocab))
	for i := range m.Vocab {
		row := m.Vectors[i*m.Dims : (i+1)*m.Dims]
		scales[i] = rowScale(row)
		for d, x := range row {
			q[i*m.Dims+d] = quantum(x, scales[i])
		}
	}
	put(scales)
	put(q)
	common := m.Common
	if common == nil {
		common = make([]float32, m.Dims)
	}
	put(common)
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// ReadModel reads a model file; a file of another format or version, or
// cut short, is an error naming what is wrong.
func ReadModel(r io.Reader) (*Model, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 4)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("embeddings: not a corpus model file (no PBCE header)")
	}
	var head [3]uint32
	if err := binary.Read(br, binary.LittleEndian, &head); err != nil {
		return nil, fmt.Errorf("embeddings: model header: %w", err)
	}
	if head[0] != modelVersion {
		return nil, fmt.Errorf("embeddings: model format version %d, this build reads %d: train the model again", head[0], modelVersion)
	}
	dims, n := int(head[1]), int(head[2])
	if dims < 1 || dims > maxModelDims || n < 1 || n > maxTerms {
		return nil, fmt.Errorf("embeddings: model of %d dimensions and %d terms is out of bounds", dims, n)
	}
	m := &Model{Dims: dims, Vocab: make([]string, n), Weights: make([]float32, n)}
	for i := range n {
		var l uint16
		if err := binary.Read(br, binary.LittleEndian, &l); err != nil {
			return nil, fmt.Errorf("embeddings: model terms: %w", err)
		}
		t := make([]byte, l)
		if _, err := io.ReadFull(br, t); err != nil {
			return nil, fmt.Errorf("embeddings: model terms: %w", err)
		}
		m.Vocab[i] = string(t)
	}
	if !slices.IsSorted(m.Vocab) {
		return nil, errors.New("embeddings: model terms are not sorted")
	}
	scales := make([]float32, n)
	q := make([]int8, n*dims)
	m.Common = make([]float32, dims)
	for _, part := range []any{m.Weights, scales, q, m.Common} {
		if err := binary.Read(br, binary.LittleEndian, part); err != nil {
			return nil, fmt.Errorf("embeddings: model cut short: %w", err)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("embeddings: model file has trailing bytes")
	}
	m.Vectors = make([]float32, n*dims)
	for i := range n {
		for d := range dims {
			m.Vectors[i*dims+d] = scales[i] * float32(q[i*dims+d])
		}
	}
	m.index()
	return m, nil
}

// Corpus embeds texts with a learned corpus model (see Train): the
// SIF-weighted mean of the text's term vectors, the corpus's common
// direction removed, unit length. Offline and deterministic like Local,
// but its dimensions carry meaning learned from co-occurrence: 贷款 lies
// near 信贷 and 融资, far from 专利.
type Corpus struct {
	model *Model
	name  string
	lex   *segment.Lexicon
}

var _ Embedder = (*Corpus)(nil)

// NewCorpus returns the embedder of a model; its name carries the model's hash.
func NewCorpus(m *Model) (*Corpus, error) {
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b.Bytes())
	if m.lookup == nil {
		m.index()
	}
	return &Corpus{model: m, name: fmt.Sprintf("corpus-v%d-%d-%s", modelVersion, m.Dims, hex.EncodeToString(sum[:6])), lex: segment.Default()}, nil
}

// LoadCorpus reads a model file and returns its embedder.
func LoadCorpus(path string) (*Corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("embeddings: model file: %w", err)
	}
	defer f.Close()
	m, err := ReadModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return NewCorpus(m)
}

// Model returns the embedder's model.
func (c *Corpus) Model() *Model { return c.model }

// Dimensions returns the vector length.
func (c *Corpus) Dimensions() int { return c.model.Dims }

// Name identifies the format, dimensions and model, e.g. "corpus-v1-256-3fa1c2d4e5b6".
func (c *Corpus) Name() string { return c.name }

// Embed embeds each text; a text with no known term gets the zero vector.
func (c *Corpus) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i] = c.embed(t)
	}
	return out, nil
}

func (c *Corpus) embed(text string) []float32 {
	m := c.model
	v := m.mean(c.lex.Terms(text))
	if v == nil {
		return make([]float32, m.Dims)
	}
	var dot float32
	for d, x := range m.Common {
		dot += x * v[d]
	}
	var norm float64
	for d := range v {
		if m.Common != nil {
			v[d] -= dot * m.Common[d]
		}
		norm += float64(v[d]) * float64(v[d])
	}
	if norm = math.Sqrt(norm); norm > 0 {
		for d := range v {
			v[d] = float32(float64(v[d]) / norm)
		}
	}
	return v
}

// DefaultCorpus returns the embedder of the model built into the binary
// (see model/README.md for what it was trained on).
func DefaultCorpus() (*Corpus, error) {
	m, err := ReadModel(bytes.NewReader(defaultModel))
	if err != nil {
		return nil, fmt.Errorf("built-in corpus model: %w", err)
	}
	return NewCorpus(m)
}
