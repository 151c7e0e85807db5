package staff

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Session is a signed-in browser. ID is the SHA-256 of the cookie's token,
// so a leaked session table holds nothing a browser could present.
type Session struct {
	ID      string
	User    string
	CSRF    string // per-session token every POST form carries
	Expires time.Time
}

// SessionStore keeps web sessions: MemorySessions in the embedded default,
// postgres.Store (table web_sessions) when several replicas serve.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns an unexpired session, or ErrSessionNotFound.
	Session(ctx context.Context, id string) (Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// MemorySessions is a SessionStore in process memory; a restart signs everyone out.
type MemorySessions struct {
	mu  sync.Mutex
	m   map[string]Session
	now func() time.Time
}

var _ SessionStore = (*MemorySessions)(nil)

// NewMemorySessions returns an empty session store.
func NewMemorySessions() *MemorySessions {
	return &MemorySessions{m: map[string]Session{}, now: time.Now}
}

// CreateSession stores s and drops expired sessions, which keeps the map bounded.
func (m *MemorySessions) CreateSession(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for id, o := range m.m {
		if now.After(o.Expires) {
			delete(m.m, id)
		}
	}
	m.m[s.ID] = s
	return nil
}

// Session returns an unexpired session.
func (m *MemorySessions) Session(_ context.Context, id string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[id]
	if !ok || m.now().After(s.Expires) {
		delete(m.m, id)
		return Session{}, fmt.Errorf("session: %w", ErrSessionNotFound)
	}
	return s, nil
}

// DeleteSession removes a session; a missing one is not an error.
func (m *MemorySessions) DeleteSession(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, id)
	return nil
}

// LoginAttempts counts login attempts per account atomically: an attempt
// is reserved before the password is checked, so parallel guesses count
// as they happen (25 at once for a fresh account are 5 checked, 20
// refused). The memory limiter serves one process; postgres.Store shares
// the count across replicas.
type LoginAttempts interface {
	// ReserveLogin counts one attempt at name and reports whether it may
	// go ahead: fewer than max attempts (failed or under way) within
	// window, and no lockout running. A refused attempt (re)starts a
	// lockout of window.
	ReserveLogin(ctx context.Context, name string, max int, window time.Duration) (bool, error)
	// LoginSucceeded clears name's count.
	LoginSucceeded(ctx context.Context, name string) error
}
