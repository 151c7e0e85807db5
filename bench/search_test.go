package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"policybot/bench/synth"
	"policybot/embeddings"
	"policybot/retrieval"
)

// sharedOrSkip finds ../shared or skips (fails under CI=true).
func sharedOrSkip(tb testing.TB) string {
	tb.Helper()
	dir, err := FindShared()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	return dir
}

// BenchmarkMemorySearch is issue 3's speed target: the hybrid search over
// the real corpus (seeds + shared/corpus) in memory, one eval question per op.
//
//	go test ./bench -run '^$' -bench MemorySearch -count 5
func BenchmarkMemorySearch(b *testing.B) {
	shared := sharedOrSkip(b)
	ctx := context.Background()
	emb := embeddings.NewLocal(0)
	store := retrieval.NewMemoryStore()
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	if _, err := in.IngestPaths(ctx, filepath.Join(shared, "seeds"), filepath.Join(shared, "corpus")); err != nil {
		b.Fatal(err)
	}
	questions, err := Questions(shared)
	if err != nil {
		b.Fatal(err)
	}
	s := retrieval.NewSearcher(store, emb, "")
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Search(ctx, retrieval.SearchRequest{Query: questions[i%len(questions)], Region: "天津市", K: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSynthDocument is the generator's cost per document (about 20 clauses).
func BenchmarkSynthDocument(b *testing.B) {
	shared := sharedOrSkip(b)
	m, err := synth.LoadMaterial(filepath.Join(shared, "corpus"))
	if err != nil {
		b.Fatal(err)
	}
	g := synth.NewGenerator(m, 1)
	b.ResetTimer()
	for i := range b.N {
		if d := g.Document(i); d.Clauses == 0 {
			b.Fatal("empty document")
		}
	}
}
