package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"policybot/embeddings"
	"policybot/enterprise"
	"policybot/policy"
	"policybot/segment"
)

// Ingester loads policy documents into a Store: it parses each source,
// skips documents whose bytes did not change, embeds only clauses whose
// text has no cached embedding for the model, and replaces the documents
// whole, so readers never see half a document. Documents go in batches: the
// embedder gets texts of several documents per call, a BatchStore stores a
// batch in one transaction, and a BulkLoader is told the size of the load
// first.
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
	// BatchSize is how many texts go to the embedder at once (default 64);
	// a batch takes texts of several documents.
	BatchSize int
	// StoreBatch is how many documents a BatchStore replaces in one
	// transaction (default 200, fewer when they hold over 5,000 clauses).
	StoreBatch int
	// Cache, when set, keeps prepared documents by their bytes: a source
	// found there is neither parsed, segmented nor embedded again.
	Cache DocCache
}

// Report counts what an ingestion did.
type Report struct {
	Documents int // documents now in the store from these sources (changed or not)
	Clauses   int // their clauses
	Embedded  int // clause texts sent to the embedder
	Unchanged int // documents skipped because their content hash is unchanged
	// Shared counts files identical to a document already stored from
	// another source (the development corpus's copy of a law the embedded
	// default ships): stored once, not counted again.
	Shared  int
	Removed int     // documents pruned
	Failed  []error // documents skipped because they could not be read or parsed
}

// String summarises the report, e.g. "78 documents, 2900 clauses, 0 embedded".
func (r Report) String() string {
	s := fmt.Sprintf("%d documents, %d clauses, %d embedded", r.Documents, r.Clauses, r.Embedded)
	if r.Unchanged > 0 {
		s += fmt.Sprintf(", %d unchanged", r.Unchanged)
	}
	if r.Shared > 0 {
		s += fmt.Sprintf(", %d already stored from another source", r.Shared)
	}
	if r.Removed > 0 {
		s += fmt.Sprintf(", %d removed", r.Removed)
	}
	if len(r.Failed) > 0 {
		s += fmt.Sprintf(", %d failed", len(r.Failed))
	}
	return s
}

// UploadDir is the first element of the Source of a document uploaded through
// the admin pages (upload/HASH/NAME): such documents are managed one by one
// and never pruned by a folder's ingestion.
const UploadDir = "upload"

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
	files, roots, err := documentFiles(paths)
	if err != nil {
		return Report{}, fmt.Errorf("ingest: %w", err)
	}
	srcs := make([]source, len(files))
	for i, f := range files {
		srcs[i] = fileSource(f)
	}
	return in.ingest(ctx, srcs, func(src string) bool {
		return slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(src, r) })
	})
}

// DocumentFiles lists, as absolute paths, the files IngestPaths would read
// from paths: files named, and in folders (recursively) the files with one
// of Extensions that are not dot-files or folder notes.
func DocumentFiles(paths ...string) ([]string, error) {
	files, _, err := documentFiles(paths)
	return files, err
}

