package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaBehind is returned by OpenReplica when the database's schema is
// not the one this binary expects (the primary has not been migrated yet,
// or the replica lags behind it).
var ErrSchemaBehind = errors.New("database schema is not at this binary's version")

// OpenReplica connects to a read-only copy of the database — a streaming
// replica that serves searches — without creating anything or migrating:
// it only checks that the schema is at exactly this binary's version. Use
// the Store for searching; writes fail on a replica.
func OpenReplica(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, fmt.Errorf("postgres: open replica: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open replica: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.checkSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// CheckSchema reports whether the database's schema is at this binary's
// version (ErrSchemaBehind, ErrSchemaTooNew otherwise): /readyz asks it.
func (s *Store) CheckSchema(ctx context.Context) error { return s.checkSchema(ctx) }

// checkSchema refuses a database whose applied migrations differ from the
// binary's.
func (s *Store) checkSchema(ctx context.Context) error {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return fmt.Errorf("postgres: open replica: %w", err)
	}
	want := 0
	if len(ms) > 0 {
		want = ms[len(ms)-1].version
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		// No schema_migrations table: nothing was ever migrated here.
		return fmt.Errorf("postgres: open replica: %w: %w", ErrSchemaBehind, err)
	}
	switch {
	case have > want:
		return fmt.Errorf("postgres: open replica: %w: database at version %d, binary knows up to %d", ErrSchemaTooNew, have, want)
	case have < want:
		return fmt.Errorf("postgres: open replica: %w: database at version %d, binary needs %d (migrate the primary first)", ErrSchemaBehind, have, want)
	}
	return nil
}
