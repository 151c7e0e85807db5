package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database creates an empty database with the vector extension for one test
// and returns its URL; it is dropped when the test ends. The server comes
// from POLICYBOT_TEST_DATABASE_URL (a role that may create databases);
// without it the test skips, or fails under CI=true.
func Database(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("POLICYBOT_TEST_DATABASE_URL")
	if admin == "" {
		Unavailable(tb, "POLICYBOT_TEST_DATABASE_URL is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "policybot_t_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testenv: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testenv: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("testenv: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("testenv: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	u.Path = "/" + name
	db, err := pgx.Connect(ctx, u.String())
	if err != nil {
		tb.Fatalf("testenv: connect to %s: %v", name, err)
	}
	defer db.Close(ctx)
	// Creating the extension needs a superuser; the application may not be one.
	if _, err := db.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
		tb.Fatalf("testenv: create extension: %v", err)
	}
	return u.String()
}
