package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"policybot/retrieval"
)

var (
	_ retrieval.BatchStore = (*Store)(nil)
	_ retrieval.BulkLoader = (*Store)(nil)
)

// ReplaceDocuments stores every document of docs with its clauses in one
// transaction, replacing earlier versions: readers see the batch old or new.
// Whatever the batch size, it takes the corpus lock once, sends all clauses
// in one COPY, and updates term_df and corpus_stats once from the net change
// of the batch, so the per-document cost of ReplaceDocument is paid once.
func (s *Store) ReplaceDocuments(ctx context.Context, docs []retrieval.DocumentVersion) error {
	if len(docs) == 0 {
		return nil
	}
	if err := s.replaceDocuments(ctx, docs); err != nil {
		return fmt.Errorf("postgres: replace %d documents (%s…%s): %w", len(docs), docs[0].Document.ID, docs[len(docs)-1].Document.ID, err)
	}
	return nil
}

// replaceDocuments is ReplaceDocuments without the error's context, which
// ReplaceDocument words for one document.
func (s *Store) replaceDocuments(ctx context.Context, docs []retrieval.DocumentVersion) error {
	defer s.stats.invalidate() // this replica reads its own writes at once
	now := time.Now()
	ids := make([]string, len(docs))
	status := make([]string, len(docs))
	ingested := make([]time.Time, len(docs))
	seen := make(map[string]bool, len(docs))
	for i, d := range docs {
		id := d.Document.ID
		if id == "" {
			return fmt.Errorf("document %d: empty id", i)
		}
		if seen[id] {
			// One statement may not upsert a row twice, and which version
			// should win would be a guess.
			return fmt.Errorf("document %q twice in one batch", id)
		}
		seen[id] = true
		ids[i] = id
		status[i] = d.Document.Status
		if status[i] == "" {
			status[i] = retrieval.StatusActive
		}
		if status[i] != retrieval.StatusActive && status[i] != retrieval.StatusRetired {
			return fmt.Errorf("document %q: unknown status %q", id, status[i])
		}
		ingested[i] = d.Document.IngestedAt
		if ingested[i].IsZero() {
			ingested[i] = now
		}
	}
	return s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		// Writers of the corpus take one lock: term_df rows would otherwise be
		// updated in different orders by concurrent replacements and deadlock.
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		var delta statsDelta
		if err := delta.subtractStored(ctx, tx, ids); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM clauses WHERE document_id = ANY($1)", ids); err != nil {
			return fmt.Errorf("delete old clauses: %w", err)
		}
		if err := upsertDocuments(ctx, tx, docs, status, ingested); err != nil {
			return err
		}
		if err := copyAllClauses(ctx, tx, docs); err != nil {
			return err
		}
		for i, d := range docs {
			if status[i] == retrieval.StatusActive {
				delta.add(d.Clauses)
			}
		}
		if err := delta.apply(ctx, tx); err != nil {
			return err
		}
		return cacheEmbeddings(ctx, tx, ids)
	})
}

// ReplaceDocument stores doc and its clauses in one transaction, replacing
// any earlier version, keeps the term statistics exact and caches the clause
// embeddings under the store's current model.
func (s *Store) ReplaceDocument(ctx context.Context, doc retrieval.StoredDocument, clauses []retrieval.IndexedClause) error {
	err := s.replaceDocuments(ctx, []retrieval.DocumentVersion{{Document: doc, Clauses: clauses}})
	if err != nil {
		return fmt.Errorf("postgres: replace document %q: %w", doc.ID, err)
	}
	return nil
}

