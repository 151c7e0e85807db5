package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"policybot/policy"
	"policybot/retrieval"
)

// Correction is an admin's correction of metadata the parser read wrongly;
// an empty field keeps what was read.
type Correction struct {
	Title  string    `json:"title,omitempty"`
	Number string    `json:"number,omitempty"`
	Issuer string    `json:"issuer,omitempty"`
	Date   string    `json:"date,omitempty"`
	Region string    `json:"region,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Empty reports whether c corrects nothing.
func (c Correction) Empty() bool {
	return c.Title == "" && c.Number == "" && c.Issuer == "" && c.Date == "" && c.Region == ""
}

// maxFieldRunes bounds a corrected field (the longest real title is under 100).
const maxFieldRunes = 200

// Check validates c: a date is YYYY-MM-DD, no field holds a line break or
// runs over maxFieldRunes.
func (c Correction) Check() error {
	for _, f := range [][2]string{{"标题", c.Title}, {"文号", c.Number}, {"发文机关", c.Issuer}, {"日期", c.Date}, {"地区", c.Region}} {
		if utf8.RuneCountInString(f[1]) > maxFieldRunes || strings.ContainsAny(f[1], "\r\n") {
			return fmt.Errorf("%s过长或含换行", f[0])
		}
	}
	if c.Date != "" {
		if _, err := policy.ParseDay(c.Date); err != nil {
			return fmt.Errorf("日期格式为 YYYY-MM-DD")
		}
	}
	return nil
}

// Apply puts the corrected fields into m.
func (c Correction) Apply(m *policy.Meta) {
	for _, f := range []struct {
		dst *string
		v   string
	}{{&m.Title, c.Title}, {&m.Number, c.Number}, {&m.Issuer, c.Issuer}, {&m.Date, c.Date}, {&m.Region, c.Region}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
}

// key names the corrected fields (not who made them or when).
func (c Correction) key() string {
	if c.Empty() {
		return ""
	}
	b, _ := json.Marshal([]string{c.Title, c.Number, c.Issuer, c.Date, c.Region})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// CorrectionStore keeps the admins' metadata corrections by document ID,
// apart from the documents, so they survive re-ingest: postgres.Store, and
// MemoryCorrections beside the memory store.
type CorrectionStore interface {
	// Corrections returns every correction by document ID.
	Corrections(ctx context.Context) (map[string]Correction, error)
	// SetCorrection stores c for document id; an empty c removes it.
	SetCorrection(ctx context.Context, id string, c Correction) error
}

var _ CorrectionStore = (*MemoryCorrections)(nil)

// MemoryCorrections keeps corrections in memory, as long as the memory
// store keeps the uploads they belong to.
type MemoryCorrections struct {
	mu sync.Mutex
	m  map[string]Correction
}

// Corrections returns a copy of the corrections.
func (m *MemoryCorrections) Corrections(context.Context) (map[string]Correction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Correction, len(m.m))
	for k, v := range m.m {
		out[k] = v
	}
	return out, nil
}

// SetCorrection stores or removes one correction.
func (m *MemoryCorrections) SetCorrection(_ context.Context, id string, c Correction) error {
	if err := c.Check(); err != nil {
		return fmt.Errorf("set correction of %q: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Empty() {
		delete(m.m, id)
		return nil
	}
	if m.m == nil {
		m.m = map[string]Correction{}
	}
	m.m[id] = c
	return nil
}

// hashMark separates a stored content hash from the key of the correction
// applied to the stored version.
const hashMark = "+meta:"

// Corrected returns store with corrections applied as documents are stored:
// an ingester over it stores every document with its correction, so a
// re-ingest keeps what the admin corrected. The stored content hash also
// names the correction, and Documents reports a hash that cannot match the
// source's when the correction changed since, so the ingester stores the
// document again rather than skipping it as unchanged. Only the methods an
// ingestion of one document uses are changed; meant for the admin pages'
// uploads and re-ingests, not for bulk loads (it hides BatchStore).
func Corrected(store retrieval.Store, cs CorrectionStore) retrieval.Store {
	return &corrected{Store: store, cs: cs}
}

type corrected struct {
	retrieval.Store
	cs CorrectionStore
}

// ReplaceDocument stores doc with its correction applied.
func (s *corrected) ReplaceDocument(ctx context.Context, doc retrieval.StoredDocument, clauses []retrieval.IndexedClause) error {
	all, err := s.cs.Corrections(ctx)
	if err != nil {
		return fmt.Errorf("store corrected %s: %w", doc.ID, err)
	}
	c, ok := all[doc.ID]
	doc.ContentHash, _, _ = strings.Cut(doc.ContentHash, hashMark)
	if ok && !c.Empty() {
		c.Apply(&doc.Meta)
		doc.ContentHash += hashMark + c.key()
	}
	return s.Store.ReplaceDocument(ctx, doc, clauses)
}

// Documents reports each document's source hash when its stored version
// carries its current correction, and a hash matching no source when not.
func (s *corrected) Documents(ctx context.Context) ([]retrieval.StoredDocument, error) {
	docs, err := s.Store.Documents(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.cs.Corrections(ctx)
	if err != nil {
		return nil, fmt.Errorf("documents: corrections: %w", err)
	}
	for i := range docs {
		d := &docs[i]
		want := all[d.ID].key()
		hash, got, _ := strings.Cut(d.ContentHash, hashMark)
		if got == want {
			d.ContentHash = hash
		} else {
			d.ContentHash = hash + "+stale"
		}
	}
	return docs, nil
}
