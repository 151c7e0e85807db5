package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"policybot/embeddings"
)

// A fresh memory store loaded through the cache holds what one loaded from
// the files holds, with nothing embedded; a changed file is parsed again.
func TestIngestDocCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fsys := fstest.MapFS{
		"tj.txt":        {Data: []byte(docTianjin)},
		"sub/bj.txt":    {Data: []byte(docBeijing)},
		"a/同名.txt":      {Data: []byte(docTianjin + "\n三、甲。\n")},
		"b/同名.txt":      {Data: []byte(docBeijing + "\n三、乙。\n")},
		"bad/empty.txt": {Data: []byte("")},
	}
	load := func() (*MemoryStore, Report, *countingEmbedder) {
		store := NewMemoryStore()
		emb := &countingEmbedder{Embedder: embeddings.NewLocal(64)}
		in := &Ingester{Store: store, Embedder: emb, Cache: NewFileCache(dir)}
		r, err := in.IngestFS(ctx, fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		return store, r, emb
	}
	first, r1, emb1 := load()
	if emb1.n == 0 || r1.Documents != 4 || len(r1.Failed) != 1 {
		t.Fatalf("first load: %s, %d embedded", r1, emb1.n)
	}
	second, r2, emb2 := load()
	if emb2.n != 0 || r2.Documents != 4 || len(r2.Failed) != 1 {
		t.Fatalf("second load: %s, %d embedded; want everything from the cache", r2, emb2.n)
	}
	for _, id := range []string{"tj", "bj", "同名", "同名-b"} {
		d1, c1, err1 := first.Document(ctx, id)
		d2, c2, err2 := second.Document(ctx, id)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", id, err1, err2)
		}
		d1.IngestedAt, d2.IngestedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(c1, c2) {
			t.Errorf("%s differs when loaded from the cache:\n%+v\n%+v", id, c1, c2)
		}
	}
	q := Query{Vector: mustEmbed(t, "小微企业续贷"), Terms: []string{"续贷"}, K: 5}
	h1, _ := first.LexicalSearch(ctx, q)
	h2, _ := second.LexicalSearch(ctx, q)
	if !reflect.DeepEqual(h1, h2) {
		t.Errorf("lexical search differs:\n%+v\n%+v", h1, h2)
	}

	// A changed file misses the cache; a damaged entry is a miss too.
	fsys["tj.txt"] = &fstest.MapFile{Data: []byte(docTianjin + "\n三、强化人才支撑。支持中小企业引进高层次人才。\n")}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".doc" {
			data, _ := os.ReadFile(p)
			if data[len(data)/2] == 0 {
				data[len(data)/2] = 1
			} else {
				data[len(data)/2] = 0
			}
			return os.WriteFile(p, data, 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	third, r3, emb3 := load()
	if r3.Documents != 4 || emb3.n == 0 {
		t.Fatalf("after a change: %s, %d embedded", r3, emb3.n)
	}
	if _, cs, _ := third.Document(ctx, "tj"); len(cs) != 3 {
		t.Errorf("changed file: %d clauses, want 3", len(cs))
	}
}

func mustEmbed(t *testing.T, text string) []float32 {
	t.Helper()
	vs, err := embeddings.NewLocal(64).Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatal(err)
	}
	return vs[0]
}

func TestDocCacheRejectsDamage(t *testing.T) {
	if _, err := decodeDoc(nil); err == nil {
		t.Error("empty entry decoded")
	}
	dv := DocumentVersion{Document: StoredDocument{ContentHash: "h"}, Clauses: []IndexedClause{{Terms: []string{"续贷", "小微"}, Embedding: []float32{0, 0.5, 0, -0.5}}}}
	data, err := encodeDoc(dv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeDoc(data)
	if err != nil || !reflect.DeepEqual(got.Clauses[0].Terms, dv.Clauses[0].Terms) || !reflect.DeepEqual(got.Clauses[0].Embedding, dv.Clauses[0].Embedding) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for i := range data {
		bad := append([]byte{}, data...)
		bad[i] ^= 0x40
		if _, err := decodeDoc(bad); err == nil {
			t.Fatalf("byte %d flipped: decoded", i)
		}
	}
	if _, err := decodeDoc(data[:len(data)-1]); err == nil {
		t.Error("truncated entry decoded")
	}
}
