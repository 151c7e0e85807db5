package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policybot/staff"
	"policybot/staff/stafftest"
)

// TestUsers: what PostgreSQL adds to the conformance suite (stafftest):
// the role's CHECK constraint, and disabling an account ends its sessions.
func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.AddUser(ctx, staff.User{Name: "bob", Role: staff.RoleAgent, PasswordHash: "$2a$10$other", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, staff.User{Name: "eve", Role: "root", PasswordHash: "x", CreatedAt: now}); err == nil {
		t.Error("AddUser with an unknown role succeeded; the CHECK constraint should refuse it")
	}

	// Disabling ends the account's sessions.
	sess := staff.Session{ID: "h1", User: "bob", CSRF: "tok", Expires: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "h1"); err != nil || got.User != "bob" || got.CSRF != "tok" || !got.Expires.Equal(sess.Expires) {
		t.Errorf("Session(h1) = %+v, %v", got, err)
	}
	if err := s.SetUserDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "bob"); !got.Disabled {
		t.Error("bob not disabled")
	}
	if _, err := s.Session(ctx, "h1"); !errors.Is(err, staff.ErrSessionNotFound) {
		t.Errorf("session of a disabled user: error = %v, want ErrSessionNotFound", err)
	}
	if err := s.SetUserDisabled(ctx, "nobody", true); !errors.Is(err, staff.ErrUserNotFound) {
		t.Errorf("SetUserDisabled(missing) error = %v, want ErrUserNotFound", err)
	}
}

func TestUsersConformance(t *testing.T) { stafftest.Users(t, openTest(t)) }

func TestWebSessions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Now()
	if err := s.AddUser(ctx, staff.User{Name: "carol", Role: staff.RoleAgent, PasswordHash: "h", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		expires time.Time
		want    bool
	}{
		{"Valid", now.Add(time.Hour), true},
		{"Expired", now.Add(-time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CreateSession(ctx, staff.Session{ID: tt.name, User: "carol", CSRF: "c", Expires: tt.expires}); err != nil {
				t.Fatal(err)
			}
			_, err := s.Session(ctx, tt.name)
			if tt.want && err != nil {
				t.Errorf("Session = %v, want found", err)
			}
			if !tt.want && !errors.Is(err, staff.ErrSessionNotFound) {
				t.Errorf("Session error = %v, want ErrSessionNotFound", err)
			}
			if err := s.DeleteSession(ctx, tt.name); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Session(ctx, tt.name); !errors.Is(err, staff.ErrSessionNotFound) {
				t.Errorf("after delete: error = %v, want ErrSessionNotFound", err)
			}
		})
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := time.Now().UTC().Truncate(time.Microsecond)
	for i, a := range []string{"upload", "retire", "activate"} {
		e := staff.AuditEntry{At: base.Add(time.Duration(i) * time.Second), User: "alice", Action: a, Target: "doc1", Detail: "d"}
		if err := s.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditEntries(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "activate" || got[1].Action != "retire" || got[0].User != "alice" {
		t.Errorf("AuditEntries(2) = %+v; want activate, retire by alice", got)
	}
	all, err := s.AuditEntries(ctx, 0)
	if err != nil || len(all) != 3 {
		t.Errorf("AuditEntries(0) = %d entries, %v; want 3", len(all), err)
	}
}

// TestLoginAttemptsShared: parallel attempts on two replicas are counted
// atomically: 5 go ahead, the rest are refused, and a success clears them.
func TestLoginAttemptsShared(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	a, b := openURL(t, url), openURL(t, url) // two replicas on one database
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 26 {
		wg.Go(func() {
			s := []*Store{a, b}[i%2]
			ok, err := s.ReserveLogin(ctx, "admin1", 5, 15*time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Errorf("%d of 26 parallel attempts went ahead, want 5", n)
	}
	if err := a.LoginSucceeded(ctx, "admin1"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.ReserveLogin(ctx, "admin1", 5, 15*time.Minute); err != nil || !ok {
		t.Errorf("after a success: %v, %v", ok, err)
	}
}
