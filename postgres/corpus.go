package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"policybot/policy"
	"policybot/retrieval"
)

// maxHNSWDimensions is pgvector's limit for an HNSW index on type halfvec.
const maxHNSWDimensions = 4000

// VectorIndexSQL builds the HNSW index for embeddings of dims dimensions.
// The graph holds half-precision copies of the vectors: half the memory,
// which decides whether a build fits in maintenance_work_mem (a million
// 1,024-dimension vectors need about 2.5 GB as halfvec, 4.6 GB as vector)
// and how much of the index stays cached; the column keeps full precision,
// and the searches compute their distances from it.
func VectorIndexSQL(dims int) string {
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS clauses_embedding_hnsw ON clauses
	USING hnsw ((embedding::halfvec(%d)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)`, dims)
}

// lexIndexSQL builds the GIN index on the clauses' lexical terms (also in
// migration 1; a bulk load drops it and builds it again).
const lexIndexSQL = "CREATE INDEX IF NOT EXISTS clauses_lex_gin ON clauses USING gin (lex)"

// VectorDistance is the expression the HNSW index is ordered by, for a
// query vector of dims dimensions in parameter $param.
func VectorDistance(dims, param int) string {
	return fmt.Sprintf("c.embedding::halfvec(%d) <=> $%d::halfvec(%[1]d)", dims, param)
}

const documentColumns = `id, title, number, issuer, date, region, kind, source, content_hash, status, ingested_at, clause_count, validity`

func scanDocument(row pgx.Row) (retrieval.StoredDocument, error) {
	var d retrieval.StoredDocument
	err := row.Scan(&d.ID, &d.Title, &d.Number, &d.Issuer, &d.Date, &d.Region, &d.Kind,
		&d.Source, &d.ContentHash, &d.Status, &d.IngestedAt, &d.ClauseCount, &d.ValidityFacts)
	return d, err
}

// Documents lists every document, retired ones included, newest first.
func (s *Store) Documents(ctx context.Context) ([]retrieval.StoredDocument, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents ORDER BY ingested_at DESC, date DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: documents: %w", err)
	}
	docs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (retrieval.StoredDocument, error) {
		return scanDocument(r)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: documents: %w", err)
	}
	return docs, nil
}

// Document returns one document with all its clauses in order. Both are read
// in one snapshot, so a concurrent ReplaceDocument is seen whole or not at all.
func (s *Store) Document(ctx context.Context, id string) (retrieval.StoredDocument, []policy.Clause, error) {
	var (
		doc     retrieval.StoredDocument
		clauses []policy.Clause
	)
	err := s.transact(ctx, readOnly, func(tx pgx.Tx) error {
		var err error
		doc, err = scanDocument(tx.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
		if isNoRows(err) {
			return notFound("document", id, retrieval.ErrNotFound)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, label, path, title, text, agencies, lead_agencies, role, validity, applicability
			FROM clauses WHERE document_id = $1 ORDER BY ord`, id)
		if err != nil {
			return err
		}
		clauses, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (policy.Clause, error) {
			var c policy.Clause
			err := r.Scan(&c.ID, &c.Label, &c.Path, &c.Title, &c.Text, &c.Agencies, &c.LeadAgencies, &c.Role, &c.Validity, &c.Applicability)
			return c, err
		})
		return err
	})
	if err != nil {
		return retrieval.StoredDocument{}, nil, fmt.Errorf("postgres: document %q: %w", id, err)
	}
	return doc, clauses, nil
}