func upsertDocuments(ctx context.Context, tx pgx.Tx, docs []retrieval.DocumentVersion, status []string, ingested []time.Time) error {
	n := len(docs)
	cols := make([][]string, 9)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	counts := make([]int32, n)
	validity := make([]string, n)
	for i, v := range docs {
		d := v.Document
		for j, s := range []string{d.ID, d.Title, d.Number, d.Issuer, d.Date, d.Region, d.Kind, d.Source, d.ContentHash} {
			cols[j][i] = s
		}
		counts[i] = int32(len(v.Clauses))
		b, err := json.Marshal(d.ValidityFacts)
		if err != nil {
			return fmt.Errorf("upsert documents: validity of %s: %w", d.ID, err)
		}
		validity[i] = string(b)
	}
	// One statement for the batch: the arrays travel as 13 parameters
	// whatever the number of documents.
	_, err := tx.Exec(ctx, `INSERT INTO documents (`+documentColumns+`)
		SELECT id, title, number, issuer, date, region, kind, source, content_hash, status, ingested_at,
			clause_count, validity::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::integer[], $13::text[])
			AS u(id, title, number, issuer, date, region, kind, source, content_hash, status, ingested_at,
				clause_count, validity)
		ON CONFLICT (id) DO UPDATE SET title = excluded.title, number = excluded.number,
			issuer = excluded.issuer, date = excluded.date, region = excluded.region, kind = excluded.kind,
			source = excluded.source, content_hash = excluded.content_hash, status = excluded.status,
			ingested_at = excluded.ingested_at, clause_count = excluded.clause_count, validity = excluded.validity`,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], status, ingested, counts, validity)
	if err != nil {
		return fmt.Errorf("upsert documents: %w", err)
	}
	return nil
}

// copyAllClauses sends the clauses of every document in one COPY.
func copyAllClauses(ctx context.Context, tx pgx.Tx, docs []retrieval.DocumentVersion) error {
	var rows [][]any
	for _, d := range docs {
		rows = appendClauseRows(rows, d.Document.ID, d.Clauses)
	}
	if len(rows) == 0 {
		return nil
	}
	return copyClauseRows(ctx, tx, rows)
}

// cacheEmbeddings fills the embedding cache from the clause rows just
// written, so the vectors do not travel to the server twice. DISTINCT ON: a
// batch may hold the same text twice, and one INSERT may not update a row
// twice. A cached vector that did not change is not rewritten: most
// re-ingested clauses took their vector from this very cache.
func cacheEmbeddings(ctx context.Context, tx pgx.Tx, ids []string) error {
	_, err := tx.Exec(ctx, `INSERT INTO embedding_cache AS e (model, text_hash, embedding)
		SELECT DISTINCT ON (c.text_hash) m.value, c.text_hash, c.embedding
		FROM clauses c, meta m
		WHERE c.document_id = ANY($1) AND m.key = 'embedding_model'
			AND c.embedding IS NOT NULL AND c.text_hash <> ''
		ORDER BY c.text_hash
		ON CONFLICT (model, text_hash) DO UPDATE SET embedding = excluded.embedding
			WHERE e.embedding IS DISTINCT FROM excluded.embedding`, ids)
	if err != nil {
		return fmt.Errorf("cache embeddings: %w", err)
	}
	return nil
}

// statsDelta is the net change a batch makes to corpus_stats and term_df.
// Netting old and new versions first means a re-ingested document whose
// terms barely changed touches few term_df rows.
type statsDelta struct {
	clauses, terms int64
	df             map[string]int64
}

