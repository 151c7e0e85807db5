package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"policybot/retrieval"
)

// efSearch is the HNSW candidate list size per query: twice the K the
// searcher asks for (retrieval's vectorK, 20), so recall stays high without
// scanning the whole graph; the iterative scan goes on past it when the
// filters leave fewer than K.
const efSearch = "40"

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
	// Iterative scan: the status and region filters apply after the index,
	// so without it a filtered query could return fewer than K rows
	// although more match. relaxed_order may return neighbours slightly out
	// of order; the candidates are sorted again by their exact cosine.
	// enable_seqscan off: on a small corpus the planner scans and sorts
	// every clause (11 ms for 2,392 clauses) where the index takes 2.5 ms
	// (EXPLAIN ANALYZE); on a large one it takes the index anyway. A generic
	// plan: planning this query for each question's vector took 0.37 ms, a
	// quarter of its time, for the same index scan (statement log, seeds +
	// corpus: bind 0.37 → 0.06 ms, execute unchanged).
	const settings = `SELECT set_config('hnsw.ef_search', '` + efSearch + `', true),
		set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('enable_seqscan', 'off', true),
		set_config('plan_cache_mode', 'force_generic_plan', true)`
	out, err := s.search(ctx, q.Vector, settings, vectorSQL(len(q.Vector)), pgvector.NewHalfVector(q.Vector), q.K, regions(q))
	if err != nil {
		return nil, fmt.Errorf("postgres: vector search: %w", err)
	}
	slices.SortStableFunc(out, func(a, b retrieval.Candidate) int {
		if c := cmp.Compare(b.Cosine, a.Cosine); c != 0 {
			return c
		}
		return cmp.Compare(a.Clause.ID, b.Clause.ID)
	})
	return out, nil
}

// vectorSQL finds the nearest clauses through the index (see VectorDistance)
// and returns their ids and row versions; their columns, embedding
// included, come from the clause cache. Selecting the columns or the
// full-precision distance here made PostgreSQL, when it scans rather than
// uses the index (a small corpus), detoast the terms and compute both
// distances of every clause, not of the K it keeps: 18.6 ms for 2,392
// clauses (EXPLAIN ANALYZE).
func vectorSQL(dims int) string {
	return `SELECT ` + versionColumns + `
	FROM clauses c JOIN documents d ON d.id = c.document_id
	WHERE c.embedding IS NOT NULL AND ` + regionFilter(3) + `
	ORDER BY ` + VectorDistance(dims, 1) + `
	LIMIT $2`
}

// LexicalSearch returns up to q.K active clauses having any of q.Terms, best
// ts_rank first, through the GIN index on the clauses' lexemes. When
// q.Vector is set, each candidate's Cosine is filled in too.
func (s *Store) LexicalSearch(ctx context.Context, q retrieval.Query) ([]retrieval.Candidate, error) {
	query := tsquery(q.Terms)
	if q.K <= 0 || query == "" {
		return nil, nil
	}
	// No planner settings: enable_seqscan off, which the query needed when it
	// also fetched the clauses' columns, now made the planner look each
	// match's document up by index instead of hashing the documents once
	// (EXPLAIN ANALYZE, seeds + corpus: 3.2 ms against 2.2 ms).
	out, err := s.search(ctx, q.Vector, "", lexicalSQL, query, q.K, regions(q))
	if err != nil {
		return nil, fmt.Errorf("postgres: lexical search: %w", err)
	}
	return out, nil
}

// lexicalSQL ranks the matching clauses reading only their lexemes and
// returns the K best's ids and row versions. Without positions in lex,
// ts_rank counts the query terms a clause has, so most matches tie (224 of
// 269 for one question) and the id decides among them: compared bytewise
// (COLLATE "C": for UTF-8 the same code-point order as C.UTF-8) that tie-break took
// 0.5 ms where the database's C.UTF-8 collation took 1.4 ms (EXPLAIN
// ANALYZE, seeds + corpus).
var lexicalSQL = `SELECT ` + versionColumns + `
	FROM clauses c JOIN documents d ON d.id = c.document_id, CAST($1 AS tsquery) q
	WHERE c.lex @@ q AND ` + regionFilter(3) + `
	ORDER BY ts_rank(c.lex, q) DESC, c.id COLLATE "C"
	LIMIT $2`

// versionColumns identify a clause and the version of its and its
// document's rows (see clauseVersion).
const versionColumns = `c.id, c.xmin::text::bigint, d.xmin::text::bigint`

