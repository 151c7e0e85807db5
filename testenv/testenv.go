// Package testenv locates what tests need from outside the repository: the
// project's shared/ folder (the development corpus and question sets) beside
// the checkout. Tests that cannot find it are skipped on a laptop and fail
// in CI (CI=true), so CI never passes by skipping.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Shared returns the shared/ folder holding corpus/ and eval/, found by
// walking up from the working directory.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "shared", "corpus")); err == nil && st.IsDir() {
			return filepath.Join(dir, "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			Unavailable(tb, "shared/corpus not found above the working directory")
		}
		dir = parent
	}
}

// Unavailable skips the test for lack of something outside the repository,
// or fails it in CI, where everything must be there.
func Unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(why + " (CI=true: not skipping)")
	}
	tb.Skip(why)
}
