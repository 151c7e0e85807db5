package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
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