// appendClauseRows appends the COPY rows of document docID's clauses.
func appendClauseRows(rows [][]any, docID string, clauses []retrieval.IndexedClause) [][]any {
	for _, c := range clauses {
		var emb any // nil: NULL, a clause not embedded (yet)
		if c.Embedding != nil {
			emb = pgvector.NewVector(c.Embedding)
		}
		var validity, applicability any // nil: NULL, the clause states no term of its own, names no one
		if c.Validity != nil {
			validity = c.Validity
		}
		if c.Applicability != nil {
			applicability = c.Applicability
		}
		rows = append(rows, []any{c.ID, docID, c.Ord, c.Label, nonNil(c.Path), c.Title, c.Text,
			nonNil(c.Agencies), nonNil(c.LeadAgencies), c.TextHash, nonNil(c.Terms), nonNil(c.Context), c.Role, validity, applicability, emb})
	}
	return rows
}

func copyClauseRows(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"clauses"},
		[]string{"id", "document_id", "ord", "label", "path", "title", "text",
			"agencies", "lead_agencies", "text_hash", "terms", "context_terms", "role", "validity", "applicability", "embedding"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy clauses: %w", err)
	}
	return nil
}

// nonNil turns a nil slice into an empty one: the array columns are NOT NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// adjustStats adds (sign +1) or subtracts (sign -1) the clauses of document
// id to the corpus statistics. The caller holds the corpus lock and calls it
// only for active documents.
func adjustStats(ctx context.Context, tx pgx.Tx, id string, sign int) error {
	_, err := tx.Exec(ctx, `UPDATE corpus_stats SET
			clauses = clauses + $2 * (SELECT count(*) FROM clauses WHERE document_id = $1),
			terms = terms + $2 * (SELECT coalesce(sum(cardinality(terms)), 0) FROM clauses WHERE document_id = $1)`,
		id, sign)
	if err != nil {
		return fmt.Errorf("adjust corpus stats: %w", err)
	}
	// Document frequency counts a clause once however often it repeats a term.
	const perTerm = `SELECT t.term, count(*) AS n
		FROM clauses c, LATERAL (SELECT DISTINCT u AS term FROM unnest(c.terms) u) t
		WHERE c.document_id = $1 GROUP BY t.term`
	if sign > 0 {
		_, err = tx.Exec(ctx, `INSERT INTO term_df AS d (term, df) `+perTerm+`
			ON CONFLICT (term) DO UPDATE SET df = d.df + excluded.df`, id)
	} else {
		_, err = tx.Exec(ctx, `UPDATE term_df d SET df = d.df - o.n FROM (`+perTerm+`) o WHERE d.term = o.term`, id)
		if err == nil {
			// Only this document's terms can have reached 0: a bare
			// "WHERE df <= 0" would scan the whole table.
			_, err = tx.Exec(ctx, `DELETE FROM term_df d USING (`+perTerm+`) o WHERE d.term = o.term AND d.df <= 0`, id)
		}
	}
	if err != nil {
		return fmt.Errorf("adjust term df: %w", err)
	}
	return nil
}

// RemoveDocument deletes a document and its clauses.
func (s *Store) RemoveDocument(ctx context.Context, id string) error {
	defer s.stats.invalidate() // this replica reads its own writes at once
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		var status string
		err := tx.QueryRow(ctx, "SELECT status FROM documents WHERE id = $1", id).Scan(&status)
		if isNoRows(err) {
			return retrieval.ErrNotFound
		}
		if err != nil {
			return err
		}
		if status == retrieval.StatusActive {
			if err := adjustStats(ctx, tx, id, -1); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "DELETE FROM documents WHERE id = $1", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: remove document %q: %w", id, err)
	}
	return nil
}

// SetStatus retires or re-activates a document.
func (s *Store) SetStatus(ctx context.Context, id, status string) error {
	defer s.stats.invalidate() // this replica reads its own writes at once
	if status != retrieval.StatusActive && status != retrieval.StatusRetired {
		return fmt.Errorf("postgres: set status of %q: unknown status %q", id, status)
	}
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		var old string
		err := tx.QueryRow(ctx, "SELECT status FROM documents WHERE id = $1", id).Scan(&old)
		if isNoRows(err) {
			return retrieval.ErrNotFound
		}
		if err != nil || old == status {
			return err
		}
		sign := +1
		if status == retrieval.StatusRetired {
			sign = -1
		}
		if err := adjustStats(ctx, tx, id, sign); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE documents SET status = $2 WHERE id = $1", id, status)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set status of %q: %w", id, err)
	}
	return nil
}

