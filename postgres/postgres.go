// Package postgres stores policybot's corpus and shared state in PostgreSQL
// with the pgvector extension: documents and clauses with an HNSW index on
// their embeddings and a GIN index on their lexical terms, plus the sessions,
// message claims and cached values that several replicas must share.
// Migrations are embedded and applied by Open.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"policybot/retrieval"
)

var _ retrieval.Store = (*Store)(nil)

// Store is a PostgreSQL-backed retrieval.Store and state store. It is safe
// for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	clauses clauseCache // see cache.go
	stats   statsCache
}

type options struct {
	maxConns int32
}

// Option configures Open.
type Option func(*options)

// WithMaxConns bounds the connection pool (default: pgxpool's, the larger of
// 4 and the number of CPUs, unless the URL sets pool_max_conns).
func WithMaxConns(n int32) Option {
	return func(o *options) { o.maxConns = n }
}

// Open connects to the database at url, makes sure the vector extension
// exists, and applies pending migrations. It fails with ErrSchemaTooNew when
// the database was migrated by a newer binary.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// The extension must exist before the pool's connections register the
	// vector type, so it is created on a plain connection first.
	if err := createExtension(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// poolConfig parses url and applies opts; connections register pgvector's types.
func poolConfig(url string, opts []Option) (*pgxpool.Config, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, c)
	}
	return cfg, nil
}

func createExtension(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: open: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Creating an extension needs privileges the application role may lack;
	// when it already exists (created by an administrator) this is a no-op.
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
		return fmt.Errorf("postgres: open: create extension vector: %w", err)
	}
	return nil
}

// Close closes all connections.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Pool returns the connection pool, for packages that keep their own tables
// in the same database (e.g. the web sessions of a later migration).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// transact runs fn in a transaction, committing when fn returns nil and
// rolling back on an error or a panic.
func (s *Store) transact(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, opts, fn)
}

var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Advisory lock classes (first key of pg_advisory_xact_lock(int, int)); the
// second key is a hash of the schema, so stores in separate schemas of one
// database do not serialise each other.
const (
	lockMigrate int32 = 0x706f6c69 // "poli"
	lockCorpus  int32 = 0x706f6c6a
)

// lock takes a transaction-scoped advisory lock of class cls for the current schema.
func lock(ctx context.Context, tx pgx.Tx, cls int32) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", cls)
	return err
}

// notFound wraps errors.Is-comparable sentinel err with the operation's name.
func notFound(op, id string, err error) error {
	return fmt.Errorf("postgres: %s %q: %w", op, id, err)
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
