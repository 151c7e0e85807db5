// Package stafftest is the conformance suite of staff.UserStore: the
// folder store of the embedded default and PostgreSQL must both pass it.
package stafftest

import (
	"context"
	"errors"
	"testing"
	"time"

	"policybot/staff"
)

// Users runs the suite on an empty store.
func Users(t *testing.T, s staff.UserStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	alice := staff.User{Name: "alice", Role: staff.RoleAdmin, PasswordHash: "$2a$10$hash", CreatedAt: now}
	bob := staff.User{Name: "bob", Role: staff.RoleAgent, PasswordHash: "$2a$10$other", CreatedAt: now, Region: "天津市"}
	if _, err := s.User(ctx, "alice"); !errors.Is(err, staff.ErrUserNotFound) {
		t.Fatalf("User(missing) error = %v, want ErrUserNotFound", err)
	}
	for _, u := range []staff.User{bob, alice} {
		if err := s.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddUser(ctx, alice); !errors.Is(err, staff.ErrUserExists) {
		t.Errorf("AddUser(duplicate) error = %v, want ErrUserExists", err)
	}
	if got, err := s.User(ctx, "bob"); err != nil || got.Region != "天津市" || got.Role != staff.RoleAgent || !got.CreatedAt.Equal(now) {
		t.Errorf("User(bob) = %+v, %v; want %+v", got, err, bob)
	}
	tests := []struct {
		name, user, region string
		wantErr            error
	}{
		{"Set", "alice", "天津市滨海新区", nil},
		{"Change", "alice", "北京市", nil},
		{"Clear", "bob", "", nil},
		{"ErrUserNotFound", "nobody", "天津市", staff.ErrUserNotFound},
	}
	for _, tt := range tests {
		t.Run("Region"+tt.name, func(t *testing.T) {
			err := s.SetUserRegion(ctx, tt.user, tt.region)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetUserRegion(%s, %s) error = %v, want %v", tt.user, tt.region, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got, err := s.User(ctx, tt.user); err != nil || got.Region != tt.region {
				t.Errorf("after SetUserRegion: region %q, %v; want %q", got.Region, err, tt.region)
			}
		})
	}
	us, err := s.Users(ctx)
	if err != nil || len(us) != 2 || us[0].Name != "alice" || us[0].Region != "北京市" || us[1].Name != "bob" {
		t.Errorf("Users() = %+v, %v; want alice (北京市), bob", us, err)
	}
	if err := s.SetUserDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "bob"); !got.Disabled {
		t.Error("bob not disabled")
	}
	if err := s.SetUserDisabled(ctx, "nobody", true); !errors.Is(err, staff.ErrUserNotFound) {
		t.Errorf("SetUserDisabled(missing) error = %v, want ErrUserNotFound", err)
	}
}