// documentFiles is DocumentFiles and the folders walked, each with a trailing separator.
func documentFiles(paths []string) (files, roots []string, err error) {
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			files = append(files, abs)
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
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return files, roots, nil
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
		// Absolute sources came from IngestPaths, never from an fs.FS, and
		// uploads belong to no folder: pruning a folder never removes them.
		if filepath.IsAbs(src) || strings.HasPrefix(src, UploadDir+"/") {
			return false
		}
		return root == "." || strings.HasPrefix(src, root+"/")
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
	bySource := make(map[string]StoredDocument, len(stored))
	for _, d := range stored {
		byID[d.ID] = d
		bySource[d.Source] = d
	}
	// First pass: which sources changed. Their bytes are read again when
	// parsed rather than held, so a large load does not sit in memory.
	slices.SortFunc(srcs, func(a, b source) int { return strings.Compare(a.src, b.src) })
	seen := map[string]string{}   // document ID → source
	hashes := map[string]string{} // document ID → content hash of its source
	moved := map[string]string{}  // stored ID of a source → its new ID
	var work []unit
	for _, s := range srcs {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
		data, err := s.read()
		if err != nil {
			rep.Failed = append(rep.Failed, fmt.Errorf("ingest %s: %w", s.src, err))
			continue
		}
		hash := ContentHash(data)
		id := policy.DocumentID(s.name)
		if prev, ok := bySource[s.src]; ok && prev.ID != id && prev.ID != legacyDocumentID(s.name) {
			// The file keeps the ID it is stored under: one told apart
			// from a namesake when both were ingested together, which an
			// ingestion of this file alone (a re-ingest from the admin
			// pages) must not hand to the namesake's ID.
			id = prev.ID
		}
		if other, ok := seen[id]; ok {
			if hashes[id] == hash {
				rep.Failed = append(rep.Failed, fmt.Errorf("ingest %s: duplicate of %s (the same bytes): %w", s.src, other, ErrDuplicate))
				continue
			}
			id = distinctID(id, s.src, seen)
		}
		seen[id], hashes[id] = s.src, hash
		old, exists := byID[id]
		if !exists {
			// The file may be stored under the ID an earlier version of
			// DocumentID gave it: it moves to its new ID, keeping its status.
			if prev, ok := bySource[s.src]; ok && prev.ID != id {
				moved[prev.ID] = id
				old = prev
			}
		}
		if exists && old.ContentHash == hash && old.Source != s.src && !in.Reembed &&
			(underRoot == nil || !underRoot(old.Source)) {
			// Stored from another corpus (a file moved within this one
			// is stored anew, so that pruning its old place keeps it).
			rep.Shared++
			continue
		}
		if exists && old.ContentHash == hash && !in.Reembed {
			rep.Unchanged++
			rep.Documents++
			rep.Clauses += old.ClauseCount
			continue
		}
		status := StatusActive
		if old.ID != "" {
			status = old.Status
		}
		work = append(work, unit{src: s, id: id, status: status, size: len(data), hash: hash})
	}
	var prune []string
	for _, d := range stored {
		if _, ok := seen[d.ID]; ok {
			continue
		}
		if _, ok := moved[d.ID]; ok {
			prune = append(prune, d.ID)
			continue
		}
		switch {
		case in.Prune && underRoot(d.Source):
			prune = append(prune, d.ID)
		case in.Reembed:
			// Vectors of the old model must not stay beside the new ones.
			work = append(work, unit{stored: &d})
		}
	}
	if err := in.load(ctx, model, work, &rep); err != nil {
		return rep, err
	}
	for _, id := range prune {
		if err := in.Store.RemoveDocument(ctx, id); err != nil {
			return rep, fmt.Errorf("ingest: prune: %w", err)
		}
		if _, ok := moved[id]; !ok {
			rep.Removed++
		}
	}
	return rep, nil
}

// legacyDocumentID is the ID policy.DocumentID gave before parser version
// 5: every character outside [a-z0-9_-] as '-'. A document stored under it
// moves to its new ID on its next ingestion.
func legacyDocumentID(name string) string {
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(base))
	if id == "" {
		return "doc"
	}
	return id
}

// ErrDuplicate is wrapped by the Report.Failed error of a file whose bytes
// are those of another file of the same ingestion with the same ID (the
// same law filed under two folders): the first is stored, the other named.
var ErrDuplicate = errors.New("duplicate document")

