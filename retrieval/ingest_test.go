package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"policybot/embeddings"
)

const (
	docTianjin = "天津市关于支持小微企业发展的若干措施\n\n一、加大信贷支持。对符合条件的小微企业开展无还本续贷业务。\n\n二、推动工业设计云服务。鼓励工业设计服务机构与中小企业合作。\n"
	docBeijing = "北京市关于支持中小企业发展的若干措施\n\n一、支持续贷受理中心建设。为中小企业续贷提供便利。\n\n二、减免房租。对承租国有房屋的中小企业免收三个月房租。\n"
)

// countingEmbedder counts the texts it embeds.
type countingEmbedder struct {
	embeddings.Embedder
	n int
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.n += len(texts)
	return c.Embedder.Embed(ctx, texts)
}

func TestIngestFS(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	emb := &countingEmbedder{Embedder: embeddings.NewLocal(64)}
	in := &Ingester{Store: store, Embedder: emb, Prune: true}
	fsys := fstest.MapFS{
		"tj.txt":       {Data: []byte(docTianjin)},
		"sub/bj.txt":   {Data: []byte(docBeijing)},
		"empty.txt":    {Data: []byte("")},
		"ignored.json": {Data: []byte("{}")},
	}

	r, err := in.IngestFS(ctx, fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 2 || r.Clauses != 4 || r.Embedded != 4 || len(r.Failed) != 1 {
		t.Fatalf("first run: %s (failed %v)", r, r.Failed)
	}
	if got := r.String(); got != "2 documents, 4 clauses, 4 embedded, 1 failed" {
		t.Errorf("String() = %q", got)
	}

	t.Run("Unchanged", func(t *testing.T) {
		r, err := in.IngestFS(ctx, fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if r.Embedded != 0 || r.Unchanged != 2 || r.Documents != 2 || r.Clauses != 4 {
			t.Errorf("second run: %s", r)
		}
	})
	t.Run("ChangedClauseOnly", func(t *testing.T) {
		fsys["tj.txt"] = &fstest.MapFile{Data: []byte(docTianjin + "\n三、强化人才支撑。支持中小企业引进高层次人才。\n")}
		r, err := in.IngestFS(ctx, fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if r.Embedded != 1 || r.Unchanged != 1 || r.Clauses != 5 {
			t.Errorf("changed document: %s, want only the new clause embedded", r)
		}
	})
	t.Run("Prune", func(t *testing.T) {
		delete(fsys, "sub/bj.txt")
		r, err := in.IngestFS(ctx, fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if r.Removed != 1 {
			t.Errorf("prune: %s", r)
		}
		if _, _, err := store.Document(ctx, "bj"); !errors.Is(err, ErrNotFound) {
			t.Errorf("pruned document still there: %v", err)
		}
	})
	t.Run("ModelMismatch", func(t *testing.T) {
		other := &Ingester{Store: store, Embedder: embeddings.NewLocal(32)}
		if _, err := other.IngestFS(ctx, fsys, "."); !errors.Is(err, ErrModelMismatch) {
			t.Fatalf("err %v, want ErrModelMismatch", err)
		}
		other.Reembed = true
		r, err := other.IngestFS(ctx, fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := store.Model(ctx)
		if m.Dimensions != 32 || r.Embedded != 3 {
			t.Errorf("re-embed: model %+v, %s", m, r)
		}
	})
}

func TestIngestPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"a/tj.txt": docTianjin, "bj.md": docBeijing, "notes.csv": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := NewMemoryStore()
	in := &Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
	r, err := in.IngestPaths(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 2 || len(r.Failed) != 0 {
		t.Fatalf("%s %v", r, r.Failed)
	}
	d, _, err := store.Document(context.Background(), "tj")
	if err != nil || d.Source != filepath.Join(dir, "a", "tj.txt") || d.ContentHash == "" {
		t.Errorf("stored %+v, %v", d, err)
	}
	if _, err := in.IngestPaths(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("missing path: no error")
	}
}

// A folder's notes (README, SOURCES …) and dot-files are not policies: a
// folder walk skips them, but a file named explicitly is still ingested.
func TestIngestSkipsFolderNotes(t *testing.T) {
	sources := "# SOURCES\n\n| # | file | title |\n|---|---|---|\n| 1 | `tj.txt` | 天津市关于支持小微企业发展的若干措施 |\n"
	files := map[string]string{
		"tj.txt":          docTianjin,
		"SOURCES.md":      sources,
		"README.md":       sources,
		"sub/License.txt": sources,
		"sub/CHANGELOG":   sources,
		".draft.txt":      docBeijing,
		".git/bj.txt":     docBeijing,
		"sub/bj.md":       docBeijing,
	}
	fsys := fstest.MapFS{}
	dir := t.TempDir()
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		ingest func(in *Ingester) (Report, error)
		want   []string
	}{
		{"FS", func(in *Ingester) (Report, error) { return in.IngestFS(ctx, fsys, ".") }, []string{"bj", "tj"}},
		{"Folder", func(in *Ingester) (Report, error) { return in.IngestPaths(ctx, dir) }, []string{"bj", "tj"}},
		{"NamedFile", func(in *Ingester) (Report, error) { return in.IngestPaths(ctx, filepath.Join(dir, "README.md")) }, []string{"readme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewMemoryStore()
			r, err := tt.ingest(&Ingester{Store: store, Embedder: embeddings.NewLocal(64)})
			if err != nil {
				t.Fatal(err)
			}
			docs, err := store.Documents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) || len(r.Failed) != 0 {
				t.Errorf("ingested %v (failed %v), want %v", got, r.Failed, tt.want)
			}
		})
	}
}

func TestContentHashFollowsParserVersion(t *testing.T) {
	data := []byte("一、总则\n（一）加强信贷支持。持续加大小微企业首贷、续贷投放。")
	if ContentHash(data) != ContentHash(append([]byte(nil), data...)) {
		t.Fatal("hash is not deterministic")
	}
	if ContentHash(data) == ContentHash(append(data, ' ')) {
		t.Fatal("hash ignores the bytes")
	}
	sum := sha256.Sum256(data)
	if ContentHash(data) == hex.EncodeToString(sum[:]) {
		t.Fatal("hash ignores the parser version: a parser change would not re-parse unchanged files")
	}
}

// batchStore is a MemoryStore taking batches and bulk loads, recording them.
type batchStore struct {
	*MemoryStore
	batches [][]string // document IDs of each ReplaceDocuments call
	failOn  string     // a batch holding this document fails
	bulk    []int      // BeginBulk's clause estimates
	ends    int        // calls of the end functions
}

func (s *batchStore) ReplaceDocuments(ctx context.Context, docs []DocumentVersion) error {
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.Document.ID)
	}
	s.batches = append(s.batches, ids)
	if slices.Contains(ids, s.failOn) {
		return errors.New("disk full")
	}
	for _, d := range docs {
		if err := s.MemoryStore.ReplaceDocument(ctx, d.Document, d.Clauses); err != nil {
			return err
		}
	}
	return nil
}

func (s *batchStore) BeginBulk(ctx context.Context, clauses int) (func(context.Context) error, error) {
	s.bulk = append(s.bulk, clauses)
	return func(context.Context) error { s.ends++; return nil }, nil
}

// callCountingEmbedder counts its calls.
type callCountingEmbedder struct {
	embeddings.Embedder
	calls, texts int
}

func (c *callCountingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls++
	c.texts += len(texts)
	return c.Embedder.Embed(ctx, texts)
}

// numbered returns n documents of two clauses each, all texts distinct
// (the title is part of each clause's embedding text), named d0.txt …, and
// an unparseable empty.txt sorted among them.
func numbered(n int) fstest.MapFS {
	fsys := fstest.MapFS{"d2x-empty.txt": {Data: nil}}
	for i := range n {
		fsys[fmt.Sprintf("d%d.txt", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
			"第%d号关于支持小微企业发展的若干措施\n\n一、加大信贷支持。对符合条件的小微企业开展无还本续贷业务。\n\n二、推动工业设计云服务。鼓励工业设计服务机构与中小企业合作。\n", i))}
	}
	return fsys
}

