package bench

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"policybot/postgres"
)

var reDatabaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates (or, with reuse, keeps) database name on the server
// of adminURL, with the vector extension, and returns its URL.
func CreateDatabase(ctx context.Context, adminURL, name string, reuse bool) (string, error) {
	if !reDatabaseName.MatchString(name) {
		return "", fmt.Errorf("bench: create database: bad name %q", name)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("bench: create database: %w", err)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("bench: create database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("bench: create database %s: %w", name, err)
	}
	if exists && !reuse {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("bench: create database %s: drop old: %w", name, err)
		}
	}
	if !exists || !reuse {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", fmt.Errorf("bench: create database %s: %w", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DropDatabase drops database name on the server of adminURL.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	if !reDatabaseName.MatchString(name) {
		return fmt.Errorf("bench: drop database: bad name %q", name)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("bench: drop database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("bench: drop database %s: %w", name, err)
	}
	return nil
}

// DropVectorIndex drops the HNSW index, so a bulk load does not insert
// every vector into the graph one at a time.
func DropVectorIndex(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "DROP INDEX IF EXISTS clauses_embedding_hnsw"); err != nil {
		return fmt.Errorf("bench: drop vector index: %w", err)
	}
	return nil
}

// BuildVectorIndex builds the HNSW index in one pass, with the memory the
// build needs to keep the graph in RAM, and returns how long it took.
func BuildVectorIndex(ctx context.Context, pool *pgxpool.Pool, dims int) (time.Duration, error) {
	start := time.Now()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '4GB'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL max_parallel_maintenance_workers = 2"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, postgres.VectorIndexSQL(dims))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bench: build vector index: %w", err)
	}
	return time.Since(start), nil
}

// Analyze refreshes the planner's statistics. After a bulk load they are
// stale until autovacuum gets to them, and with a documents table believed
// to hold a handful of rows the planner skips the HNSW index for a nested
// loop over every clause.
func Analyze(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "ANALYZE documents, clauses, term_df"); err != nil {
		return fmt.Errorf("bench: analyze: %w", err)
	}
	return nil
}
