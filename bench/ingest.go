package bench

import (
	"context"
	"fmt"
	"time"

	"policybot/bench/synth"
	"policybot/embeddings"
	"policybot/retrieval"
)

// IngestResult is one timed ingestion.
type IngestResult struct {
	Documents, Clauses int
	Elapsed            time.Duration
	// Finish is the part of Elapsed the store spent ending a bulk load
	// (PostgreSQL: building the HNSW index, ANALYZE); 0 for other stores.
	Finish time.Duration
}

// Rate is clauses per second.
func (r IngestResult) Rate() float64 { return float64(r.Clauses) / r.Elapsed.Seconds() }

func (r IngestResult) String() string {
	s := fmt.Sprintf("%d documents, %d clauses in %s: %.0f clauses/s", r.Documents, r.Clauses, r.Elapsed.Round(time.Millisecond), r.Rate())
	if r.Finish > 0 {
		load := r.Elapsed - r.Finish
		s += fmt.Sprintf(" (loading %s, %.0f clauses/s; then %s finishing the bulk load: index build, ANALYZE)",
			load.Round(time.Millisecond), float64(r.Clauses)/load.Seconds(), r.Finish.Round(time.Millisecond))
	}
	return s
}

// bulkStore is a store that loads in batches and in bulk mode (postgres.Store).
type bulkStore interface {
	retrieval.BatchStore
	retrieval.BulkLoader
}

// timedBulk times the end of a bulk load into *finish.
type timedBulk struct {
	bulkStore
	finish *time.Duration
}

func (t timedBulk) BeginBulk(ctx context.Context, clauses int) (func(context.Context) error, error) {
	end, err := t.bulkStore.BeginBulk(ctx, clauses)
	if end == nil {
		return end, err
	}
	return func(ctx context.Context) error {
		start := time.Now()
		defer func() { *t.finish += time.Since(start) }()
		return end(ctx)
	}, err
}

// Ingest loads docs through the production path — retrieval.Ingester over
// an in-memory file system: parse, embed, one ReplaceDocument per document.
func Ingest(ctx context.Context, store retrieval.Store, emb embeddings.Embedder, docs []synth.Document) (IngestResult, error) {
	var finish time.Duration
	if bs, ok := store.(bulkStore); ok {
		store = timedBulk{bs, &finish}
	}
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	start := time.Now()
	rep, err := in.IngestFS(ctx, synth.FS(docs), ".")
	res := IngestResult{Documents: rep.Documents, Clauses: rep.Clauses, Elapsed: time.Since(start), Finish: finish}
	if err != nil {
		return res, fmt.Errorf("bench ingest: %w", err)
	}
	if len(rep.Failed) > 0 {
		return res, fmt.Errorf("bench ingest: %d documents failed, first: %w", len(rep.Failed), rep.Failed[0])
	}
	return res, nil
}
