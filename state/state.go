// Package state keeps the small pieces of shared state the bot and the answer
// service need — conversation sessions, WeChat message claims, cached tokens,
// public answers, unanswered questions — in process memory. postgres.Store
// implements the same methods so that several replicas share them.
package state

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrNotFound is returned for a missing or expired key.
var ErrNotFound = errors.New("not found")

// Unanswered is a question that was refused or answered with low confidence.
type Unanswered struct {
	Question  string    `json:"question"`
	Region    string    `json:"region"`
	BestScore float64   `json:"best_score"`
	Refused   bool      `json:"refused"` // false: answered with low confidence
	At        time.Time `json:"at"`
	// Document is the best hit's document ID ("" when nothing was found),
	// so admins see when a question found only a policy no longer in force.
	Document string `json:"document,omitempty"`
}

// PushEntry is one push of new policies, as the admins' push log shows it.
type PushEntry struct {
	At time.Time `json:"at"`
	// Enterprise is the profile key with its openid hashed: the log shows
	// which pushes went together, never who the user is.
	Enterprise string   `json:"enterprise"`
	Documents  []string `json:"documents"` // titles of the documents named
	Outcome    string   `json:"outcome"`   // customer_service, template, not_following, failed, daily_cap
}

// Push log bounds: the admins' page shows the recent past.
const (
	MaxPushEntries   = 10000
	PushLogRetention = 90 * 24 * time.Hour
)

type entry struct {
	data    []byte
	expires time.Time // zero: never
}

// Memory implements every state store in process memory with expiry.
type Memory struct {
	mu         sync.Mutex
	now        func() time.Time
	sessions   map[string]entry
	kv         map[string]entry
	answers    map[string]entry
	claims     map[string]*claim
	pushes     []PushEntry // oldest first
	unanswered []Unanswered
	handled    map[string]Handled // by question key
	// answerIDs is a ring of the public answers' IDs in saving order;
	// nextAnswer is where the next goes, over the oldest once it is full.
	answerIDs  []string
	nextAnswer int
}

// maxPublicAnswers bounds the public answers kept in memory (the links of
// answers cut for WeChat); the oldest go first. PostgreSQL keeps them all.
const maxPublicAnswers = 10000

// Claim is the outcome of claiming a message key.
type Claim struct {
	Won bool      // the caller holds the claim now
	At  time.Time // when its holder claimed it; zero when not known
}

type claim struct {
	at      time.Time // when it was claimed
	expires time.Time
	done    bool
	result  []byte
}

// NewMemory returns an empty in-memory state.
func NewMemory() *Memory {
	return &Memory{now: time.Now, sessions: map[string]entry{}, kv: map[string]entry{},
		answers: map[string]entry{}, claims: map[string]*claim{}}
}

func (m *Memory) get(tbl map[string]entry, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := tbl[key]
	if !ok || (!e.expires.IsZero() && m.now().After(e.expires)) {
		delete(tbl, key)
		return nil, ErrNotFound
	}
	return append([]byte(nil), e.data...), nil
}

func (m *Memory) set(tbl map[string]entry, key string, data []byte, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := entry{data: append([]byte(nil), data...)}
	if ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	tbl[key] = e
}

// LoadSession returns a session's saved state, or ErrNotFound.
func (m *Memory) LoadSession(_ context.Context, id string) ([]byte, error) {
	return m.get(m.sessions, id)
}

// SaveSession saves a session's state for ttl.
func (m *Memory) SaveSession(_ context.Context, id string, data []byte, ttl time.Duration) error {
	m.set(m.sessions, id, data, ttl)
	return nil
}

// KVGet returns a cached value, or ErrNotFound.
func (m *Memory) KVGet(_ context.Context, key string) ([]byte, error) { return m.get(m.kv, key) }

// KVSet caches a value for ttl (0: no expiry).
func (m *Memory) KVSet(_ context.Context, key string, data []byte, ttl time.Duration) error {
	m.set(m.kv, key, data, ttl)
	return nil
}

// KVDelete removes a cached value.
func (m *Memory) KVDelete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kv, key)
	return nil
}

// SavePublicAnswer stores an answer served read-only at /a/{id}.
func (m *Memory) SavePublicAnswer(_ context.Context, id string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.answers[id]; !ok {
		if len(m.answerIDs) < maxPublicAnswers {
			m.answerIDs = append(m.answerIDs, id)
		} else {
			delete(m.answers, m.answerIDs[m.nextAnswer])
			m.answerIDs[m.nextAnswer] = id
		}
		m.nextAnswer = (m.nextAnswer + 1) % maxPublicAnswers
	}
	m.answers[id] = entry{data: append([]byte(nil), data...)}
	return nil
}

