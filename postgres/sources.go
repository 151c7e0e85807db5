package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"policybot/retrieval"
	"policybot/upload"
)

var _ upload.SourceStore = (*Store)(nil)

// SaveSource keeps name and data as the source of document docID, replacing
// what was kept before. The document must be stored: the source is deleted
// with it, and fails with retrieval.ErrNotFound otherwise.
func (s *Store) SaveSource(ctx context.Context, docID, name string, data []byte) error {
	if data == nil {
		data = []byte{} // the column is NOT NULL; an empty file is still a source
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO document_sources (document_id, name, data, saved_at)
		VALUES ($1, $2, $3, now())
		ON CONFLICT (document_id) DO UPDATE SET name = excluded.name, data = excluded.data, saved_at = excluded.saved_at`,
		docID, name, data)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
		return notFound("save source of", docID, retrieval.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: save source of %q: %w", docID, err)
	}
	return nil
}

// Source returns the kept source of document docID, or upload.ErrSourceNotFound.
func (s *Store) Source(ctx context.Context, docID string) (string, []byte, error) {
	var (
		name string
		data []byte
	)
	err := s.pool.QueryRow(ctx, `SELECT name, data FROM document_sources WHERE document_id = $1`, docID).Scan(&name, &data)
	if isNoRows(err) {
		return "", nil, notFound("source of", docID, upload.ErrSourceNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("postgres: source of %q: %w", docID, err)
	}
	return name, data, nil
}

var _ upload.CorrectionStore = (*Store)(nil)

// Corrections returns every admin correction of a document's metadata.
func (s *Store) Corrections(ctx context.Context) (map[string]upload.Correction, error) {
	rows, err := s.pool.Query(ctx, `SELECT document_id, correction FROM document_corrections`)
	if err != nil {
		return nil, fmt.Errorf("postgres: corrections: %w", err)
	}
	out := map[string]upload.Correction{}
	var (
		id string
		c  upload.Correction
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &c}, func() error {
		out[id] = c
		c = upload.Correction{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: corrections: %w", err)
	}
	return out, nil
}

// SetCorrection stores c for document id; an empty c removes it.
func (s *Store) SetCorrection(ctx context.Context, id string, c upload.Correction) error {
	if err := c.Check(); err != nil {
		return fmt.Errorf("postgres: correction of %q: %w", id, err)
	}
	var err error
	if c.Empty() {
		_, err = s.pool.Exec(ctx, `DELETE FROM document_corrections WHERE document_id = $1`, id)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO document_corrections (document_id, correction, updated_at) VALUES ($1, $2, now())
			ON CONFLICT (document_id) DO UPDATE SET correction = excluded.correction, updated_at = now()`, id, c)
	}
	if err != nil {
		return fmt.Errorf("postgres: correction of %q: %w", id, err)
	}
	return nil
}
