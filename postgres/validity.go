package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"policybot/retrieval"
)

var _ retrieval.Overrides = (*Store)(nil)

// ValidityOverrides returns every admin override of a document's validity.
func (s *Store) ValidityOverrides(ctx context.Context) (map[string]retrieval.ValidityOverride, error) {
	rows, err := s.pool.Query(ctx, `SELECT document_id, override FROM validity_overrides`)
	if err != nil {
		return nil, fmt.Errorf("postgres: validity overrides: %w", err)
	}
	out := map[string]retrieval.ValidityOverride{}
	var (
		id string
		o  retrieval.ValidityOverride
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &o}, func() error {
		out[id] = o
		o = retrieval.ValidityOverride{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: validity overrides: %w", err)
	}
	return out, nil
}

// SetValidityOverride stores o for document id; an empty o removes it.
func (s *Store) SetValidityOverride(ctx context.Context, id string, o retrieval.ValidityOverride) error {
	if err := o.Check(); err != nil {
		return fmt.Errorf("postgres: validity override %q: %w", id, err)
	}
	var err error
	if o.Empty() {
		_, err = s.pool.Exec(ctx, `DELETE FROM validity_overrides WHERE document_id = $1`, id)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO validity_overrides (document_id, override, updated_at) VALUES ($1, $2, now())
			ON CONFLICT (document_id) DO UPDATE SET override = excluded.override, updated_at = now()`, id, o)
	}
	if err != nil {
		return fmt.Errorf("postgres: validity override %q: %w", id, err)
	}
	return nil
}
