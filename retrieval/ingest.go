package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"policybot/embeddings"
	"policybot/policy"
	"policybot/segment"
)

// Ingester loads policy documents into a Store: it parses each source,
// skips documents whose bytes did not change, embeds only clauses whose
// text has no cached embedding for the model, and replaces each document in
// one call, so readers never see half a document.
type Ingester struct {
	Store    Store
	Embedder embeddings.Embedder
	// Reembed re-embeds every clause, stored documents not among the sources
	// included, and records the embedder as the store's model. It is the way
	// out of ErrModelMismatch.
	Reembed bool
	// Prune removes stored documents that came from an ingested folder (or
	// fs.FS root) but are no longer in it.
	Prune bool
	// BatchSize is how many texts go to the embedder at once (default 64).
	BatchSize int
}

// Report counts what an ingestion did.
type Report struct {
	Documents int     // documents now in the store from these sources (changed or not)
	Clauses   int     // their clauses
	Embedded  int     // clause texts sent to the embedder
	Unchanged int     // documents skipped because their content hash is unchanged
	Removed   int     // documents pruned
	Failed    []error // documents skipped because they could not be read or parsed
}

// String summarises the report, e.g. "78 documents, 2900 clauses, 0 embedded".
func (r Report) String() string {
	s := fmt.Sprintf("%d documents, %d clauses, %d embedded", r.Documents, r.Clauses, r.Embedded)
	if r.Unchanged > 0 {
		s += fmt.Sprintf(", %d unchanged", r.Unchanged)
	}
	if r.Removed > 0 {
		s += fmt.Sprintf(", %d removed", r.Removed)
	}
	if len(r.Failed) > 0 {
		s += fmt.Sprintf(", %d failed", len(r.Failed))
	}
	return s
}

// Extensions of the files IngestPaths and IngestFS read.
var Extensions = []string{".txt", ".md", ".html", ".htm"}

// source is one document file to ingest.
type source struct {
	name string // file name, gives the document ID and format
	src  string // StoredDocument.Source: absolute path, or the path inside an fs.FS
	read func() ([]byte, error)
}

// IngestPaths ingests files and folders (recursively; files with one of
// Extensions). Absolute paths become the documents' Source.
func (in *Ingester) IngestPaths(ctx context.Context, paths ...string) (Report, error) {
	var srcs []source
	var roots []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return Report{}, fmt.Errorf("ingest %s: %w", p, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return Report{}, fmt.Errorf("ingest: %w", err)
		}
		if !st.IsDir() {
			srcs = append(srcs, fileSource(abs))
			continue
		}
		roots = append(roots, abs+string(filepath.Separator))
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != abs && skipInFolder(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && hasExtension(p) {
				srcs = append(srcs, fileSource(p))
			}
			return nil
		})
		if err != nil {
			return Report{}, fmt.Errorf("ingest %s: %w", p, err)
		}
	}
	return in.ingest(ctx, srcs, func(src string) bool {
		return slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(src, r) })
	})
}

func fileSource(p string) source {
	return source{name: filepath.Base(p), src: p, read: func() ([]byte, error) { return os.ReadFile(p) }}
}

// IngestFS ingests the files under root in fsys (e.g. seeds.Documents, root
// "."). Their Source is their path in fsys.
func (in *Ingester) IngestFS(ctx context.Context, fsys fs.FS, root string) (Report, error) {
	var srcs []source
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && skipInFolder(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && hasExtension(p) {
			srcs = append(srcs, source{name: path.Base(p), src: p, read: func() ([]byte, error) { return fs.ReadFile(fsys, p) }})
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("ingest %s: %w", root, err)
	}
	return in.ingest(ctx, srcs, func(src string) bool {
		// Absolute sources came from IngestPaths, never from an fs.FS.
		return !filepath.IsAbs(src) && (root == "." || strings.HasPrefix(src, root+"/"))
	})
}

// folderNotes are the names (before the extension, upper-cased) of the
// files that describe a folder rather than hold a policy: a corpus folder's
// README or SOURCES listing is a Markdown table of file names and titles,
// and ingested it became a "document" matching every question about the
// titles it lists.
var folderNotes = []string{"README", "SOURCES", "LICENSE", "LICENCE", "COPYING", "CHANGELOG", "CHANGES", "CONTRIBUTING", "NOTICE", "AUTHORS"}

// skipInFolder reports whether a folder walk passes over the file or
// folder called name: dot-files and dot-folders (.git, editor backups) and
// folder notes. A file named explicitly is always ingested.
func skipInFolder(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	base := strings.ToUpper(strings.TrimSuffix(name, filepath.Ext(name)))
	return slices.Contains(folderNotes, base)
}

func hasExtension(p string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(p)))
}

