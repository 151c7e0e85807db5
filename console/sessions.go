package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

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

type failures struct {
	count int
	first time.Time // start of the counting window
	until time.Time // locked until
}

// limiter is the in-process staff.LoginAttempts.
type limiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: map[string]*failures{}, now: now}
}

// ReserveLogin implements staff.LoginAttempts.
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

// LoginSucceeded implements staff.LoginAttempts.
func (l *limiter) LoginSucceeded(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, name)
	return nil
}