// Model reports the embedding model of the stored vectors; zero Model when none was set.
func (s *Store) Model(ctx context.Context) (retrieval.Model, error) {
	var m retrieval.Model
	var dims string
	err := s.pool.QueryRow(ctx, `SELECT
			coalesce((SELECT value FROM meta WHERE key = 'embedding_model'), ''),
			coalesce((SELECT value FROM meta WHERE key = 'embedding_dimensions'), '0')`).Scan(&m.Name, &dims)
	if err != nil {
		return retrieval.Model{}, fmt.Errorf("postgres: model: %w", err)
	}
	if m.Dimensions, err = strconv.Atoi(dims); err != nil {
		return retrieval.Model{}, fmt.Errorf("postgres: model: bad stored dimensions %q: %w", dims, err)
	}
	return m, nil
}

// SetModel records the embedding model. The dimension is fixed per database
// because HNSW indexes only a fixed-dimension column: when it changes (or is
// first set), the clauses.embedding column is retyped to vector(n) and the
// HNSW index rebuilt, and vectors of another dimension are cleared — they
// belong to another model and ingestion must re-embed those clauses anyway.
// A new model name with the same dimension keeps the vectors: ingestion
// detects the change (retrieval.ErrModelMismatch) and re-embeds.
func (s *Store) SetModel(ctx context.Context, m retrieval.Model) error {
	if m.Name == "" || m.Dimensions <= 0 {
		return fmt.Errorf("postgres: set model: need a name and a positive dimension, got %q/%d", m.Name, m.Dimensions)
	}
	if m.Dimensions > maxHNSWDimensions {
		return fmt.Errorf("postgres: set model %s: %d dimensions exceed pgvector's HNSW limit of %d (use a smaller model or dimensions setting)",
			m.Name, m.Dimensions, maxHNSWDimensions)
	}
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, lockCorpus); err != nil {
			return err
		}
		var typmod int
		err := tx.QueryRow(ctx, `SELECT atttypmod FROM pg_attribute
			WHERE attrelid = 'clauses'::regclass AND attname = 'embedding'`).Scan(&typmod)
		if err != nil {
			return fmt.Errorf("read embedding column type: %w", err)
		}
		if typmod != m.Dimensions {
			for _, q := range []string{
				"DROP INDEX IF EXISTS clauses_embedding_hnsw",
				"UPDATE clauses SET embedding = NULL WHERE vector_dims(embedding) <> " + strconv.Itoa(m.Dimensions),
				"ALTER TABLE clauses ALTER COLUMN embedding TYPE vector(" + strconv.Itoa(m.Dimensions) + ")",
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		// The indexes may be missing after a bulk load that did not finish.
		for _, q := range []string{VectorIndexSQL(m.Dimensions), lexIndexSQL} {
			if _, err = tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('embedding_model', $1), ('embedding_dimensions', $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, m.Name, strconv.Itoa(m.Dimensions))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set model %s/%d: %w", m.Name, m.Dimensions, err)
	}
	return nil
}

// CachedEmbeddings returns the cached embeddings of model for the given text hashes.
func (s *Store) CachedEmbeddings(ctx context.Context, model string, textHashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32)
	if len(textHashes) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT text_hash, embedding FROM embedding_cache
		WHERE model = $1 AND text_hash = ANY($2)`, model, textHashes)
	if err != nil {
		return nil, fmt.Errorf("postgres: cached embeddings: %w", err)
	}
	var (
		hash string
		vec  pgvector.Vector
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &vec}, func() error {
		out[hash] = vec.Slice()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: cached embeddings: %w", err)
	}
	return out, nil
}