func (in *Ingester) ingest(ctx context.Context, srcs []source, underRoot func(src string) bool) (Report, error) {
	var rep Report
	model, err := in.checkModel(ctx)
	if err != nil {
		return rep, err
	}
	stored, err := in.Store.Documents(ctx)
	if err != nil {
		return rep, fmt.Errorf("ingest: %w", err)
	}
	byID := make(map[string]StoredDocument, len(stored))
	for _, d := range stored {
		byID[d.ID] = d
	}
	slices.SortFunc(srcs, func(a, b source) int { return strings.Compare(a.src, b.src) })
	seen := map[string]string{} // document ID → source
	for _, s := range srcs {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
		id := policy.DocumentID(s.name)
		if other, ok := seen[id]; ok {
			rep.Failed = append(rep.Failed, fmt.Errorf("ingest %s: document id %s already used by %s", s.src, id, other))
			continue
		}
		seen[id] = s.src
		data, err := s.read()
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Errorf("ingest %s: %w", s.src, err))
			continue
		}
		hash := ContentHash(data)
		old, exists := byID[id]
		if exists && old.ContentHash == hash && !in.Reembed {
			rep.Unchanged++
			rep.Documents++
			rep.Clauses += old.ClauseCount
			continue
		}
		doc, err := policy.Parse(s.name, data)
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Errorf("ingest %s: %w", s.src, err))
			continue
		}
		doc.ID = id
		status := StatusActive
		if exists {
			status = old.Status
		}
		sd := StoredDocument{Meta: doc.Meta(), Source: s.src, ContentHash: hash, Status: status}
		n, err := in.store(ctx, model, sd, doc.Clauses)
		rep.Embedded += n
		if err != nil {
			// The store or the embedder failed, not this document: stop.
			return rep, err
		}
		rep.Documents++
		rep.Clauses += len(doc.Clauses)
	}
	for _, d := range stored {
		if _, ok := seen[d.ID]; ok {
			continue
		}
		switch {
		case in.Prune && underRoot(d.Source):
			if err := in.Store.RemoveDocument(ctx, d.ID); err != nil {
				return rep, fmt.Errorf("ingest: prune: %w", err)
			}
			rep.Removed++
		case in.Reembed:
			// Vectors of the old model must not stay beside the new ones.
			_, clauses, err := in.Store.Document(ctx, d.ID)
			if err != nil {
				return rep, fmt.Errorf("ingest: re-embed: %w", err)
			}
			n, err := in.store(ctx, model, d, clauses)
			rep.Embedded += n
			if err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// checkModel returns the store's model, recording the embedder's when the
// store has none yet or Reembed is set.
func (in *Ingester) checkModel(ctx context.Context) (Model, error) {
	want := Model{Name: in.Embedder.Name(), Dimensions: in.Embedder.Dimensions()}
	have, err := in.Store.Model(ctx)
	if err != nil {
		return want, fmt.Errorf("ingest: %w", err)
	}
	if have == want {
		return want, nil
	}
	if have.Name != "" && !in.Reembed {
		return want, fmt.Errorf("ingest: the store holds vectors of %s (%d dimensions) but the embedder is %s (%d dimensions); run `policybot ingest --reembed` to re-embed everything: %w",
			have.Name, have.Dimensions, want.Name, want.Dimensions, ErrModelMismatch)
	}
	if err := in.Store.SetModel(ctx, want); err != nil {
		return want, fmt.Errorf("ingest: %w", err)
	}
	return want, nil
}

// store indexes and embeds doc's clauses and replaces the document. It
// returns how many texts it embedded.
func (in *Ingester) store(ctx context.Context, model Model, doc StoredDocument, clauses []policy.Clause) (int, error) {
	ics := make([]IndexedClause, len(clauses))
	hashes := make([]string, len(clauses))
	texts := make([]string, len(clauses))
	for i, c := range clauses {
		texts[i] = EmbedText(c, doc.Meta)
		sum := sha256.Sum256([]byte(texts[i]))
		hashes[i] = hex.EncodeToString(sum[:])
		ics[i] = IndexedClause{Clause: c, Ord: i, TextHash: hashes[i], Terms: segment.Terms(texts[i])}
	}
	cached := map[string][]float32{}
	if !in.Reembed {
		var err error
		if cached, err = in.Store.CachedEmbeddings(ctx, model.Name, hashes); err != nil {
			return 0, fmt.Errorf("ingest %s: %w", doc.Source, err)
		}
	}
	var todo []int
	fresh := map[string][]float32{} // a text repeated in the document is embedded once
	for i, h := range hashes {
		if v, ok := cached[h]; ok && len(v) == model.Dimensions {
			ics[i].Embedding = v
		} else if _, ok := fresh[h]; !ok {
			fresh[h] = nil
			todo = append(todo, i)
		}
	}
	batch := in.BatchSize
	if batch <= 0 {
		batch = 64
	}
	for start := 0; start < len(todo); start += batch {
		part := todo[start:min(start+batch, len(todo))]
		batchTexts := make([]string, len(part))
		for j, i := range part {
			batchTexts[j] = texts[i]
		}
		vs, err := in.Embedder.Embed(ctx, batchTexts)
		if err != nil {
			return start, fmt.Errorf("ingest %s: embed: %w", doc.Source, err)
		}
		if len(vs) != len(part) {
			return start, fmt.Errorf("ingest %s: embed: %d vectors for %d texts", doc.Source, len(vs), len(part))
		}
		for j, i := range part {
			if len(vs[j]) != model.Dimensions {
				return start, fmt.Errorf("ingest %s: embed: %d dimensions, model %s has %d", doc.Source, len(vs[j]), model.Name, model.Dimensions)
			}
			fresh[hashes[i]] = vs[j]
		}
	}
	for i, h := range hashes {
		if ics[i].Embedding == nil {
			ics[i].Embedding = fresh[h]
		}
	}
	if err := in.Store.ReplaceDocument(ctx, doc, ics); err != nil {
		return len(todo), fmt.Errorf("ingest %s: %w", doc.Source, err)
	}
	return len(todo), nil
}

// ContentHash identifies a document's source bytes as read by this parser
// version: a parser change that alters clauses re-parses unchanged files on
// the next ingestion (their unchanged clause texts still come from the
// embedding cache).
func ContentHash(data []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "policy-parser/%d\n", policy.ParserVersion)
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
