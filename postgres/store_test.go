package postgres

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/retrieval/storetest"
)

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) retrieval.Store { return openTest(t) })
}

func doc(id, region string) retrieval.StoredDocument {
	return retrieval.StoredDocument{Meta: policy.Meta{ID: id, Title: id, Region: region}, Status: retrieval.StatusActive}
}

func indexed(id string, ord int, terms []string, vec []float32) retrieval.IndexedClause {
	return retrieval.IndexedClause{Clause: policy.Clause{ID: id, Text: id}, Ord: ord, TextHash: "h-" + id, Terms: terms, Embedding: vec}
}

func TestSetModelChangesDimension(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDocument(ctx, doc("d", "天津市"), []retrieval.IndexedClause{
		indexed("d-0", 0, []string{"甲"}, []float32{1, 0, 0, 0}),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetModel(ctx, retrieval.Model{Name: "m8", Dimensions: 8}); err != nil {
		t.Fatalf("SetModel(8): %v", err)
	}
	var typmod int
	var indexed8 bool
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT atttypmod FROM pg_attribute WHERE attrelid = 'clauses'::regclass AND attname = 'embedding'),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'clauses_embedding_hnsw' AND schemaname = current_schema())`).
		Scan(&typmod, &indexed8)
	if err != nil || typmod != 8 || !indexed8 {
		t.Fatalf("after SetModel(8): column typmod %d, index %v, %v; want vector(8) with its HNSW index", typmod, indexed8, err)
	}
	// The 4-dimensional vector belonged to the old model: cleared, not searchable.
	v8 := []float32{1, 0, 0, 0, 0, 0, 0, 0}
	got, err := s.VectorSearch(ctx, retrieval.Query{Vector: v8, K: 5})
	if err != nil || len(got) != 0 {
		t.Errorf("VectorSearch after dimension change = %v, %v; want none", got, err)
	}
	// Its clause is still there for lexical search and for re-embedding.
	got, err = s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"甲"}, K: 5})
	if err != nil || len(got) != 1 {
		t.Errorf("LexicalSearch after dimension change = %v, %v; want d-0", got, err)
	}
	// A vector of the old dimension is refused now; one of the new is served.
	if err := s.ReplaceDocument(ctx, doc("d", "天津市"), []retrieval.IndexedClause{
		indexed("d-0", 0, []string{"甲"}, []float32{1, 0, 0, 0}),
	}); err == nil {
		t.Errorf("ReplaceDocument with a 4-dimensional vector into vector(8) succeeded")
	}
	if err := s.ReplaceDocument(ctx, doc("d", "天津市"), []retrieval.IndexedClause{indexed("d-0", 0, []string{"甲"}, v8)}); err != nil {
		t.Fatalf("ReplaceDocument(8): %v", err)
	}
	got, err = s.VectorSearch(ctx, retrieval.Query{Vector: v8, K: 5})
	if err != nil || len(got) != 1 || math.Abs(got[0].Cosine-1) > 1e-6 {
		t.Errorf("VectorSearch(8) = %+v, %v; want d-0 at cosine 1", got, err)
	}
}

func TestSetModelRejects(t *testing.T) {
	s := openTest(t)
	for _, m := range []retrieval.Model{{Name: "", Dimensions: 4}, {Name: "m", Dimensions: 0}, {Name: "big", Dimensions: 4001}} {
		if err := s.SetModel(context.Background(), m); err == nil {
			t.Errorf("SetModel(%+v) succeeded, want an error", m)
		}
	}
	// 3,072 dimensions (text-embedding-3-large) fit the half-precision index.
	if err := s.SetModel(context.Background(), retrieval.Model{Name: "large", Dimensions: 3072}); err != nil {
		t.Errorf("SetModel(3072 dimensions): %v", err)
	}
}

func TestZeroVectors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDocument(ctx, doc("d", "天津市"), []retrieval.IndexedClause{
		indexed("d-0", 0, []string{"甲"}, []float32{0, 0, 0, 0}),
		indexed("d-1", 1, []string{"甲"}, nil), // not embedded
		indexed("d-2", 2, []string{"甲"}, []float32{0, 1, 0, 0}),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{0, 0, 0, 0}, K: 5})
	if err != nil || len(got) != 0 {
		t.Errorf("VectorSearch(zero) = %v, %v; want none", got, err)
	}
	got, err = s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"甲"}, Vector: []float32{0, 1, 0, 0}, K: 5})
	if err != nil || len(got) != 3 {
		t.Fatalf("LexicalSearch = %v, %v; want 3", got, err)
	}
	for _, c := range got {
		want := map[string]float64{"d-2": 1}[c.Clause.ID] // zero and missing vectors: no similarity
		if math.IsNaN(c.Cosine) || math.Abs(c.Cosine-want) > 1e-6 {
			t.Errorf("%s cosine = %v, want %v", c.Clause.ID, c.Cosine, want)
		}
	}
}

func TestTSQuery(t *testing.T) {
	tests := []struct {
		terms []string
		want  string
	}{
		{nil, ""},
		{[]string{"", ""}, ""},
		{[]string{"续贷"}, "'续贷'"},
		{[]string{"续贷", "担保", "续贷"}, "'续贷' | '担保'"},
		{[]string{"it's", `a\b`, "x|y"}, `'it''s' | 'a\\b' | 'x|y'`},
	}
	for _, tt := range tests {
		if got := tsquery(tt.terms); got != tt.want {
			t.Errorf("tsquery(%q) = %s, want %s", tt.terms, got, tt.want)
		}
	}
}

// TestMigrateHalfvecIndex: a database indexed before migration 6 (HNSW on
// the full-precision vectors) gets the half-precision index the searches
// order by, and vector search uses it.
func TestMigrateHalfvecIndex(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m", Dimensions: 8}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DROP INDEX clauses_embedding_hnsw",
		"CREATE INDEX clauses_embedding_hnsw ON clauses USING hnsw (embedding vector_cosine_ops)",
		"ALTER TABLE clauses DROP COLUMN context_terms", // added by migration 7
		"ALTER TABLE clauses DROP COLUMN role",          // added by migration 8
		"ALTER TABLE clauses DROP COLUMN validity",      // added by migration 9
		"ALTER TABLE documents DROP COLUMN validity",
		"DROP TABLE validity_overrides",
		"ALTER TABLE unanswered DROP COLUMN document",   // added by migration 10
		"DROP TABLE login_attempts",                     // added by migration 11
		"ALTER TABLE clauses DROP COLUMN applicability", // added by migration 13
		"DROP TABLE profiles",                           // added by migration 14 (15 adds a column)
		"DROP TABLE push_log",                           // added by migration 16
		"ALTER TABLE users DROP COLUMN region",          // added by migration 17
		"DROP TABLE document_corrections",
		"DROP TABLE unanswered_handled",
		"DELETE FROM schema_migrations WHERE version >= 6",
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var def string
	err := s.pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes
		WHERE indexname = 'clauses_embedding_hnsw' AND schemaname = current_schema()`).Scan(&def)
	if err != nil || !strings.Contains(def, "halfvec(8)") {
		t.Errorf("index after migrating: %q, %v; want the halfvec(8) index", def, err)
	}
}

// TestCheckSchema: a database behind the binary's schema is reported (what /readyz says).
func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("fresh schema: %v", err)
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, ErrSchemaBehind) {
		t.Errorf("one migration short: %v, want ErrSchemaBehind", err)
	}
}
