package bench

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
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
