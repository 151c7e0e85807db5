package enterprise_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"policybot/enterprise"
	"policybot/enterprise/profiletest"
)

func TestFileProfiles(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		s, err := enterprise.NewFileProfiles("")
		if err != nil {
			t.Fatal(err)
		}
		profiletest.Run(t, s)
	})
	path := filepath.Join(t.TempDir(), "profiles.json")
	t.Run("File", func(t *testing.T) {
		s, err := enterprise.NewFileProfiles(path)
		if err != nil {
			t.Fatal(err)
		}
		profiletest.Run(t, s)
	})
	// What was kept survives a restart.
	s, err := enterprise.NewFileProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Profile(context.Background(), "console:c1"); err != nil || p.Region != "上海市" {
		t.Errorf("after reopening: %+v, %v", p, err)
	}
	// A write that fails loses nothing: memory and file keep the old state.
	if err := os.Chmod(filepath.Dir(path), 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Dir(path), 0o700)
	if os.Getuid() != 0 { // root writes anyway
		if err := s.SaveProfile(context.Background(), "wechat:o2", enterprise.Profile{Region: "天津市"}); err == nil {
			t.Fatal("save into a read-only folder succeeded")
		}
		if _, err := s.Profile(context.Background(), "wechat:o2"); err == nil {
			t.Error("a failed save is still in memory")
		}
	}
	if _, err := enterprise.NewFileProfiles(filepath.Join(t.TempDir(), "x")); err != nil {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	if _, err := enterprise.NewFileProfiles(bad); err == nil {
		t.Error("a corrupt file was read as empty")
	}
}
