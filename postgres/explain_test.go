package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"policybot/retrieval"
)

// TestQueriesUseIndexes checks with EXPLAIN that vector search walks the HNSW
// index and lexical search the GIN index behind @@, on a corpus of the
// production size (3000 clauses, as the 78-document corpus). At this size the
// planner picks the indexes by cost, so enable_seqscan stays on: the test
// shows the plans production gets. (On a handful of rows a sequential scan is
// cheaper and rightly chosen, which is why the suite's tiny corpora are not
// used here.)
func TestQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const dims = 16
	if err := s.SetModel(ctx, retrieval.Model{Name: "explain", Dimensions: dims}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, dims)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return v
	}
	regions := []string{"天津市", "北京市", "全国"}
	for d := range 30 {
		id := fmt.Sprintf("doc%02d", d)
		var cs []retrieval.IndexedClause
		for i := range 100 {
			terms := []string{fmt.Sprintf("词%d", rng.IntN(2000)), fmt.Sprintf("词%d", rng.IntN(2000)), "常见"}
			cs = append(cs, indexed(fmt.Sprintf("%s-%d", id, i), i, terms, vec()))
		}
		if err := s.ReplaceDocument(ctx, doc(id, regions[d%3]), cs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE documents, clauses"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup string // run in the transaction before EXPLAIN
		sql   string
		args  []any
		want  string
	}{
		{"Vector", "SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)",
			vectorSQL(dims), []any{pgvector.NewVector(vec()), 10, nil}, "Index Scan using clauses_embedding_hnsw"},
		{"VectorRegion", "SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)",
			vectorSQL(dims), []any{pgvector.NewVector(vec()), 10, []string{"天津市", "全国"}}, "Index Scan using clauses_embedding_hnsw"},
		// Query terms are rare among clauses, as real question terms are;
		// a term in every clause would rightly be read sequentially.
		{"Lexical", "", lexicalSQL, []any{tsquery([]string{"词7", "词42"}), 10, nil}, "Bitmap Index Scan on clauses_lex_gin"},
	}
	// VectorSearch plans generically (plan_cache_mode): the plan made
	// without the query vector must walk the index too.
	t.Run("VectorGeneric", func(t *testing.T) {
		var lines []string
		err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)")
			if err == nil {
				_, err = tx.Exec(ctx, "PREPARE generic_vector(halfvec, integer, text[]) AS "+vectorSQL(dims))
			}
			if err != nil {
				return err
			}
			rows, err := tx.Query(ctx, "EXPLAIN EXECUTE generic_vector('"+pgvector.NewVector(vec()).String()+"', 10, NULL)")
			if err != nil {
				return err
			}
			lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "Index Scan using clauses_embedding_hnsw") {
			t.Errorf("generic plan does not use the index:\n%s", plan)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := explain(t, s, tt.setup, tt.sql, tt.args...)
			if !strings.Contains(plan, tt.want) {
				t.Errorf("plan does not use the index (%q):\n%s", tt.want, plan)
			}
			// The index must produce the order (not a Sort over all rows).
			if strings.HasPrefix(tt.name, "Vector") && !strings.Contains(plan, "Order By: ((embedding)::halfvec(") {
				t.Errorf("vector plan does not read the index in distance order:\n%s", plan)
			}
		})
	}
}

func explain(t *testing.T, s *Store, setup, sql string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
		if setup != "" {
			if _, err := tx.Exec(ctx, setup); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN (FORMAT TEXT) "+sql, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	return strings.Join(lines, "\n")
}

// TestBatchSettingsHold: the planner settings a search queues before its
// query hold for that query (a batch is one implicit transaction) and are
// gone afterwards from the pooled connection.
func TestBatchSettingsHold(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('hnsw.ef_search', '` + efSearch + `', true), set_config('enable_seqscan', 'off', true)`)
	b.Queue(`SELECT current_setting('hnsw.ef_search'), current_setting('enable_seqscan')`)
	br := conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		t.Fatal(err)
	}
	var ef, seqscan string
	if err := br.QueryRow().Scan(&ef, &seqscan); err != nil {
		t.Fatal(err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if ef != efSearch || seqscan != "off" {
		t.Errorf("within the batch: ef_search %s, enable_seqscan %s; want %s, off", ef, seqscan, efSearch)
	}
	if err := conn.QueryRow(ctx, `SELECT current_setting('hnsw.ef_search'), current_setting('enable_seqscan')`).Scan(&ef, &seqscan); err != nil {
		t.Fatal(err)
	}
	if ef == efSearch || seqscan != "on" {
		t.Errorf("after the batch: ef_search %s, enable_seqscan %s; want the defaults", ef, seqscan)
	}
}
