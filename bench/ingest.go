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
}

// Rate is clauses per second.
func (r IngestResult) Rate() float64 { return float64(r.Clauses) / r.Elapsed.Seconds() }

func (r IngestResult) String() string {
	return fmt.Sprintf("%d documents, %d clauses in %s: %.0f clauses/s", r.Documents, r.Clauses, r.Elapsed.Round(time.Millisecond), r.Rate())
}

// Ingest loads docs through the production path — retrieval.Ingester over
// an in-memory file system: parse, embed, one ReplaceDocument per document.
func Ingest(ctx context.Context, store retrieval.Store, emb embeddings.Embedder, docs []synth.Document) (IngestResult, error) {
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	start := time.Now()
	rep, err := in.IngestFS(ctx, synth.FS(docs), ".")
	res := IngestResult{Documents: rep.Documents, Clauses: rep.Clauses, Elapsed: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("bench ingest: %w", err)
	}
	if len(rep.Failed) > 0 {
		return res, fmt.Errorf("bench ingest: %d documents failed, first: %w", len(rep.Failed), rep.Failed[0])
	}
	return res, nil
}