// search runs one search query with its planner settings in a single round
// trip: a pgx batch is one implicit transaction, so set_config(..., true)
// holds for the query and is gone after it (a plain SET would stick to the
// pooled connection). An explicit transaction took four round trips
// (BEGIN, settings, query, COMMIT) — under load, more of PostgreSQL's time
// than the query itself. The rows name clauses and their versions; the
// candidates come from the clause cache, and only clauses new to it, or
// changed since, are read. Each candidate's cosine with vec (when not
// zero) is worked out from its cached embedding.
func (s *Store) search(ctx context.Context, vec []float32, settings, query string, args ...any) ([]retrieval.Candidate, error) {
	b := &pgx.Batch{}
	if settings != "" {
		b.Queue(settings)
	}
	b.Queue(query, args...)
	br := s.pool.SendBatch(ctx, b)
	hits, err := func() ([]found, error) {
		defer br.Close()
		if settings != "" {
			if _, err := br.Exec(); err != nil {
				return nil, err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		hits, err := collectFound(rows)
		if err != nil {
			return nil, err
		}
		return hits, br.Close()
	}()
	if err != nil {
		return nil, err
	}
	cached, complete := s.lookup(hits)
	if !complete {
		// Clauses new to the cache are read in the search's own snapshot:
		// read by a second statement, a document replaced in between came
		// back half old, half new (storetest ReplaceIsAtomic). So the
		// search runs again with them in one read-only transaction; in
		// steady state every clause is cached and this path is not taken.
		err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
			if settings != "" {
				if _, err := tx.Exec(ctx, settings); err != nil {
					return err
				}
			}
			rows, err := tx.Query(ctx, query, args...)
			if err != nil {
				return err
			}
			if hits, err = collectFound(rows); err != nil {
				return err
			}
			var missing []string
			cached, _ = s.lookup(hits)
			for i, h := range hits {
				if cached[i].c.Clause.ID == "" {
					missing = append(missing, h.id)
				}
			}
			read, err := s.readClauses(ctx, tx, missing)
			if err != nil {
				return err
			}
			for i, h := range hits {
				if cached[i].c.Clause.ID == "" {
					cached[i] = read[h.id]
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	qv := queryVector(vec)
	out := make([]retrieval.Candidate, 0, len(cached))
	for _, e := range cached {
		if e.c.Clause.ID == "" {
			continue
		}
		c := e.c
		c.Cosine = qv.cosine(e)
		out = append(out, c)
	}
	return out, nil
}

// found is a clause a search query named, at the version it saw.
type found struct {
	id      string
	version clauseVersion
}

func collectFound(rows pgx.Rows) ([]found, error) {
	var (
		hits []found
		f    found
	)
	_, err := pgx.ForEachRow(rows, []any{&f.id, &f.version.clause, &f.version.document}, func() error {
		hits = append(hits, f)
		return nil
	})
	return hits, err
}

// lookup returns the cached clauses of hits at their versions (zero where
// not cached) and whether every one was.
func (s *Store) lookup(hits []found) ([]cachedClause, bool) {
	cached := make([]cachedClause, len(hits))
	complete := true
	for i, h := range hits {
		var ok bool
		if cached[i], ok = s.clauses.get(h.id, h.version); !ok {
			complete = false
		}
	}
	return cached, complete
}

const clauseColumns = `c.id, c.label, c.path, c.title, c.text, c.agencies, c.lead_agencies, c.terms,
	c.context_terms, c.role, c.validity, c.applicability, d.id AS doc_id, d.title AS doc_title, d.number, d.issuer, d.date, d.region, d.kind,
	c.embedding, ` + versionColumns

// readClauses reads the candidate columns and embeddings of ids, in tx's
// snapshot, and caches them.
func (s *Store) readClauses(ctx context.Context, tx pgx.Tx, ids []string) (map[string]cachedClause, error) {
	rows, err := tx.Query(ctx, `SELECT `+clauseColumns+`
		FROM clauses c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read clauses: %w", err)
	}
	out := make(map[string]cachedClause, len(ids))
	var (
		e   cachedClause
		vec *pgvector.Vector
		id  string
	)
	c := &e.c
	_, err = pgx.ForEachRow(rows, []any{&c.Clause.ID, &c.Clause.Label, &c.Clause.Path, &c.Clause.Title, &c.Clause.Text,
		&c.Clause.Agencies, &c.Clause.LeadAgencies, &c.Terms, &c.ContextTerms, &c.Clause.Role, &c.Clause.Validity, &c.Clause.Applicability,
		&c.Document.ID, &c.Document.Title, &c.Document.Number, &c.Document.Issuer, &c.Document.Date,
		&c.Document.Region, &c.Document.Kind, &vec, &id, &e.version.clause, &e.version.document}, func() error {
		if vec != nil {
			e.vec = vec.Slice()
			e.norm = norm(e.vec)
		}
		s.clauses.put(e)
		out[id] = e
		e, vec = cachedClause{}, nil // the next row's slices are its own
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read clauses: %w", err)
	}
	return out, nil
}

// queryVec is a query vector with its length and the dimensions where it
// is not zero: a question's vector from the local embedder has a few dozen
// of 1,024, so the cosine of each candidate costs that many products.
type queryVec struct {
	v       []float32
	norm    float64
	nonzero []int32
}

func queryVector(v []float32) queryVec {
	q := queryVec{v: v, norm: norm(v)}
	for i, x := range v {
		if x != 0 {
			q.nonzero = append(q.nonzero, int32(i))
		}
	}
	return q
}

// cosine is the similarity of the query with a cached clause: 0 when either
// has no direction (no query vector, no embedding, a zero vector) or their
// dimensions differ, as the database reported NULL or NaN.
func (q queryVec) cosine(e cachedClause) float64 {
	if q.norm == 0 || e.norm == 0 || len(q.v) != len(e.vec) {
		return 0
	}
	var dot float64
	for _, i := range q.nonzero {
		dot += float64(q.v[i]) * float64(e.vec[i])
	}
	return dot / (q.norm * e.norm)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

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

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// TermStats returns the corpus statistics of active documents and the
// document frequency of each of terms, read in one snapshot. They come from
// the statistics cache when it is fresh and knows every term (see
// statsCache); otherwise one statement reads them with the version of the
// corpus_stats row, which every change of the corpus rewrites.
func (s *Store) TermStats(ctx context.Context, terms []string) (retrieval.Stats, error) {
	now := time.Now()
	if st, ok := s.stats.lookup(terms, now); ok {
		return st, nil
	}
	st := retrieval.Stats{DF: make(map[string]int, len(terms))}
	rows, err := s.pool.Query(ctx, `SELECT s.xmin::text::bigint, s.clauses, s.terms, t.term, t.df
		FROM corpus_stats s LEFT JOIN term_df t ON t.term = ANY($1)`, terms)
	if err != nil {
		return retrieval.Stats{}, fmt.Errorf("postgres: term stats: %w", err)
	}
	var (
		version, clauses, total int64
		term                    *string
		df                      *int
	)
	_, err = pgx.ForEachRow(rows, []any{&version, &clauses, &total, &term, &df}, func() error {
		if term != nil && df != nil {
			st.DF[*term] = *df
		}
		return nil
	})
	if err != nil {
		return retrieval.Stats{}, fmt.Errorf("postgres: term stats: %w", err)
	}
	st.Clauses = int(clauses)
	if clauses > 0 {
		st.AvgLen = float64(total) / float64(clauses)
	}
	s.stats.update(version, st, total, terms, now)
	return st, nil
}

// Applicable returns the clauses of active documents that name whom they
// are for, document by document in ID order, through the partial index on
// clauses that have an applicability.
func (s *Store) Applicable(ctx context.Context) ([]retrieval.Candidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.label, c.path, c.title, c.text, c.agencies, c.lead_agencies, c.role,
		c.validity, c.applicability, d.id, d.title, d.number, d.issuer, d.date, d.region, d.kind
		FROM clauses c JOIN documents d ON d.id = c.document_id
		WHERE c.applicability IS NOT NULL AND d.status = 'active'
		ORDER BY d.id COLLATE "C", c.ord`)
	if err != nil {
		return nil, fmt.Errorf("postgres: applicable clauses: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (retrieval.Candidate, error) {
		var c retrieval.Candidate
		err := r.Scan(&c.Clause.ID, &c.Clause.Label, &c.Clause.Path, &c.Clause.Title, &c.Clause.Text, &c.Clause.Agencies,
			&c.Clause.LeadAgencies, &c.Clause.Role, &c.Clause.Validity, &c.Clause.Applicability,
			&c.Document.ID, &c.Document.Title, &c.Document.Number, &c.Document.Issuer, &c.Document.Date, &c.Document.Region, &c.Document.Kind)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: applicable clauses: %w", err)
	}
	return out, nil
}
