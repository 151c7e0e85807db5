package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"policybot/retrieval"
)

// efSearch is the HNSW candidate list size per query: larger than any K the
// searcher asks for, so recall stays high without scanning the whole graph.
const efSearch = "100"

const candidateColumns = `c.id, c.label, c.path, c.title, c.text, c.agencies, c.lead_agencies, c.terms,
	c.context_terms, c.role, c.validity, d.id AS doc_id, d.title AS doc_title, d.number, d.issuer, d.date, d.region, d.kind`

// regionFilter is true for every active document when $n is NULL.
func regionFilter(n int) string {
	return fmt.Sprintf("d.status = 'active' AND ($%d::text[] IS NULL OR d.region = ANY($%[1]d::text[]))", n)
}

// regions maps an empty filter to NULL (all regions).
func regions(q retrieval.Query) []string {
	if len(q.Regions) == 0 {
		return nil
	}
	return q.Regions
}

// VectorSearch returns up to q.K active clauses nearest to q.Vector by cosine
// distance, through the HNSW index.
func (s *Store) VectorSearch(ctx context.Context, q retrieval.Query) ([]retrieval.Candidate, error) {
	if q.K <= 0 || isZero(q.Vector) {
		// A zero vector has no direction: every cosine distance would be NaN.
		return nil, nil
	}
	var out []retrieval.Candidate
	err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
		// set_config(..., true) lasts for this transaction only; a plain SET
		// would stick to the pooled connection.
		// Iterative scan: the status and region filters apply after the
		// index, so without it a filtered query could return fewer than K
		// rows although more match. relaxed_order may return neighbours
		// slightly out of order; the outer ORDER BY restores it.
		// enable_seqscan off: on a small corpus the planner scans and sorts
		// every clause (11 ms for 2,392 clauses) where the index takes
		// 2.5 ms (EXPLAIN ANALYZE); on a large one it takes the index anyway.
		_, err := tx.Exec(ctx, `SELECT set_config('hnsw.ef_search', $1, true),
			set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('enable_seqscan', 'off', true)`, efSearch)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, vectorSQL(len(q.Vector)), pgvector.NewVector(q.Vector), q.K, regions(q))
		if err != nil {
			return err
		}
		out, err = collectCandidates(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: vector search: %w", err)
	}
	return out, nil
}

// vectorSQL finds the nearest clauses through the index (see VectorDistance)
// reading only their ids, then fetches the K kept with their columns and
// full-precision distance. Selecting every column and the distance in the
// ordering query made PostgreSQL, when it scans rather than uses the index
// (a small corpus), detoast the terms and compute both distances of every
// clause, not of the K it keeps: 18.6 ms for 2,392 clauses (EXPLAIN ANALYZE),
// most of an answer's database time under load.
func vectorSQL(dims int) string {
	return `WITH nearest AS MATERIALIZED (
	SELECT c.id
	FROM clauses c JOIN documents d ON d.id = c.document_id
	WHERE c.embedding IS NOT NULL AND ` + regionFilter(3) + `
	ORDER BY ` + VectorDistance(dims, 1) + `
	LIMIT $2)
SELECT ` + candidateColumns + `, c.embedding <=> $1 AS distance
	FROM nearest n JOIN clauses c ON c.id = n.id JOIN documents d ON d.id = c.document_id
	ORDER BY distance, c.id`
}