// PublicAnswer returns a stored public answer, or ErrNotFound.
func (m *Memory) PublicAnswer(_ context.Context, id string) ([]byte, error) {
	return m.get(m.answers, id)
}

// ClaimMessage records that this process answers message key. It reports
// false when the key was already claimed and the claim has not expired.
func (m *Memory) ClaimMessage(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	c, err := m.ClaimMessages(ctx, ttl, key)
	if err != nil {
		return false, err
	}
	return c[0].Won, nil
}

// ClaimMessages claims each of keys as ClaimMessage does, at once.
func (m *Memory) ClaimMessages(_ context.Context, ttl time.Duration, keys ...string) ([]Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make([]Claim, len(keys))
	for i, key := range keys {
		if c, ok := m.claims[key]; ok && now.Before(c.expires) {
			out[i] = Claim{At: c.at}
			continue
		}
		m.claims[key] = &claim{at: now, expires: now.Add(ttl)}
		out[i] = Claim{Won: true, At: now}
	}
	return out, nil
}

// FinishMessage stores the result of a claimed message.
func (m *Memory) FinishMessage(_ context.Context, key string, result []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[key]
	if !ok {
		return ErrNotFound
	}
	c.done, c.result = true, append([]byte(nil), result...)
	return nil
}

// MessageResult returns the result of a message: done is false while it is being computed.
func (m *Memory) MessageResult(_ context.Context, key string) (result []byte, done bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[key]
	if !ok || m.now().After(c.expires) {
		return nil, false, ErrNotFound
	}
	return append([]byte(nil), c.result...), c.done, nil
}

// PurgeExpired deletes expired sessions, cached values and message claims,
// which reads already ignore; serve calls it periodically so that memory
// stays bounded (each WeChat message leaves a claim with its reply).
func (m *Memory) PurgeExpired(_ context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var n int64
	for _, tbl := range []map[string]entry{m.sessions, m.kv} {
		for k, e := range tbl {
			if !e.expires.IsZero() && now.After(e.expires) {
				delete(tbl, k)
				n++
			}
		}
	}
	for k, c := range m.claims {
		if now.After(c.expires) {
			delete(m.claims, k)
			n++
		}
	}
	return n, nil
}

// Bounds of the unanswered-question log, in both stores: entries older than
// UnansweredRetention are purged, at most MaxUnanswered kept (the oldest go
// first), and a question is stored cut to MaxUnansweredRunes.
const (
	UnansweredRetention = 90 * 24 * time.Hour
	MaxUnanswered       = 10000
	MaxUnansweredRunes  = 500
)

// CleanText makes text safe to store and show: invalid UTF-8 and NUL and
// other control characters (but line breaks and tabs) dropped, cut to max
// runes (0: no limit).
func CleanText(text string, max int) string {
	text = strings.ToValidUTF8(text, "")
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, text)
	if max > 0 && utf8.RuneCountInString(text) > max {
		text = string([]rune(text)[:max]) + "…"
	}
	return text
}

// RecordUnanswered logs a refused or low-confidence question.
func (m *Memory) RecordUnanswered(_ context.Context, u Unanswered) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.At.IsZero() {
		u.At = m.now()
	}
	u.Question = CleanText(u.Question, MaxUnansweredRunes)
	m.unanswered = bounded(append(m.unanswered, u), func(u Unanswered) time.Time { return u.At }, m.now(), UnansweredRetention, MaxUnanswered)
	return nil
}

// bounded drops from log (oldest first) what is older than retention and
// what exceeds limit entries.
func bounded[T any](log []T, at func(T) time.Time, now time.Time, retention time.Duration, limit int) []T {
	cut := 0
	for cut < len(log) && now.Sub(at(log[cut])) > retention {
		cut++
	}
	return log[max(cut, len(log)-limit):]
}

// RecordPush logs one push.
func (m *Memory) RecordPush(_ context.Context, e PushEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.At.IsZero() {
		e.At = m.now()
	}
	m.pushes = bounded(append(m.pushes, e), func(e PushEntry) time.Time { return e.At }, m.now(), PushLogRetention, MaxPushEntries)
	return nil
}

// PushEntries returns logged pushes, newest first, at most limit.
func (m *Memory) PushEntries(_ context.Context, limit int) ([]PushEntry, error) {
	m.mu.Lock()
	out := slices.Clone(m.pushes)
	m.mu.Unlock()
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ListUnanswered returns recorded questions, newest first, at most limit.
func (m *Memory) ListUnanswered(_ context.Context, limit int) ([]Unanswered, error) {
	m.mu.Lock()
	out := append([]Unanswered(nil), m.unanswered...)
	m.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
