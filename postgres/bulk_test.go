package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"policybot/retrieval"
)

// version makes a document of n clauses; clause i holds the terms "共" (in
// every clause, twice, so document frequency must count it once), tag and
// "词i".
func version(id, status, tag string, n int) retrieval.DocumentVersion {
	d := doc(id, "天津市")
	d.Status = status
	v := retrieval.DocumentVersion{Document: d}
	for i := range n {
		v.Clauses = append(v.Clauses, indexed(fmt.Sprintf("%s-%d", id, i), i,
			[]string{"共", tag, fmt.Sprintf("词%d", i), "共"}, []float32{1, float32(i), 0, 0}))
	}
	return v
}

// checkStats compares corpus_stats and term_df with figures recomputed from
// the active clauses, the definition they must keep.
func checkStats(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var clauses, terms, wantClauses, wantTerms int64
	err := s.pool.QueryRow(ctx, `SELECT s.clauses, s.terms,
			(SELECT count(*) FROM clauses c JOIN documents d ON d.id = c.document_id WHERE d.status = 'active'),
			(SELECT coalesce(sum(cardinality(c.terms)), 0) FROM clauses c JOIN documents d ON d.id = c.document_id WHERE d.status = 'active')
		FROM corpus_stats s`).Scan(&clauses, &terms, &wantClauses, &wantTerms)
	if err != nil {
		t.Fatal(err)
	}
	if clauses != wantClauses || terms != wantTerms {
		t.Errorf("corpus_stats = %d clauses, %d terms; recomputed %d, %d", clauses, terms, wantClauses, wantTerms)
	}
	rows, err := s.pool.Query(ctx, `
		WITH want AS (
			SELECT t.term, count(*) AS df
			FROM clauses c JOIN documents d ON d.id = c.document_id AND d.status = 'active',
				LATERAL (SELECT DISTINCT u AS term FROM unnest(c.terms) u) t
			GROUP BY t.term)
		SELECT coalesce(w.term, h.term), coalesce(h.df, 0), coalesce(w.df, 0)
		FROM want w FULL JOIN term_df h ON h.term = w.term
		WHERE h.df IS DISTINCT FROM w.df`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var term string
		var have, want int64
		if err := rows.Scan(&term, &have, &want); err != nil {
			t.Fatal(err)
		}
		t.Errorf("term_df[%s] = %d, recomputed %d", term, have, want)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestReplaceDocumentsStatsExact(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	// Each step replaces a batch over what the steps before left; the
	// statistics must match a recount after every one.
	steps := []struct {
		name  string
		batch []retrieval.DocumentVersion
	}{
		{"Load", []retrieval.DocumentVersion{version("a", "active", "甲", 3), version("b", "active", "乙", 2), version("r", "retired", "丙", 2)}},
		{"ShrinkGrowAdd", []retrieval.DocumentVersion{version("a", "active", "甲", 1), version("b", "active", "丁", 4), version("c", "active", "甲", 2)}},
		{"Retire", []retrieval.DocumentVersion{version("a", "retired", "甲", 1), version("b", "active", "丁", 4)}},
		{"Reactivate", []retrieval.DocumentVersion{version("r", "active", "丙", 1), version("a", "active", "戊", 2)}},
		{"Empty", []retrieval.DocumentVersion{version("c", "active", "甲", 0)}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := s.ReplaceDocuments(ctx, st.batch); err != nil {
				t.Fatal(err)
			}
			checkStats(t, s)
			for _, v := range st.batch {
				got, clauses, err := s.Document(ctx, v.Document.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != v.Document.Status || got.ClauseCount != len(v.Clauses) || len(clauses) != len(v.Clauses) {
					t.Errorf("%s: status %s, %d clauses (count %d); want %s, %d",
						v.Document.ID, got.Status, len(clauses), got.ClauseCount, v.Document.Status, len(v.Clauses))
				}
			}
		})
	}
	// Removing and retiring one by one keep the figures exact too.
	if err := s.RemoveDocument(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, "a", retrieval.StatusRetired); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s)
}

func TestReplaceDocumentsFailsWhole(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	before := version("a", "active", "甲", 2)
	if err := s.ReplaceDocuments(ctx, []retrieval.DocumentVersion{before}); err != nil {
		t.Fatal(err)
	}
	wrongDims := version("b", "active", "乙", 2)
	wrongDims.Clauses[1].Embedding = []float32{1, 0}
	tests := []struct {
		name    string
		batch   []retrieval.DocumentVersion
		errText string
	}{
		{"WrongDimension", []retrieval.DocumentVersion{version("a", "active", "新", 5), wrongDims}, "replace 2 documents (a…b)"},
		{"DuplicateID", []retrieval.DocumentVersion{version("a", "active", "新", 5), version("a", "active", "新", 1)}, `document "a" twice`},
		{"EmptyID", []retrieval.DocumentVersion{version("", "active", "新", 1)}, "empty id"},
		{"BadStatus", []retrieval.DocumentVersion{version("a", "draft", "新", 1)}, `unknown status "draft"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ReplaceDocuments(ctx, tt.batch)
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Fatalf("ReplaceDocuments = %v, want an error containing %q", err, tt.errText)
			}
			// Nothing of the batch was written: a is still its old version.
			_, clauses, err := s.Document(ctx, "a")
			if err != nil || len(clauses) != len(before.Clauses) {
				t.Errorf("after a failed batch: a has %d clauses, %v; want the old %d", len(clauses), err, len(before.Clauses))
			}
			if _, _, err := s.Document(ctx, "b"); err == nil {
				t.Errorf("after a failed batch: b exists")
			}
			checkStats(t, s)
		})
	}
}

// searchIndexes reports whether the HNSW and the GIN index exist.
func searchIndexes(t *testing.T, s *Store) (hnsw, gin bool) {
	t.Helper()
	err := s.pool.QueryRow(context.Background(), `SELECT
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'clauses_embedding_hnsw' AND schemaname = current_schema()),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'clauses_lex_gin' AND schemaname = current_schema())`).Scan(&hnsw, &gin)
	if err != nil {
		t.Fatal(err)
	}
	return hnsw, gin
}

func TestBeginBulk(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	// 1,200 clauses stored: a load beats both thresholds above 1,200 × 0.2
	// and bulkMinClauses.
	var docs []retrieval.DocumentVersion
	for i := range 60 {
		docs = append(docs, version(fmt.Sprintf("d%02d", i), "active", "甲", 20))
	}
	if err := s.ReplaceDocuments(ctx, docs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		clauses     int
		wantDrop    bool // the indexes are gone during the load
		wantAnalyze bool
	}{
		{"Small", 100, false, false},
		{"ShareButFewClauses", bulkMinClauses, false, true},
		{"Large", bulkMinClauses + 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, err := s.BeginBulk(ctx, tt.clauses)
			if err != nil {
				t.Fatal(err)
			}
			if hnsw, gin := searchIndexes(t, s); hnsw == tt.wantDrop || gin == tt.wantDrop {
				t.Errorf("during the load: HNSW index %v, GIN index %v; want them dropped: %v", hnsw, gin, tt.wantDrop)
			}
			// What is loaded meanwhile is indexed by the rebuild.
			if err := s.ReplaceDocuments(ctx, []retrieval.DocumentVersion{version("new-"+tt.name, "active", "乙"+tt.name, 3)}); err != nil {
				t.Fatal(err)
			}
			if err := end(ctx); err != nil {
				t.Fatal(err)
			}
			if hnsw, gin := searchIndexes(t, s); !hnsw || !gin {
				t.Fatalf("after end: HNSW index %v, GIN index %v; want both", hnsw, gin)
			}
			got, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{1, 2, 0, 0}, K: 3})
			if err != nil || len(got) != 3 {
				t.Errorf("VectorSearch after the load = %d candidates, %v", len(got), err)
			}
			got, err = s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"乙" + tt.name}, K: 10})
			if err != nil || len(got) != 3 {
				t.Errorf("LexicalSearch after the load = %d candidates, %v; want the 3 clauses loaded", len(got), err)
			}
			if tt.wantAnalyze {
				// ANALYZE sets the planner's row count; each subtest adds
				// 3 clauses, so an earlier ANALYZE does not match.
				var estimated float64
				var actual int64
				err := s.pool.QueryRow(ctx, `SELECT (SELECT reltuples FROM pg_class WHERE oid = 'clauses'::regclass),
					(SELECT count(*) FROM clauses)`).Scan(&estimated, &actual)
				if err != nil {
					t.Fatal(err)
				}
				if int64(estimated) != actual {
					t.Errorf("planner estimates %v clauses, table holds %d: not analyzed", estimated, actual)
				}
			}
		})
	}
	t.Run("RepairsMissingIndex", func(t *testing.T) {
		// A bulk load that died before its end left no index.
		if err := s.dropSearchIndexes(ctx); err != nil {
			t.Fatal(err)
		}
		end, err := s.BeginBulk(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if hnsw, gin := searchIndexes(t, s); !hnsw || !gin {
			t.Errorf("BeginBulk of a small load left HNSW index %v, GIN index %v; want both rebuilt", hnsw, gin)
		}
		if err := end(ctx); err != nil {
			t.Fatal(err)
		}
	})
	checkStats(t, s)
}
