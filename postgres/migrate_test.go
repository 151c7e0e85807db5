package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		wantErr  bool
	}{
		{"Ordered", fstest.MapFS{"migrations/010_b.sql": file("b"), "migrations/002_a.sql": file("a")}, []int{2, 10}, false},
		{"NoNumber", fstest.MapFS{"migrations/init.sql": file("x")}, nil, true},
		{"ZeroVersion", fstest.MapFS{"migrations/000_init.sql": file("x")}, nil, true},
		{"DuplicateVersion", fstest.MapFS{"migrations/001_a.sql": file("a"), "migrations/01_b.sql": file("b")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("loadMigrations: error %v, want error %v", err, tt.wantErr)
			}
			if len(ms) != len(tt.versions) {
				t.Fatalf("loadMigrations = %d migrations, want versions %v", len(ms), tt.versions)
			}
			for i, m := range ms {
				if m.version != tt.versions[i] || m.sql == "" {
					t.Errorf("migration %d = version %d (%d bytes), want version %d", i, m.version, len(m.sql), tt.versions[i])
				}
			}
		})
	}
}

// TestEmbeddedMigrations checks the shipped files: 001 and 002 are this
// package's, later numbers belong to other packages' tables.
func TestEmbeddedMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].version != 1 || ms[1].version != 2 {
		t.Fatalf("embedded migrations start %v, want 001 and 002", ms)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].version <= ms[i-1].version {
			t.Errorf("migrations out of order: %d after %d", ms[i].version, ms[i-1].version)
		}
	}
}

func embedded(t *testing.T) []migration {
	t.Helper()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	// Replicas starting together: each migration is applied once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, url, WithMaxConns(2))
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := openURL(t, url) // and once more, later
	ms := embedded(t)
	v, err := s.SchemaVersion(ctx)
	if latest := ms[len(ms)-1].version; err != nil || v != latest {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d", n, err, len(ms))
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	s := openURL(t, url)
	if _, err := s.pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')"); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, url)
	if err == nil {
		s2.Close()
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: error %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ms := embedded(t)
	latest := ms[len(ms)-1].version
	bad := append(ms, migration{version: latest + 1, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT no_such_column FROM half_done"})
	if err := s.applyMigrations(ctx, bad); err == nil {
		t.Fatal("applyMigrations with a broken migration succeeded")
	}
	var v int
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT (SELECT max(version) FROM schema_migrations), to_regclass('half_done') IS NOT NULL`).Scan(&v, &exists)
	if err != nil || v != latest || exists {
		t.Fatalf("after a failed migration: version %d, half_done exists %v, %v; want %d and no table", v, exists, err, latest)
	}
}