// LexicalSearch returns up to q.K active clauses having any of q.Terms, best
// ts_rank first, through the GIN index on the clauses' lexemes. When
// q.Vector is set, each candidate's Cosine is filled in too.
func (s *Store) LexicalSearch(ctx context.Context, q retrieval.Query) ([]retrieval.Candidate, error) {
	query := tsquery(q.Terms)
	if q.K <= 0 || query == "" {
		return nil, nil
	}
	var vec *pgvector.Vector // NULL: no cosine asked for
	if !isZero(q.Vector) {
		v := pgvector.NewVector(q.Vector)
		vec = &v
	}
	var out []retrieval.Candidate
	err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
		// On a small corpus the planner reads every clause's lexemes
		// (10 ms for 2,392 clauses) where the GIN index takes 4 ms.
		if _, err := tx.Exec(ctx, `SELECT set_config('enable_seqscan', 'off', true)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, lexicalSQL, query, q.K, regions(q), vec)
		if err != nil {
			return err
		}
		out, err = collectCandidates(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: lexical search: %w", err)
	}
	return out, nil
}

// lexicalSQL ranks the matching clauses reading only their lexemes, then
// fetches the K best with their text, terms and cosine. Selecting every
// column in the ranking query made PostgreSQL work out the cosine and read
// the terms of every matching row, not of the K it keeps (measured with
// corpus-xl: see BENCHMARKS.md).
var lexicalSQL = `WITH ranked AS MATERIALIZED (
	SELECT c.id, ts_rank(c.lex, q) AS rank
	FROM clauses c JOIN documents d ON d.id = c.document_id, CAST($1 AS tsquery) q
	WHERE c.lex @@ q AND ` + regionFilter(3) + `
	ORDER BY rank DESC, c.id
	LIMIT $2)
SELECT ` + candidateColumns + `, c.embedding <=> $4::vector
	FROM ranked r JOIN clauses c ON c.id = r.id JOIN documents d ON d.id = c.document_id
	ORDER BY r.rank DESC, c.id`

// tsquery builds an OR query of the terms, each quoted as a lexeme, so that
// operators or quotes inside a term are matched literally and never parsed
// as tsquery syntax. It is passed as a parameter: no SQL is built from terms.
func tsquery(terms []string) string {
	var b strings.Builder
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if b.Len() > 0 {
			b.WriteString(" | ")
		}
		b.WriteByte('\'')
		for _, r := range t {
			switch r {
			case '\'':
				b.WriteString("''")
			case '\\':
				b.WriteString(`\\`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\'')
	}
	return b.String()
}

func collectCandidates(rows pgx.Rows) ([]retrieval.Candidate, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (retrieval.Candidate, error) {
		var (
			c        retrieval.Candidate
			distance *float64
		)
		err := r.Scan(&c.Clause.ID, &c.Clause.Label, &c.Clause.Path, &c.Clause.Title, &c.Clause.Text,
			&c.Clause.Agencies, &c.Clause.LeadAgencies, &c.Terms, &c.ContextTerms, &c.Clause.Role, &c.Clause.Validity,
			&c.Document.ID, &c.Document.Title, &c.Document.Number, &c.Document.Issuer, &c.Document.Date,
			&c.Document.Region, &c.Document.Kind, &distance)
		// NULL (no embedding, or no query vector) and NaN (a stored zero
		// vector) both mean no similarity.
		if distance != nil && !math.IsNaN(*distance) {
			c.Cosine = 1 - *distance
		}
		return c, err
	})
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// TermStats returns the corpus statistics of active documents and the
// document frequency of each of terms, read in one snapshot.
func (s *Store) TermStats(ctx context.Context, terms []string) (retrieval.Stats, error) {
	st := retrieval.Stats{DF: make(map[string]int, len(terms))}
	err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
		var clauses, total int64
		if err := tx.QueryRow(ctx, "SELECT clauses, terms FROM corpus_stats").Scan(&clauses, &total); err != nil {
			return err
		}
		st.Clauses = int(clauses)
		if clauses > 0 {
			st.AvgLen = float64(total) / float64(clauses)
		}
		if len(terms) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, "SELECT term, df FROM term_df WHERE term = ANY($1)", terms)
		if err != nil {
			return err
		}
		var (
			term string
			df   int
		)
		_, err = pgx.ForEachRow(rows, []any{&term, &df}, func() error {
			st.DF[term] = df
			return nil
		})
		return err
	})
	if err != nil {
		return retrieval.Stats{}, fmt.Errorf("postgres: term stats: %w", err)
	}
	return st, nil
}
