// Package upload keeps what admins add to the corpus through the admin
// pages besides the documents themselves: the original bytes of uploaded
// files (so they can be re-ingested) and the corrections of metadata the
// parser read wrongly (so they survive re-ingest). The console uses it, and
// the stores (memory, PostgreSQL) implement it.
package upload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// SourceStore keeps the original bytes of uploaded documents, so an upload
// can be re-ingested (after a parser upgrade, say) like a file on disk.
// postgres.Store implements it, and MemorySources for the embedded default.
type SourceStore interface {
	// SaveSource keeps name and data as the source of document docID,
	// replacing what was kept before.
	SaveSource(ctx context.Context, docID, name string, data []byte) error
	// Source returns what SaveSource kept for docID, or ErrSourceNotFound.
	Source(ctx context.Context, docID string) (name string, data []byte, err error)
}

// ErrSourceNotFound is returned by SourceStore.Source when no source is kept
// for a document.
var ErrSourceNotFound = errors.New("no source kept for document")

var _ SourceStore = (*MemorySources)(nil)

// MemorySources is a SourceStore in memory. Its sources live as long as the
// process, like the documents of retrieval.MemoryStore they belong to.
type MemorySources struct {
	mu      sync.Mutex
	sources map[string]keptSource
}

type keptSource struct {
	name string
	data []byte
}

// NewMemorySources returns an empty MemorySources.
func NewMemorySources() *MemorySources {
	return &MemorySources{sources: map[string]keptSource{}}
}

// SaveSource keeps a copy of data: the caller's buffer may be reused.
func (m *MemorySources) SaveSource(_ context.Context, docID, name string, data []byte) error {
	if docID == "" {
		return errors.New("save source: empty document id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources[docID] = keptSource{name: name, data: slices.Clone(data)}
	return nil
}

// Source returns a copy of the kept bytes, so callers cannot change them.
func (m *MemorySources) Source(_ context.Context, docID string) (string, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sources[docID]
	if !ok {
		return "", nil, fmt.Errorf("source of %q: %w", docID, ErrSourceNotFound)
	}
	return s.name, slices.Clone(s.data), nil
}
