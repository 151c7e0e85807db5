package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
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
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open replica: %w", err)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, c)
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
	var have int
	err = s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have)
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