// subtractStored subtracts the stored clauses of the active documents among ids.
func (d *statsDelta) subtractStored(ctx context.Context, tx pgx.Tx, ids []string) error {
	var active []string
	rows, err := tx.Query(ctx, "SELECT id FROM documents WHERE id = ANY($1) AND status = 'active'", ids)
	if err == nil {
		active, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return fmt.Errorf("read stored documents: %w", err)
	}
	if len(active) == 0 {
		return nil
	}
	var clauses, terms int64
	err = tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(cardinality(terms)), 0)
		FROM clauses WHERE document_id = ANY($1)`, active).Scan(&clauses, &terms)
	if err != nil {
		return fmt.Errorf("count stored clauses: %w", err)
	}
	d.clauses -= clauses
	d.terms -= terms
	rows, err = tx.Query(ctx, `SELECT t.term, count(*)
		FROM clauses c, LATERAL (SELECT DISTINCT u AS term FROM unnest(c.terms) u) t
		WHERE c.document_id = ANY($1) GROUP BY t.term`, active)
	if err != nil {
		return fmt.Errorf("count stored terms: %w", err)
	}
	if d.df == nil {
		d.df = make(map[string]int64)
	}
	var (
		term string
		n    int64
	)
	_, err = pgx.ForEachRow(rows, []any{&term, &n}, func() error {
		d.df[term] -= n
		return nil
	})
	if err != nil {
		return fmt.Errorf("count stored terms: %w", err)
	}
	return nil
}

// add adds clauses, counting a term once per clause however often the
// clause repeats it (document frequency), as subtractStored does.
func (d *statsDelta) add(clauses []retrieval.IndexedClause) {
	if d.df == nil {
		d.df = make(map[string]int64)
	}
	seen := make(map[string]bool)
	for _, c := range clauses {
		d.clauses++
		d.terms += int64(len(c.Terms))
		clear(seen)
		for _, t := range c.Terms {
			if !seen[t] {
				seen[t] = true
				d.df[t]++
			}
		}
	}
}

// apply writes the delta. The caller holds the corpus lock.
func (d *statsDelta) apply(ctx context.Context, tx pgx.Tx) error {
	if d.clauses != 0 || d.terms != 0 || d.changesDF() {
		// The row is rewritten whenever a document frequency changes too:
		// its version (xmin) is what the stores' statistics caches check.
		_, err := tx.Exec(ctx, "UPDATE corpus_stats SET clauses = clauses + $1, terms = terms + $2", d.clauses, d.terms)
		if err != nil {
			return fmt.Errorf("update corpus stats: %w", err)
		}
	}
	// Positive and negative changes go apart: a negative one may not be
	// proposed as an inserted row (df >= 0 is checked before the conflict
	// is), and a row reaching 0 must go. Sorted, so that rows are always
	// locked in one order.
	var up, down []string
	for t, n := range d.df {
		switch {
		case n > 0:
			up = append(up, t)
		case n < 0:
			down = append(down, t)
		}
	}
	if len(up) > 0 {
		slices.Sort(up)
		_, err := tx.Exec(ctx, `INSERT INTO term_df AS d (term, df)
			SELECT * FROM unnest($1::text[], $2::integer[])
			ON CONFLICT (term) DO UPDATE SET df = d.df + excluded.df`, up, d.counts(up))
		if err != nil {
			return fmt.Errorf("add term df: %w", err)
		}
	}
	if len(down) > 0 {
		slices.Sort(down)
		_, err := tx.Exec(ctx, `UPDATE term_df d SET df = d.df + u.n
			FROM unnest($1::text[], $2::integer[]) AS u(term, n) WHERE d.term = u.term`, down, d.counts(down))
		if err != nil {
			return fmt.Errorf("subtract term df: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM term_df WHERE term = ANY($1) AND df <= 0", down); err != nil {
			return fmt.Errorf("delete term df: %w", err)
		}
	}
	return nil
}

func (d *statsDelta) changesDF() bool {
	for _, n := range d.df {
		if n != 0 {
			return true
		}
	}
	return false
}

func (d *statsDelta) counts(terms []string) []int32 {
	ns := make([]int32, len(terms))
	for i, t := range terms {
		ns[i] = int32(d.df[t])
	}
	return ns
}

// Bulk mode thresholds: a load defers the HNSW index when it adds more than
// bulkShare of the clauses already stored and more than bulkMinClauses.
// Inserting a vector into the graph costs several times what a one-pass
// build costs per vector (about 4 ms against 0.5 to 1 ms at 512 dimensions
// on 2 cores), so a rebuild pays as soon as the load is a fair share of the
// table; below bulkMinClauses the gain is too small to leave vector search
// without its index meanwhile.
const (
	bulkShare      = 0.2
	bulkMinClauses = 1000
	// analyzeShare: a load changing more than this share of the clauses
	// refreshes the planner statistics, which otherwise lag until
	// autovacuum and can keep the planner off the HNSW index.
	analyzeShare = 0.1
)

// BeginBulk prepares for a load of about clauses clauses. For a large load
// (see bulkShare) it drops the HNSW index, which would otherwise take every
// vector one at a time inside the load's transactions, and the GIN index on
// the lexical terms, whose upkeep row by row cost a third of the loading
// (measured at 10k synthetic clauses: loading 1,921 clauses/s with it,
// 2,770 without; building it afterwards takes 0.3 s). The returned end
// function builds both in one pass and analyzes the tables. While they are
// missing, searches still answer, by sequential scans. If the process dies
// before end runs, the next BeginBulk or SetModel builds them.
func (s *Store) BeginBulk(ctx context.Context, clauses int) (func(context.Context) error, error) {
	var stored int64
	var dims int
	var indexed bool
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT clauses FROM corpus_stats),
			(SELECT atttypmod FROM pg_attribute WHERE attrelid = 'clauses'::regclass AND attname = 'embedding'),
			(SELECT count(*) = 2 FROM pg_indexes
				WHERE indexname IN ('clauses_embedding_hnsw', 'clauses_lex_gin') AND schemaname = current_schema())`).
		Scan(&stored, &dims, &indexed)
	if err != nil {
		return nil, fmt.Errorf("postgres: begin bulk load: %w", err)
	}
	bulk := dims > 0 && clauses > bulkMinClauses && float64(clauses) > bulkShare*float64(stored)
	analyze := float64(clauses) > analyzeShare*float64(stored)
	switch {
	case bulk:
		if err := s.dropSearchIndexes(ctx); err != nil {
			return nil, err
		}
	case !indexed && dims > 0:
		// An earlier bulk load did not finish: repair before loading more.
		if err := s.buildSearchIndexes(ctx, stored, dims); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context) error {
		if bulk {
			if err := s.buildSearchIndexes(ctx, stored+int64(clauses), dims); err != nil {
				return err
			}
		}
		if bulk || analyze {
			if _, err := s.pool.Exec(ctx, "ANALYZE documents, clauses, term_df"); err != nil {
				return fmt.Errorf("postgres: end bulk load: analyze: %w", err)
			}
		}
		return nil
	}, nil
}

