package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"policybot/postgres"
	"policybot/retrieval"
)

// Questions reads the questions of the shared evaluation sets (dev and
// external-dev), answerable or not: they are the realistic query load.
func Questions(shared string) ([]string, error) {
	var out []string
	for _, f := range []string{"dev.jsonl", "external-dev.jsonl"} {
		qs, err := retrieval.LoadEval(filepath.Join(shared, "eval", f))
		if err != nil {
			return nil, fmt.Errorf("bench questions: %w", err)
		}
		for _, q := range qs {
			out = append(out, q.Q)
		}
	}
	return out, nil
}

// SearchLatency times s.Search (the whole hybrid search: embedding, vector
// and lexical candidates, statistics, scoring) for every question, runs
// times, and returns one summary per run.
func SearchLatency(ctx context.Context, s *retrieval.Searcher, questions []string, region string, runs int) ([]Summary, error) {
	var out []Summary
	for range runs {
		ds := make([]time.Duration, 0, len(questions))
		for _, q := range questions {
			start := time.Now()
			if _, err := s.Search(ctx, retrieval.SearchRequest{Query: q, Region: region, K: 10}); err != nil {
				return nil, fmt.Errorf("bench search %q: %w", q, err)
			}
			ds = append(ds, time.Since(start))
		}
		out = append(out, Summarize(ds))
	}
	return out, nil
}

// EfResult is the vector search at one hnsw.ef_search.
type EfResult struct {
	EfSearch int
	Latency  Summary
	Recall   float64 // mean recall@k against exact search (Recall)
	// TiedRecall is the mean TiedRecall: equally near clauses count alike.
	TiedRecall float64
}

// nearestSQL is the shape of postgres.Store.VectorSearch without a region
// filter, returning ids and full-precision distances, the nearest chosen
// by order (see postgres.VectorDistance).
func nearestSQL(order string) string {
	return `WITH nearest AS MATERIALIZED (
	SELECT c.id, c.embedding <=> $1 AS distance
	FROM clauses c JOIN documents d ON d.id = c.document_id
	WHERE c.embedding IS NOT NULL AND d.status = 'active'
	ORDER BY ` + order + `
	LIMIT $2)
SELECT id, distance FROM nearest ORDER BY distance, id`
}

// Neighbors are a vector search's results, nearest first, with their
// full-precision cosine distances.
type Neighbors struct {
	IDs      []string
	Distance []float64
}

// exactOrder is the full-precision distance: the exact search ranks by it,
// the true order the index's half-precision graph approximates.
const exactOrder = "c.embedding <=> $1"

// Exact returns the true k nearest clauses of each vector: the same query
// with index scans off, i.e. a sequential scan and sort.
func Exact(ctx context.Context, pool *pgxpool.Pool, vecs [][]float32, k int) ([]Neighbors, error) {
	out := make([]Neighbors, len(vecs))
	for i, v := range vecs {
		err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = off"); err != nil {
				return err
			}
			var err error
			out[i], err = nearest(ctx, tx, exactOrder, v, k)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench exact search: %w", err)
		}
	}
	return out, nil
}

func nearest(ctx context.Context, tx pgx.Tx, order string, v []float32, k int) (Neighbors, error) {
	var n Neighbors
	rows, err := tx.Query(ctx, nearestSQL(order), pgvector.NewVector(v), k)
	if err != nil {
		return n, err
	}
	var id string
	var d float64
	_, err = pgx.ForEachRow(rows, []any{&id, &d}, func() error {
		n.IDs = append(n.IDs, id)
		n.Distance = append(n.Distance, d)
		return nil
	})
	return n, err
}

// EfStudy times the HNSW search of every vector at each ef_search (with the
// iterative scan production uses) and scores it against exact.
func EfStudy(ctx context.Context, pool *pgxpool.Pool, vecs [][]float32, exact []Neighbors, k int, efs []int, runs int) ([]EfResult, error) {
	var out []EfResult
	for _, ef := range efs {
		var sums []Summary
		var recall, tied float64
		for run := range runs {
			ds := make([]time.Duration, 0, len(vecs))
			recall, tied = 0, 0
			for i, v := range vecs {
				start := time.Now()
				var got Neighbors
				err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, `SELECT set_config('hnsw.ef_search', $1, true),
						set_config('hnsw.iterative_scan', 'relaxed_order', true)`, strconv.Itoa(ef))
					if err != nil {
						return err
					}
					got, err = nearest(ctx, tx, postgres.VectorDistance(len(v), 1), v, k)
					return err
				})
				if err != nil {
					return nil, fmt.Errorf("bench ef study (ef %d): %w", ef, err)
				}
				ds = append(ds, time.Since(start))
				recall += Recall(got.IDs, exact[i].IDs, k)
				tied += TiedRecall(got.Distance, exact[i].Distance, k)
			}
			_ = run
			sums = append(sums, Summarize(ds))
		}
		out = append(out, EfResult{EfSearch: ef, Latency: MedianSummary(sums), Recall: recall / float64(len(vecs)), TiedRecall: tied / float64(len(vecs))})
	}
	return out, nil
}

// tieEpsilon: distances this close count as equal (float32 embeddings).
const tieEpsilon = 1e-6

// TiedRecall is recall@k that counts ties as found: the share of got's
// first k results no farther than the exact k-th nearest (the definition
// of ann-benchmarks). When several clauses are equally near — the same
// sentence in several documents — any k of them are a right answer, while
// Recall counts the ones the exact sort happened to put first.
func TiedRecall(got, exact []float64, k int) float64 {
	if len(exact) == 0 {
		return 1
	}
	want := min(k, len(exact))
	limit := exact[want-1] + tieEpsilon
	n := 0
	for _, d := range got[:min(k, len(got))] {
		if d <= limit {
			n++
		}
	}
	return float64(min(n, want)) / float64(want)
}

// Recall is the share of the exact top k that got holds.
func Recall(got, exact []string, k int) float64 {
	if len(exact) == 0 {
		return 1
	}
	want := map[string]bool{}
	for _, id := range exact[:min(k, len(exact))] {
		want[id] = true
	}
	n := 0
	for _, id := range got[:min(k, len(got))] {
		if want[id] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

var reVectorLiteral = regexp.MustCompile(`'\[[-0-9.,e ]*\]'::(vector|halfvec)`)

// Explain returns EXPLAIN (ANALYZE, BUFFERS) of the production vector query
// (ef_search 100, iterative scan) and of a lexical query for terms.
func Explain(ctx context.Context, pool *pgxpool.Pool, v []float32, terms []string) (vector, lexical string, err error) {
	plan := func(tx pgx.Tx, sql string, args ...any) (string, error) {
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			return "", err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		// The query vector is printed in full; 512 numbers say nothing.
		return reVectorLiteral.ReplaceAllString(strings.Join(lines, "\n"), "'[…]'::$1"), err
	}
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`)
		if err != nil {
			return err
		}
		if vector, err = plan(tx, nearestSQL(postgres.VectorDistance(len(v), 1)), pgvector.NewVector(v), 60); err != nil {
			return err
		}
		var q []string
		for _, t := range terms {
			q = append(q, "'"+strings.ReplaceAll(t, "'", "''")+"'")
		}
		lexical, err = plan(tx, `SELECT c.id FROM clauses c JOIN documents d ON d.id = c.document_id, CAST($1 AS tsquery) q
			WHERE c.lex @@ q AND d.status = 'active' ORDER BY ts_rank(c.lex, q) DESC, c.id LIMIT 60`, strings.Join(q, " | "))
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("bench explain: %w", err)
	}
	return vector, lexical, nil
}