func TestIngestBatches(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		docs        int
		storeBatch  int
		embedBatch  int
		failOn      string
		wantBatches [][]string
		wantCalls   int // embedder calls
		wantErr     bool
	}{
		{
			name: "Batches", docs: 5, storeBatch: 2, embedBatch: 3,
			// d2x-empty.txt fails to parse between d2 and d3 and is skipped.
			wantBatches: [][]string{{"d0", "d1"}, {"d2", "d3"}, {"d4"}},
			wantCalls:   5, // 2+2+1 documents: 4, 4 and 2 texts, in batches of 3
		},
		{
			name: "OneBatchAcrossDocuments", docs: 5, storeBatch: 10, embedBatch: 64,
			wantBatches: [][]string{{"d0", "d1", "d2", "d3", "d4"}},
			wantCalls:   1,
		},
		{
			name: "StoreFails", docs: 5, storeBatch: 2, embedBatch: 64, failOn: "d3",
			wantBatches: [][]string{{"d0", "d1"}, {"d2", "d3"}},
			wantCalls:   2, // the third batch may be prepared before the second fails
			wantErr:     true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &batchStore{MemoryStore: NewMemoryStore(), failOn: tt.failOn}
			emb := &callCountingEmbedder{Embedder: embeddings.NewLocal(64)}
			in := &Ingester{Store: store, Embedder: emb, StoreBatch: tt.storeBatch, BatchSize: tt.embedBatch}
			r, err := in.IngestFS(ctx, numbered(tt.docs), ".")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "disk full") {
					t.Fatalf("err = %v, want the store's error", err)
				}
				if r.Documents != 2 {
					t.Errorf("report counts %d documents, want the 2 stored before the failure", r.Documents)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(store.batches, tt.wantBatches, slices.Equal) {
				t.Errorf("batches %v, want %v", store.batches, tt.wantBatches)
			}
			if len(r.Failed) != 1 || !strings.Contains(r.Failed[0].Error(), "d2x-empty.txt") {
				t.Errorf("failed %v, want d2x-empty.txt only", r.Failed)
			}
			if emb.calls < tt.wantCalls || (!tt.wantErr && emb.calls != tt.wantCalls) {
				t.Errorf("embedder called %d times, want %d", emb.calls, tt.wantCalls)
			}
			if r.Embedded != emb.texts {
				t.Errorf("report says %d embedded, embedder got %d texts", r.Embedded, emb.texts)
			}
			// BeginBulk once, with the first batch's clauses per byte
			// extrapolated (all documents are alike: exact), and its end
			// called once, failure or not.
			if want := []int{2 * tt.docs}; !slices.Equal(store.bulk, want) || store.ends != 1 {
				t.Errorf("BeginBulk(%v), end called %d times; want BeginBulk(%v) and one end", store.bulk, store.ends, want)
			}
			if !tt.wantErr && (r.Documents != tt.docs || r.Clauses != 2*tt.docs) {
				t.Errorf("report %s, want %d documents, %d clauses", r, tt.docs, 2*tt.docs)
			}
		})
	}
}

