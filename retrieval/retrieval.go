// Package retrieval finds the clauses that answer a question: the Store
// interface with its in-memory implementation, hybrid (vector + lexical)
// search with jurisdiction ranking, and corpus ingestion.
package retrieval

import (
	"context"
	"errors"
	"time"

	"policybot/policy"
)

// ErrNotFound is returned when a document or clause does not exist.
var ErrNotFound = errors.New("not found")

// ErrModelMismatch is returned by ingestion when the store holds embeddings
// of another model or dimension than the configured embedder's.
var ErrModelMismatch = errors.New("embedding model mismatch")

// Document statuses.
const (
	StatusActive  = "active"
	StatusRetired = "retired" // kept for audit, never retrieved
)

// Hit is one search result: a clause with its document, as served by /api/search.
type Hit struct {
	Score float64 `json:"score"`
	// Coverage is the share of the question's concepts (its subjects, by
	// weight) the clause covers at all, in [0, 1]; see Searcher.Search.
	Coverage float64       `json:"coverage"`
	Document policy.Meta   `json:"document"`
	Clause   policy.Clause `json:"clause"`
}

// StoredDocument is a document's row: its metadata and bookkeeping.
type StoredDocument struct {
	policy.Meta
	Source      string    `json:"source"`
	ContentHash string    `json:"content_hash"` // ContentHash: the source bytes and the parser version
	Status      string    `json:"status"`
	IngestedAt  time.Time `json:"ingested_at"`
	ClauseCount int       `json:"clause_count"`
	// ValidityFacts are what the parser read about the document's validity;
	// its status on a day is worked out by a ValidityIndex.
	ValidityFacts policy.Validity `json:"validity_facts"`
}

// IndexedClause is a clause as stored: with its position, lexical terms and embedding.
type IndexedClause struct {
	policy.Clause
	Ord       int       // 0-based position in the document
	TextHash  string    // sha256 of the embedded text (see EmbedText); key of the embedding cache
	Terms     []string  // lexical terms of title, path and text (segment.Terms), for the full-text index
	Context   []string  // terms of the clause's section it lacks (SectionContext)
	Embedding []float32 // from the store's embedding model
}

// Candidate is a clause a store proposes for a query, with what the searcher
// needs to score it the same way whichever store proposed it.
type Candidate struct {
	Document policy.Meta
	Clause   policy.Clause
	Terms    []string // the clause's stored lexical terms
	Cosine   float64  // cosine similarity between the query vector and the clause embedding
	// TitleTerms and PathTerms are the terms of the document title and of
	// the heading path, when the store keeps them (the memory store does);
	// nil: the searcher works them out.
	TitleTerms, PathTerms []string
	// ContextTerms are the clause's IndexedClause.Context.
	ContextTerms []string
}

// Query is what a store is asked for: up to K candidates near Vector (vector
// search) or matching any of Terms (lexical search), optionally restricted to
// documents of Regions. Only active documents are searched.
type Query struct {
	Vector  []float32
	Terms   []string
	Regions []string // nil: all regions
	K       int
}

// Stats are the corpus statistics lexical scoring needs (active documents only).
type Stats struct {
	Clauses int            // number of clauses
	AvgLen  float64        // average number of terms per clause
	DF      map[string]int // clauses containing each asked term
}

// Model names the embedding model whose vectors a store holds.
type Model struct {
	Name       string
	Dimensions int
}

// Store keeps documents and clauses and proposes candidates for search.
// Implementations: MemoryStore here, postgres.Store for production.
type Store interface {
	Ping(ctx context.Context) error

	// Documents lists every document, retired ones included, newest first.
	Documents(ctx context.Context) ([]StoredDocument, error)
	// Document returns one document with all its clauses in order.
	Document(ctx context.Context, id string) (StoredDocument, []policy.Clause, error)
	// ReplaceDocument stores doc and its clauses in one transaction, replacing
	// any earlier version: readers see the old or the new document, never half.
	// It also stores each clause embedding in the embedding cache.
	ReplaceDocument(ctx context.Context, doc StoredDocument, clauses []IndexedClause) error
	// RemoveDocument deletes a document and its clauses.
	RemoveDocument(ctx context.Context, id string) error
	// SetStatus retires or re-activates a document.
	SetStatus(ctx context.Context, id, status string) error

	// Model reports the embedding model of the stored vectors; zero Model when empty.
	Model(ctx context.Context) (Model, error)
	// SetModel records the embedding model; ingestion calls it before storing vectors.
	SetModel(ctx context.Context, m Model) error
	// CachedEmbeddings returns the cached embeddings of model for the given text hashes.
	CachedEmbeddings(ctx context.Context, model string, textHashes []string) (map[string][]float32, error)

	// VectorSearch returns the q.K active clauses nearest q.Vector, each
	// with its cosine.
	VectorSearch(ctx context.Context, q Query) ([]Candidate, error)
	// LexicalSearch returns the q.K active clauses ranking best for
	// q.Terms; when q.Vector is set each carries its cosine too (0 for a
	// clause without an embedding), so the searcher scores every candidate
	// alike whichever search proposed it.
	LexicalSearch(ctx context.Context, q Query) ([]Candidate, error)
	TermStats(ctx context.Context, terms []string) (Stats, error)
	// Applicable returns every clause of an active document that names
	// whom it is for (Clause.Applicability set), with its document.
	Applicable(ctx context.Context) ([]Candidate, error)
}

// SearchRequest is one search: the question as typed, the asker's region
// (empty: the configured default) and how many hits to return.
type SearchRequest struct {
	Query  string
	Region string
	K      int
	// AsOf is the day (YYYY-MM-DD) validity is decided on; empty: today.
	AsOf string
	// Status, when set, keeps only hits whose document has that validity
	// status (policy.StatusInForce …); empty keeps everything.
	Status string
}

// DocumentVersion is one document with its clauses, as ReplaceDocument takes them.
type DocumentVersion struct {
	Document StoredDocument
	Clauses  []IndexedClause
}

// BatchStore is a Store that also replaces many documents in one call.
// Ingestion uses it when the store offers it: a store paying a fixed cost
// per transaction (locks, statistics, index upkeep) pays it once per batch.
type BatchStore interface {
	Store
	// ReplaceDocuments does what ReplaceDocument does for each document, all
	// in one transaction: readers see the whole batch old or new. The
	// documents' IDs must be distinct.
	ReplaceDocuments(ctx context.Context, docs []DocumentVersion) error
}

// BulkLoader is a Store that can prepare for a load adding many clauses,
// e.g. by deferring index upkeep to one rebuild after the load.
type BulkLoader interface {
	Store
	// BeginBulk is told how many clauses a load is about to write. It
	// returns the function to call once the load is over, whether it
	// succeeded or not, which restores what BeginBulk changed (and, for a
	// large load, refreshes what the load made stale). When the load is too
	// small to gain from it, BeginBulk changes nothing.
	BeginBulk(ctx context.Context, clauses int) (end func(ctx context.Context) error, err error)
}