// distinctID returns an ID for the file src whose DocumentID id another file
// of the same ingestion already holds (the same name in two folders, or
// names differing only in characters an ID leaves out): id qualified by the
// file's folder, e.g. 广告法(2021-04-29)-行政法, and then numbered. Files are
// taken in path order, so the IDs are the same on every ingestion of the
// same files.
func distinctID(id, src string, seen map[string]string) string {
	dir := policy.DocumentID(filepath.Base(filepath.Dir(filepath.FromSlash(src))) + ".x")
	cand := id + "-" + dir
	for n := 2; ; n++ {
		if _, ok := seen[cand]; !ok {
			return cand
		}
		cand = fmt.Sprintf("%s-%s-%d", id, dir, n)
	}
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

// unit is one document to (re)store: a changed source, or with Reembed a
// stored document none of the sources holds.
type unit struct {
	src    source
	id     string
	status string
	size   int             // bytes of the source, to estimate the load's size
	hash   string          // ContentHash of the source as first read
	stored *StoredDocument // set for a stored document to re-embed
}

// batch is documents ready for the store: parsed, indexed and embedded.
type batch struct {
	docs           []DocumentVersion
	texts          [][]string // embedding texts, by document and clause (nil: all embedded already)
	cacheKeys      []string   // by document: the DocCache key to save it under, "" for none
	bytes          int        // source bytes of the documents from sources
	sourced        int        // documents from sources (not re-embedded stored ones)
	sourcedClauses int        // their clauses
	embedded       int        // texts sent to the embedder
	failed         []error    // sources that could not be read or parsed
	err            error      // the embedder or the store failed: stop
}

// Default batch sizes.
const (
	defaultEmbedBatch = 64
	// defaultStoreBatch documents, or maxBatchClauses clauses, go to a
	// BatchStore in one transaction: large enough that its fixed costs
	// vanish, small enough that a reader is not held off the new
	// documents (nor a writer's transaction kept open) for long.
	defaultStoreBatch = 200
	maxBatchClauses   = 5000
)

// load parses, embeds and stores the units in batches. Preparing a batch
// (parsing, segmenting, embedding: CPU in this process) overlaps with
// storing the one before (work in the database), so a large load costs about
// the larger of the two rather than their sum.
func (in *Ingester) load(ctx context.Context, model Model, work []unit, rep *Report) (err error) {
	if len(work) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Deferred first, so it runs last: after preparation has stopped.
	var end func(context.Context) error
	defer func() {
		if end == nil {
			return
		}
		// Even after a failure or cancellation the store must be put back
		// in shape (e.g. a dropped index rebuilt) before returning.
		if e := end(context.WithoutCancel(ctx)); e != nil && err == nil {
			err = fmt.Errorf("ingest: %w", e)
		}
	}()
	batches := make(chan batch, 1)
	go func() {
		defer close(batches)
		in.prepare(ctx, model, work, batches)
	}()
	defer func() {
		cancel()
		// Let prepare see the cancellation and finish; what it embedded
		// meanwhile was embedded all the same.
		for b := range batches {
			rep.Embedded += b.embedded
		}
	}()
	first := true
	for b := range batches {
		rep.Embedded += b.embedded
		rep.Failed = append(rep.Failed, b.failed...)
		if b.err != nil {
			return b.err
		}
		if first {
			first = false
			if bl, ok := in.Store.(BulkLoader); ok {
				if end, err = bl.BeginBulk(ctx, estimateClauses(b, work)); err != nil {
					return fmt.Errorf("ingest: %w", err)
				}
			}
		}
		if err := in.write(ctx, b.docs); err != nil {
			return err
		}
		rep.Documents += b.sourced
		rep.Clauses += b.sourcedClauses
	}
	if err := ctx.Err(); err != nil { // preparation stopped early
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}

// estimateClauses extrapolates the clauses of the whole load from its first
// batch (clauses per source byte), which is all BeginBulk needs: whether the
// load is large against what is stored.
func estimateClauses(first batch, work []unit) int {
	var bytes, reembed int
	for _, u := range work {
		if u.stored != nil {
			reembed += u.stored.ClauseCount
		} else {
			bytes += u.size
		}
	}
	if first.bytes == 0 {
		return reembed
	}
	return int(float64(first.sourcedClauses)*float64(bytes)/float64(first.bytes)) + reembed
}

// prepare turns units into batches on out until work is done or ctx is
// cancelled. A batch with err set is the last.
func (in *Ingester) prepare(ctx context.Context, model Model, work []unit, out chan<- batch) {
	size := in.StoreBatch
	if size <= 0 {
		size = defaultStoreBatch
	}
	var cur batch
	clauses := 0
	send := func() bool {
		if cur.err == nil && len(cur.docs) > 0 {
			cur.embedded, cur.err = in.embed(ctx, model, cur.docs, cur.texts)
			if cur.err == nil && in.Cache != nil {
				for i, key := range cur.cacheKeys {
					if key != "" {
						// A failed save costs the next start its time only.
						_ = in.Cache.Save(key, cur.docs[i])
					}
				}
			}
		}
		// A plain send, even after cancellation: load always drains the
		// channel, and what was embedded must reach the report.
		out <- cur
		cur, clauses = batch{}, 0
		return ctx.Err() == nil
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	for start := 0; start < len(work); start += indexChunk {
		if err := ctx.Err(); err != nil {
			return
		}
		// Parsing and segmenting are this process's CPU: a chunk of units
		// is indexed on every core, then batched in order.
		part := work[start:min(start+indexChunk, len(work))]
		done := make([]indexed, len(part))
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(workers, len(part)) {
			wg.Go(func() {
				for i := range next {
					done[i] = in.index(ctx, model, part[i])
				}
			})
		}
		for i := range part {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, u := range part {
			r := done[i]
			if r.err != nil {
				if u.stored != nil {
					// The store failed, not a document: stop.
					cur.err = r.err
					send()
					return
				}
				cur.failed = append(cur.failed, r.err)
				continue
			}
			cur.docs = append(cur.docs, r.dv)
			cur.texts = append(cur.texts, r.texts)
			cur.cacheKeys = append(cur.cacheKeys, r.cacheKey)
			if u.stored == nil {
				cur.bytes += u.size
				cur.sourced++
				cur.sourcedClauses += len(r.dv.Clauses)
			}
			clauses += len(r.dv.Clauses)
			if len(cur.docs) >= size || clauses >= maxBatchClauses {
				if !send() || cur.err != nil {
					return
				}
			}
		}
	}
	if len(cur.docs) > 0 || len(cur.failed) > 0 {
		send()
	}
}

// indexChunk is how many units are indexed in parallel before batching.
const indexChunk = 32

// indexed is a unit made ready for embedding.
type indexed struct {
	dv       DocumentVersion
	texts    []string // embedding texts by clause; nil when the cache gave the embeddings
	cacheKey string   // DocCache key to save the document under once embedded; "" for none
	err      error
}

// index parses a changed source (or reads a stored document to re-embed)
// and indexes its clauses, returning their embedding texts beside them. A
// source the cache holds comes from there, embeddings included.
func (in *Ingester) index(ctx context.Context, model Model, u unit) indexed {
	var (
		doc     StoredDocument
		clauses []policy.Clause
	)
	key := ""
	if u.stored != nil {
		var err error
		if doc, clauses, err = in.Store.Document(ctx, u.stored.ID); err != nil {
			return indexed{err: fmt.Errorf("ingest: re-embed: %w", err)}
		}
	} else {
		if in.Cache != nil && !in.Reembed {
			key = docCacheKey(u.hash, model.Name)
			if dv, ok := in.Cache.Load(key); ok && dv.Document.ContentHash == u.hash && complete(dv, model) {
				dv.Document.Source, dv.Document.Status = u.src.src, u.status
				dv.Document.IngestedAt = time.Time{}
				renumber(&dv.Document.Meta, func(i int, id string) { dv.Clauses[i].ID = id }, len(dv.Clauses), u.id)
				return indexed{dv: dv}
			}
		}
		data, err := u.src.read()
		if err != nil {
			return indexed{err: fmt.Errorf("ingest %s: %w", u.src.src, err)}
		}
		parsed, err := policy.Parse(u.src.name, data)
		if err != nil {
			return indexed{err: fmt.Errorf("ingest %s: %w", u.src.src, err)}
		}
		clauses = parsed.Clauses
		meta := parsed.Meta()
		renumber(&meta, func(i int, id string) { clauses[i].ID = id }, len(clauses), u.id)
		// The hash of the bytes parsed now, should the file have changed
		// since the first pass read it.
		hash := ContentHash(data)
		if hash != u.hash {
			key = ""
		}
		doc = StoredDocument{Meta: meta, Source: u.src.src, ContentHash: hash, Status: u.status, ValidityFacts: parsed.Validity}
	}
	ics := make([]IndexedClause, len(clauses))
	texts := make([]string, len(clauses))
	for i, c := range clauses {
		texts[i] = EmbedText(c, doc.Meta)
		sum := sha256.Sum256([]byte(texts[i]))
		c.Applicability = enterprise.Read(c, doc.Meta)
		ics[i] = IndexedClause{Clause: c, Ord: i, TextHash: hex.EncodeToString(sum[:]), Terms: segment.IndexTerms(texts[i])}
	}
	for i, terms := range SectionContext(ics) {
		ics[i].Context = terms
	}
	return indexed{dv: DocumentVersion{Document: doc, Clauses: ics}, texts: texts, cacheKey: key}
}

// renumber gives the document meta the ID id and its n clauses the IDs
// id#1…id#n (the parser numbered them after the file name, which the
// ingester may have had to tell apart from another file's).
func renumber(meta *policy.Meta, set func(i int, id string), n int, id string) {
	meta.ID = id
	for i := range n {
		set(i, fmt.Sprintf("%s#%d", id, i+1))
	}
}

// complete reports whether every clause of a cached document has an
// embedding of model's size.
func complete(dv DocumentVersion, model Model) bool {
	for _, c := range dv.Clauses {
		if len(c.Embedding) != model.Dimensions {
			return false
		}
	}
	return len(dv.Clauses) > 0
}

// embed fills the clause embeddings of docs from the store's cache or the
// embedder, sending the embedder full batches across documents and each
// distinct text once. It returns how many texts it embedded.
func (in *Ingester) embed(ctx context.Context, model Model, docs []DocumentVersion, texts [][]string) (int, error) {
	var hashes []string
	for i, d := range docs {
		if texts[i] == nil {
			continue
		}
		for _, c := range d.Clauses {
			hashes = append(hashes, c.TextHash)
		}
	}
	cached := map[string][]float32{}
	if !in.Reembed {
		var err error
		if cached, err = in.Store.CachedEmbeddings(ctx, model.Name, hashes); err != nil {
			return 0, fmt.Errorf("ingest: %w", err)
		}
	}
	var todo []string // texts to embed, one per distinct hash
	var todoHashes []string
	for i, d := range docs {
		if texts[i] == nil {
			continue // embedded already (from a DocCache)
		}
		for j, c := range d.Clauses {
			// nil: already claimed, a repeated text is embedded once. A
			// cached vector of another dimension is re-embedded.
			if v, ok := cached[c.TextHash]; ok && (v == nil || len(v) == model.Dimensions) {
				continue
			}
			cached[c.TextHash] = nil
			todo = append(todo, texts[i][j])
			todoHashes = append(todoHashes, c.TextHash)
		}
	}
	size := in.BatchSize
	if size <= 0 {
		size = defaultEmbedBatch
	}
	for start := 0; start < len(todo); start += size {
		end := min(start+size, len(todo))
		// The texts of a failed call count too: Report.Embedded is what was
		// sent to the embedder (and what a paid API bills).
		vs, err := in.Embedder.Embed(ctx, todo[start:end])
		if err != nil {
			return end, fmt.Errorf("ingest: embed: %w", err)
		}
		if len(vs) != end-start {
			return end, fmt.Errorf("ingest: embed: %d vectors for %d texts", len(vs), end-start)
		}
		for k, v := range vs {
			if len(v) != model.Dimensions {
				return end, fmt.Errorf("ingest: embed: %d dimensions, model %s has %d", len(v), model.Name, model.Dimensions)
			}
			cached[todoHashes[start+k]] = v
		}
	}
	for i, d := range docs {
		if texts[i] == nil {
			continue
		}
		for j := range d.Clauses {
			d.Clauses[j].Embedding = cached[d.Clauses[j].TextHash]
		}
	}
	return len(todo), nil
}

// write stores a batch: in one call when the store takes batches, else
// document by document.
func (in *Ingester) write(ctx context.Context, docs []DocumentVersion) error {
	if bs, ok := in.Store.(BatchStore); ok {
		if err := bs.ReplaceDocuments(ctx, docs); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		return nil
	}
	for _, d := range docs {
		if err := in.Store.ReplaceDocument(ctx, d.Document, d.Clauses); err != nil {
			return fmt.Errorf("ingest %s: %w", d.Document.Source, err)
		}
	}
	return nil
}

// IndexVersion changes whenever the lexical terms stored for the same
// clause change (2: segment.QuantityTerm; 3: IndexedClause.Context; 4:
// Clause.Applicability).
const IndexVersion = 4

// ContentHash identifies a document's source bytes as read by this parser
// version, indexed by this IndexVersion and read for applicability with this
// subjects lexicon: a change to any re-parses and re-indexes unchanged files
// on the next ingestion (their unchanged clause texts still come from the
// embedding cache).
func ContentHash(data []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "policy-parser/%d index/%d subjects/%s\n", policy.ParserVersion, IndexVersion, enterprise.LexiconVersion())
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