// The same text in several documents is embedded once, and a second run
// finds every text in the store's cache.
func TestIngestDeduplicatesAcrossDocuments(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{}
	for i := range 4 {
		fsys[fmt.Sprintf("copy%d.txt", i)] = &fstest.MapFile{Data: []byte(docTianjin)}
	}
	emb := &callCountingEmbedder{Embedder: embeddings.NewLocal(64)}
	in := &Ingester{Store: &batchStore{MemoryStore: NewMemoryStore()}, Embedder: emb}
	r, err := in.IngestFS(ctx, fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 4 || r.Clauses != 8 || r.Embedded != 2 || emb.calls != 1 {
		t.Errorf("%s in %d embedder calls; want 4 documents, 8 clauses, 2 embedded in 1 call", r, emb.calls)
	}
	for i := range 4 {
		id := fmt.Sprintf("copy%d", i)
		_, clauses, err := in.Store.Document(ctx, id)
		if err != nil || len(clauses) != 2 {
			t.Fatalf("%s: %d clauses, %v", id, len(clauses), err)
		}
	}
	fsys["copy0.txt"] = &fstest.MapFile{Data: []byte(docTianjin + "\n")} // changed bytes, same clauses
	if r, err := in.IngestFS(ctx, fsys, "."); err != nil || r.Embedded != 0 || r.Unchanged != 3 {
		t.Errorf("second run: %s, %v; want 0 embedded, 3 unchanged", r, err)
	}
}

// Pruning the embedded seeds (an fs.FS walked from ".") must not remove
// documents uploaded through the admin pages, whose Source is also relative.
func TestPruneKeepsUploads(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	in := &Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
	doc := []byte("天津市支持措施\n一、金融支持\n（一）加强信贷支持。对小微企业开展无还本续贷业务。\n")
	up := fstest.MapFS{UploadDir + "/0123456789abcdef/bj.txt": {Data: doc}}
	if _, err := in.IngestFS(ctx, up, "."); err != nil {
		t.Fatal(err)
	}
	seedsFS := fstest.MapFS{"tj.txt": {Data: doc}}
	in.Prune = true
	rep, err := in.IngestFS(ctx, seedsFS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 0 {
		t.Fatalf("pruning the seeds removed %d documents", rep.Removed)
	}
	if _, _, err := store.Document(ctx, "bj"); err != nil {
		t.Fatalf("upload gone after pruning the seeds: %v", err)
	}
}

func TestIngestDocumentIdentity(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	in := &Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
	fsys := fstest.MapFS{
		// Chinese names of the same length: one ID each (were both "----------").
		"laws/上海市价格管理条例.md": {Data: []byte(docTianjin)},
		"laws/上海市专利保护条例.md": {Data: []byte(docBeijing)},
		// The same name in two folders, different texts: both stored.
		"行政法/广告法(2021-04-29).md": {Data: []byte(docTianjin + "\n三、其他。广告应当真实。\n")},
		"经济法/广告法(2021-04-29).md": {Data: []byte(docBeijing + "\n三、其他。广告不得含有虚假内容。\n")},
		// The same name and the same bytes: stored once, the copy named.
		"宪法相关法/居民身份证法.md": {Data: []byte(docTianjin + "\n三、身份证。\n")},
		"行政法/居民身份证法.md":   {Data: []byte(docTianjin + "\n三、身份证。\n")},
	}
	r, err := in.IngestFS(ctx, fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 5 || len(r.Failed) != 1 {
		t.Fatalf("report %s, failed %v; want 5 documents and the copy failed", r, r.Failed)
	}
	if msg := r.Failed[0].Error(); !errors.Is(r.Failed[0], ErrDuplicate) ||
		!strings.Contains(msg, "行政法/居民身份证法.md") || !strings.Contains(msg, "宪法相关法/居民身份证法.md") {
		t.Errorf("duplicate error %q does not name both files", msg)
	}
	docs, _ := store.Documents(ctx)
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	want := []string{"上海市专利保护条例", "上海市价格管理条例", "居民身份证法", "广告法(2021-04-29)", "广告法(2021-04-29)-行政法"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids %q, want %q", ids, want)
	}
	// Stable: a second ingestion changes nothing.
	r, err = in.IngestFS(ctx, fsys, ".")
	if err != nil || r.Unchanged != 5 || r.Embedded != 0 {
		t.Errorf("second run: %s, %v", r, err)
	}
}

// A document stored under the ID an earlier DocumentID gave its file moves
// to the new ID on the next ingestion, keeping its status and embeddings.
func TestIngestMovesOldIDs(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	emb := &countingEmbedder{Embedder: embeddings.NewLocal(64)}
	in := &Ingester{Store: store, Embedder: emb}
	fsys := fstest.MapFS{"天津措施.txt": {Data: []byte(docTianjin)}}
	if _, err := in.IngestFS(ctx, fsys, "."); err != nil {
		t.Fatal(err)
	}
	doc, clauses, err := store.Document(ctx, "天津措施")
	if err != nil {
		t.Fatal(err)
	}
	// Store it again as the old DocumentID named it, retired.
	if err := store.RemoveDocument(ctx, doc.ID); err != nil {
		t.Fatal(err)
	}
	doc.ID, doc.Status = "----", StatusRetired
	ics := make([]IndexedClause, len(clauses))
	for i, c := range clauses {
		c.ID = fmt.Sprintf("----#%d", i+1)
		text := EmbedText(c, doc.Meta)
		sum := sha256.Sum256([]byte(text))
		vs, err := emb.Embed(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		ics[i] = IndexedClause{Clause: c, Ord: i, TextHash: hex.EncodeToString(sum[:]), Embedding: vs[0]}
	}
	if err := store.ReplaceDocument(ctx, doc, ics); err != nil {
		t.Fatal(err)
	}
	emb.n = 0
	r, err := in.IngestFS(ctx, fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if r.Embedded != 0 || r.Removed != 0 || r.Documents != 1 {
		t.Errorf("move: %s, want 1 document, none embedded or removed", r)
	}
	docs, _ := store.Documents(ctx)
	if len(docs) != 1 || docs[0].ID != "天津措施" || docs[0].Status != StatusRetired {
		t.Errorf("after the move: %+v, want one retired document 天津措施", docs)
	}
}

// A file told apart from a namesake keeps its ID when it is ingested alone
// (the admin pages' re-ingest), and never replaces the namesake.
func TestIngestKeepsDistinctIDAlone(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	in := &Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "经济法", "广告法.md"), filepath.Join(dir, "行政法", "广告法.md")
	for p, text := range map[string]string{a: docBeijing, b: docTianjin} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := in.IngestPaths(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(docTianjin+"\n三、新增。广告应当真实。\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := in.IngestPaths(ctx, b); err != nil {
		t.Fatal(err)
	}
	plain, _, err := store.Document(ctx, "广告法")
	if err != nil || plain.Source != a {
		t.Fatalf("广告法 is %+v (%v), want still the file %s", plain, err, a)
	}
	_, cs, err := store.Document(ctx, "广告法-行政法")
	if err != nil || len(cs) != 3 {
		t.Fatalf("广告法-行政法: %d clauses (%v), want the re-ingested 3", len(cs), err)
	}
}

// TestSharedAcrossSources: a file identical to a document already stored
// from another source (a law the embedded default ships, again in a
// corpus folder) is stored once and counted once.
func TestSharedAcrossSources(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	in := &Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
	doc := []byte("某市若干措施\n一、加大支持\n（一）减免房租。对中小企业减免房租。（责任单位：市财政局）\n")
	if _, err := in.IngestFS(ctx, fstest.MapFS{"laws/x.md": {Data: doc}}, "."); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), doc, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := in.IngestPaths(ctx, dir)
	if err != nil || rep.Shared != 1 || rep.Documents != 0 || len(rep.Failed) != 0 || !strings.Contains(rep.String(), "1 already stored from another source") {
		t.Fatalf("second source: %+v (%s), %v", rep, rep, err)
	}
	docs, _ := store.Documents(ctx)
	if len(docs) != 1 {
		t.Errorf("%d documents stored, want 1", len(docs))
	}
}
