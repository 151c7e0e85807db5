package bench

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policybot/bench/synth"
	"policybot/embeddings"
	"policybot/retrieval"
)

// slowBulk is a memory store that loads in batches and takes finishDelay to
// end a bulk load, as PostgreSQL takes to build its index.
type slowBulk struct {
	*retrieval.MemoryStore
	began int
}

const finishDelay = 30 * time.Millisecond

func (s *slowBulk) ReplaceDocuments(ctx context.Context, docs []retrieval.DocumentVersion) error {
	for _, d := range docs {
		if err := s.ReplaceDocument(ctx, d.Document, d.Clauses); err != nil {
			return err
		}
	}
	return nil
}

func (s *slowBulk) BeginBulk(ctx context.Context, clauses int) (func(context.Context) error, error) {
	s.began++
	return func(context.Context) error { time.Sleep(finishDelay); return nil }, nil
}

// TestIngestTimesBulkFinish: the end of a bulk load is reported apart from
// the loading.
func TestIngestTimesBulkFinish(t *testing.T) {
	m, err := synth.LoadMaterial(filepath.Join(sharedOrSkip(t), "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := synth.NewGenerator(m, 1).Corpus(200)
	store := &slowBulk{MemoryStore: retrieval.NewMemoryStore()}
	res, err := Ingest(context.Background(), store, embeddings.NewLocal(64), docs)
	if err != nil {
		t.Fatal(err)
	}
	if store.began != 1 || res.Finish < finishDelay || res.Finish >= res.Elapsed || res.Clauses < 200 {
		t.Errorf("bulk loads begun %d, result %+v: want one, its finish (≥ %s) inside the elapsed time", store.began, res, finishDelay)
	}
	if !strings.Contains(res.String(), "finishing the bulk load") {
		t.Errorf("report %q does not give the finish apart", res)
	}
	plain, err := Ingest(context.Background(), retrieval.NewMemoryStore(), embeddings.NewLocal(64), docs)
	if err != nil || plain.Finish != 0 || strings.Contains(plain.String(), "finishing") {
		t.Errorf("memory store: %v, %v; want no finish", plain, err)
	}
}
