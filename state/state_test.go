package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestPurgeExpired: expired sessions, values and claims go; live ones stay.
func TestPurgeExpired(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	_ = m.SaveSession(ctx, "old", []byte("s"), time.Minute)
	_ = m.SaveSession(ctx, "live", []byte("s"), time.Hour)
	_ = m.KVSet(ctx, "old", []byte("v"), time.Minute)
	_ = m.KVSet(ctx, "forever", []byte("v"), 0)
	if ok, _ := m.ClaimMessage(ctx, "old", time.Minute); !ok {
		t.Fatal("claim refused")
	}
	if ok, _ := m.ClaimMessage(ctx, "live", time.Hour); !ok {
		t.Fatal("claim refused")
	}
	now = now.Add(10 * time.Minute)
	n, err := m.PurgeExpired(ctx)
	if err != nil || n != 3 {
		t.Errorf("PurgeExpired = %d, %v; want 3 rows", n, err)
	}
	if len(m.sessions) != 1 || len(m.kv) != 1 || len(m.claims) != 1 {
		t.Errorf("left %d sessions, %d values, %d claims; want 1 each", len(m.sessions), len(m.kv), len(m.claims))
	}
	if _, err := m.LoadSession(ctx, "live"); err != nil {
		t.Errorf("live session: %v", err)
	}
	if _, done, err := m.MessageResult(ctx, "live"); err != nil || done {
		t.Errorf("live claim: done %v, %v", done, err)
	}
}

// TestPublicAnswersBounded: beyond maxPublicAnswers the oldest go first.
func TestPublicAnswersBounded(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	for i := range maxPublicAnswers + 5 {
		if err := m.SavePublicAnswer(ctx, fmt.Sprint(i), []byte("a")); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.answers) != maxPublicAnswers {
		t.Errorf("%d answers kept, want %d", len(m.answers), maxPublicAnswers)
	}
	if _, err := m.PublicAnswer(ctx, "4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("oldest answers kept: %v", err)
	}
	if _, err := m.PublicAnswer(ctx, fmt.Sprint(maxPublicAnswers+4)); err != nil {
		t.Errorf("newest answer: %v", err)
	}
}

// TestUnansweredBounds: questions are cleaned and cut before they are kept,
// and entries older than the retention go.
func TestUnansweredBounds(t *testing.T) {
	m := NewMemory()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	m.RecordUnanswered(ctx, Unanswered{Question: "旧问题", At: now.Add(-UnansweredRetention - time.Hour)})
	m.RecordUnanswered(ctx, Unanswered{Question: "续贷\x00怎么\xff办" + strings.Repeat("长", 600), At: now})
	got, _ := m.ListUnanswered(ctx, 0)
	if len(got) != 1 {
		t.Fatalf("kept %d entries, want the recent one only", len(got))
	}
	q := got[0].Question
	if !strings.HasPrefix(q, "续贷怎么办") || strings.ContainsRune(q, 0) || !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxUnansweredRunes+1 {
		t.Errorf("kept question %q (%d runes)", q[:min(len(q), 40)], utf8.RuneCountInString(q))
	}
}

// TestClaimMessages: as the PostgreSQL store's, with the memory store's clock.
func TestClaimMessages(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	first, _ := m.ClaimMessages(ctx, time.Minute, "n:body", "n")
	now = now.Add(3 * time.Second)
	again, _ := m.ClaimMessages(ctx, time.Minute, "n:other", "n")
	want := []Claim{{true, now}, {false, now.Add(-3 * time.Second)}}
	if len(first) != 2 || !first[0].Won || !first[1].Won || len(again) != 2 || again[0] != want[0] || again[1] != want[1] {
		t.Errorf("ClaimMessages = %+v then %+v; want both won, then %+v", first, again, want)
	}
}

// TestPushLog: as the PostgreSQL store's, with the memory store's clock.
func TestPushLog(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	_ = m.RecordPush(ctx, PushEntry{Enterprise: "wechat:#old", Outcome: "failed"})
	now = now.Add(PushLogRetention + time.Hour)
	_ = m.RecordPush(ctx, PushEntry{Enterprise: "wechat:#a1", Outcome: "customer_service"})
	_ = m.RecordPush(ctx, PushEntry{Enterprise: "wechat:#b2", Outcome: "template"})
	got, _ := m.PushEntries(ctx, 0)
	if len(got) != 2 || got[0].Enterprise != "wechat:#b2" || got[1].Enterprise != "wechat:#a1" || !got[0].At.Equal(now) {
		t.Errorf("PushEntries = %+v; want the two recent ones, newest first", got)
	}
}
