package retrieval

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"policybot/embeddings"
)

// failingEmbedder fails, or hangs until its context ends.
type failingEmbedder struct {
	embeddings.Embedder
	hang bool
}

func (f failingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("embeddings: 500 internal error")
}

// TestSearchWithoutEmbeddings: an embeddings outage leaves search
// lexical-only within the embed budget; the caller's own cancellation is
// still an error.
func TestSearchWithoutEmbeddings(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	local := embeddings.NewLocal(64)
	in := &Ingester{Store: store, Embedder: local}
	doc := []byte("天津市支持小微企业融资的若干措施\n一、加大信贷支持\n（一）支持续贷。对小微企业办理无还本续贷。（责任单位：市金融局）\n（二）降低担保费率。担保费率降至1%。（责任单位：市财政局）\n")
	if _, err := in.IngestFS(ctx, fstest.MapFS{"tj.txt": {Data: doc}}, "."); err != nil {
		t.Fatal(err)
	}
	for _, hang := range []bool{false, true} {
		s := NewSearcher(store, failingEmbedder{Embedder: local, hang: hang}, "")
		s.SetEmbedBudget(200 * time.Millisecond)
		start := time.Now()
		hits, err := s.Search(ctx, SearchRequest{Query: "小微企业无还本续贷", K: 3})
		if err != nil {
			t.Fatalf("hang %v: %v", hang, err)
		}
		if len(hits) == 0 || hits[0].Clause.Label != "（一）" {
			t.Errorf("hang %v: hits %v, want the 续贷 clause by its words", hang, hits)
		}
		if s.Degraded() != 1 {
			t.Errorf("hang %v: degraded %d, want 1", hang, s.Degraded())
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("hang %v: took %v with a 200 ms embed budget", hang, d)
		}
	}
	s := NewSearcher(store, failingEmbedder{Embedder: local, hang: true}, "")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Search(cctx, SearchRequest{Query: "续贷", K: 3}); err == nil {
		t.Error("a cancelled search succeeded")
	}
}
