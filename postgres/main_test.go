package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// testURL is the temporary database of this package run; empty when the
// tests are switched off.
var testURL string

// TestMain creates a temporary database for the package run (dropped after),
// in which every test gets its own schema. POLICYBOT_TEST_DATABASE_URL points
// at a database whose role may create databases; without it the tests skip,
// unless CI=true, where a missing database is a failure.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	admin := os.Getenv("POLICYBOT_TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "postgres tests: POLICYBOT_TEST_DATABASE_URL is not set and CI=true")
			return 1
		}
		return m.Run() // each test skips
	}
	ctx := context.Background()
	name := "policybot_test_" + randomHex(6)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: connect: %v\n", err)
		return 1
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: create database: %v\n", err)
		return 1
	}
	defer func() {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "postgres tests: drop database %s: %v\n", name, err)
		}
	}()
	u, err := url.Parse(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: parse url: %v\n", err)
		return 1
	}
	u.Path = "/" + name
	testURL = u.String()
	// The extension lives in public, shared by the tests' schemas; Open's own
	// CREATE EXTENSION IF NOT EXISTS then finds it from any search_path.
	db, err := pgx.Connect(ctx, testURL)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: connect to %s: %v\n", name, err)
		return 1
	}
	_, err = db.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
	db.Close(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: create extension: %v\n", err)
		return 1
	}
	return m.Run()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var schemaSeq atomic.Int64

// newSchema creates an empty schema and returns a URL whose connections use it.
func newSchema(t testing.TB) string {
	t.Helper()
	if testURL == "" {
		t.Skip("POLICYBOT_TEST_DATABASE_URL not set")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("t%d_%s", schemaSeq.Add(1), randomHex(3))
	conn, err := pgx.Connect(ctx, testURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, _ := url.Parse(testURL)
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// openURL opens a store on url, closed when the test ends.
func openURL(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, WithMaxConns(4))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// openTest opens a store on a fresh schema.
func openTest(t testing.TB) *Store {
	t.Helper()
	return openURL(t, newSchema(t))
}