func (s *Store) dropSearchIndexes(ctx context.Context) error {
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DROP INDEX IF EXISTS clauses_embedding_hnsw, clauses_lex_gin")
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: drop search indexes: %w", err)
	}
	return nil
}

// buildSearchIndexes builds the missing search indexes: the HNSW index in
// one pass over about rows vectors of dims dimensions, and the GIN index.
// The HNSW build is fast only while the graph fits in maintenance_work_mem
// (about 8 bytes per dimension and 1 KB of neighbours per vector, measured
// at 200k 512-dimensional vectors), so the setting is raised for this
// transaction only. The corpus lock keeps writers out: a
// ReplaceDocuments committed during the build would be indexed anyway, but
// waiting is cheaper than racing a concurrent CREATE INDEX.
func (s *Store) buildSearchIndexes(ctx context.Context, rows int64, dims int) error {
	mem := min(max(rows*int64(2*dims+1024), 64<<20), 4<<30)
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		for _, q := range []string{
			"SELECT set_config('maintenance_work_mem', '" + strconv.FormatInt(mem>>10, 10) + "kB', true)",
			"SELECT set_config('max_parallel_maintenance_workers', '2', true)",
			VectorIndexSQL(dims),
			lexIndexSQL,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: build search indexes: %w", err)
	}
	return nil
}
