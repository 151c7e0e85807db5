package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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

// randomToken returns 32 random bytes, hex-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b)
}

// sessionID is the stored key of a cookie token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Login throttling: each failure delays the answer, and after maxFailures
// within lockoutFor the account is locked for lockoutFor. The state lives in
// the process: with several replicas each one counts on its own, which still
// bounds guessing to a few attempts per replica per quarter hour.
const (
	maxFailures = 5
	lockoutFor  = 15 * time.Minute
	failDelay   = 500 * time.Millisecond
)

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

type failures struct {
	count int
	first time.Time // start of the counting window
	until time.Time // locked until
}

// limiter is the in-process LoginAttempts.
type limiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: map[string]*failures{}, now: now}
}

// ReserveLogin implements LoginAttempts.
func (l *limiter) ReserveLogin(_ context.Context, name string, max int, window time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) > 10000 { // unknown names must not grow the map without bound
		for k, f := range l.m {
			if now.Sub(f.first) > window && now.After(f.until) {
				delete(l.m, k)
			}
		}
	}
	f, ok := l.m[name]
	if ok && now.Before(f.until) {
		return false, nil
	}
	if !ok || now.Sub(f.first) > window {
		f = &failures{first: now}
		l.m[name] = f
	}
	if f.count >= max {
		f.until = now.Add(window)
		return false, nil
	}
	f.count++
	return true, nil
}

// LoginSucceeded implements LoginAttempts.
func (l *limiter) LoginSucceeded(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, name)
	return nil
}
