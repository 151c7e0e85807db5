package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policybot/state"
)

func TestExpiringValues(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	type ops struct {
		name string
		get  func(ctx context.Context, key string) ([]byte, error)
		set  func(ctx context.Context, key string, data []byte, ttl time.Duration) error
	}
	for _, o := range []ops{{"Session", s.LoadSession, s.SaveSession}, {"KV", s.KVGet, s.KVSet}} {
		t.Run(o.name, func(t *testing.T) {
			if _, err := o.get(ctx, "missing"); !errors.Is(err, state.ErrNotFound) {
				t.Errorf("get(missing) error = %v, want ErrNotFound", err)
			}
			if err := o.set(ctx, "k", []byte("v1"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := o.set(ctx, "k", []byte("v2"), time.Hour); err != nil { // overwrite
				t.Fatal(err)
			}
			if got, err := o.get(ctx, "k"); err != nil || string(got) != "v2" {
				t.Errorf("get(k) = %q, %v; want v2", got, err)
			}
			if err := o.set(ctx, "forever", []byte("x"), 0); err != nil {
				t.Fatal(err)
			}
			if err := o.set(ctx, "short", []byte("x"), 20*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := o.get(ctx, "short"); !errors.Is(err, state.ErrNotFound) {
				t.Errorf("get(expired) error = %v, want ErrNotFound", err)
			}
			if got, err := o.get(ctx, "forever"); err != nil || string(got) != "x" {
				t.Errorf("get(no ttl) = %q, %v; want x", got, err)
			}
		})
	}
	if err := s.KVDelete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KVGet(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("KVGet after delete: error = %v, want ErrNotFound", err)
	}
	n, err := s.PurgeExpired(ctx)
	if err != nil || n != 2 { // the expired session and kv entries
		t.Errorf("PurgeExpired = %d, %v; want 2", n, err)
	}
}

func TestPublicAnswers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.PublicAnswer(ctx, "nope"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("PublicAnswer(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.SavePublicAnswer(ctx, "a1", []byte(`{"answer":"…"}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PublicAnswer(ctx, "a1"); err != nil || string(got) != `{"answer":"…"}` {
		t.Errorf("PublicAnswer = %q, %v", got, err)
	}
}

func TestClaimMessage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	steps := []struct {
		name string
		do   func() error
	}{
		{"FirstClaimWins", func() error { return expectClaim(s, "m1", time.Minute, true) }},
		{"SecondClaimLoses", func() error { return expectClaim(s, "m1", time.Minute, false) }},
		{"PendingResult", func() error { return expectResult(s, "m1", "", false, nil) }},
		{"Finish", func() error { return s.FinishMessage(ctx, "m1", []byte("答案")) }},
		{"DoneResult", func() error { return expectResult(s, "m1", "答案", true, nil) }},
		{"StillClaimedWhenDone", func() error { return expectClaim(s, "m1", time.Minute, false) }},
		{"UnknownResult", func() error { return expectResult(s, "m2", "", false, state.ErrNotFound) }},
		{"FinishUnknown", func() error {
			if err := s.FinishMessage(ctx, "m2", nil); !errors.Is(err, state.ErrNotFound) {
				return fmt.Errorf("FinishMessage(unknown) error = %v, want ErrNotFound", err)
			}
			return nil
		}},
		{"ShortClaim", func() error { return expectClaim(s, "m3", 20*time.Millisecond, true) }},
		{"ExpiredClaimTakenOver", func() error {
			time.Sleep(50 * time.Millisecond)
			if err := expectResult(s, "m3", "", false, state.ErrNotFound); err != nil {
				return err
			}
			return expectClaim(s, "m3", time.Minute, true)
		}},
		{"TakenOverIsPending", func() error { return expectResult(s, "m3", "", false, nil) }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
}

func expectClaim(s *Store, key string, ttl time.Duration, want bool) error {
	got, err := s.ClaimMessage(context.Background(), key, ttl)
	if err != nil || got != want {
		return fmt.Errorf("ClaimMessage(%s) = %v, %v; want %v", key, got, err, want)
	}
	return nil
}

func expectResult(s *Store, key, want string, wantDone bool, wantErr error) error {
	got, done, err := s.MessageResult(context.Background(), key)
	if !errors.Is(err, wantErr) || string(got) != want || done != wantDone {
		return fmt.Errorf("MessageResult(%s) = %q, %v, %v; want %q, %v, %v", key, got, done, err, want, wantDone, wantErr)
	}
	return nil
}

// TestClaimMessageConcurrent plays two replicas (two pools on one database)
// receiving WeChat's retries of the same messages at once.
func TestClaimMessageConcurrent(t *testing.T) {
	url := newSchema(t)
	replicas := []*Store{openURL(t, url), openURL(t, url)}
	for i := range 20 {
		key := fmt.Sprintf("msg-%d", i)
		var (
			wins atomic.Int32
			wg   sync.WaitGroup
		)
		for j := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := replicas[j%2].ClaimMessage(context.Background(), key, time.Minute)
				if err != nil {
					t.Errorf("ClaimMessage: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%s: %d claims won, want exactly 1", key, n)
		}
	}
}

func TestUnanswered(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	in := []state.Unanswered{
		{Question: "旧问题", Region: "天津市", BestScore: 0.1, Refused: true, At: base},
		{Question: "新问题", Region: "北京市", BestScore: 0.4, Refused: false, At: base.Add(2 * time.Hour), Document: "bj-2020"},
		{Question: "中间", Region: "", BestScore: 0.2, Refused: true, At: base.Add(time.Hour)},
	}
	for _, u := range in {
		if err := s.RecordUnanswered(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{2, []string{"新问题", "中间"}},
		{0, []string{"新问题", "中间", "旧问题"}},
		{10, []string{"新问题", "中间", "旧问题"}},
	}
	for _, tt := range tests {
		got, err := s.ListUnanswered(ctx, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var qs []string
		for _, u := range got {
			qs = append(qs, u.Question)
		}
		if fmt.Sprint(qs) != fmt.Sprint(tt.want) {
			t.Errorf("ListUnanswered(%d) = %v, want %v", tt.limit, qs, tt.want)
		}
	}
	got, _ := s.ListUnanswered(ctx, 1)
	if u := got[0]; u.Region != "北京市" || u.BestScore != 0.4 || u.Refused || !u.At.Equal(in[1].At) || u.Document != "bj-2020" {
		t.Errorf("ListUnanswered[0] = %+v, want %+v", u, in[1])
	}
	// Without a time the database's clock is used.
	before := time.Now().Add(-time.Minute)
	if err := s.RecordUnanswered(ctx, state.Unanswered{Question: "现在"}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListUnanswered(ctx, 1)
	if got[0].Question != "现在" || got[0].At.Before(before) {
		t.Errorf("ListUnanswered[0] = %+v, want 现在 stamped now", got[0])
	}
}

// TestUnansweredHygiene: a question with a NUL byte or invalid UTF-8 is
// kept (cleaned), and entries older than the retention are purged.
func TestUnansweredHygiene(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.RecordUnanswered(ctx, state.Unanswered{Question: "续贷\x00怎么\xff办", At: time.Now().Add(-state.UnansweredRetention - time.Hour)}); err != nil {
		t.Fatalf("a NUL byte lost the record: %v", err)
	}
	if err := s.RecordUnanswered(ctx, state.Unanswered{Question: "新问题"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListUnanswered(ctx, 0)
	if err != nil || len(got) != 2 || got[1].Question != "续贷怎么办" {
		t.Fatalf("ListUnanswered = %+v, %v", got, err)
	}
	if _, err := s.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = s.ListUnanswered(ctx, 0)
	if err != nil || len(got) != 1 || got[0].Question != "新问题" {
		t.Errorf("after the purge: %+v, %v; want only the recent question", got, err)
	}
}

// TestClaimMessages: several keys claimed in one statement, each won or
// lost on its own, with the time its holder claimed it.
func TestClaimMessages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	first, err := s.ClaimMessages(ctx, time.Minute, "n:body", "n")
	if err != nil || len(first) != 2 || !first[0].Won || !first[1].Won || first[0].At.IsZero() {
		t.Fatalf("first ClaimMessages = %+v, %v; want both won, with a time", first, err)
	}
	again, err := s.ClaimMessages(ctx, time.Minute, "n:other", "n")
	if err != nil || len(again) != 2 || !again[0].Won || again[1].Won {
		t.Fatalf("second ClaimMessages = %+v, %v; want the new key won, the old one lost", again, err)
	}
	if !again[1].At.Equal(first[1].At) {
		t.Errorf("lost claim's time %v, want its holder's %v", again[1].At, first[1].At)
	}
	if won, err := s.ClaimMessage(ctx, "n:body", time.Minute); err != nil || won {
		t.Errorf("ClaimMessage(n:body) = %v, %v; want lost", won, err)
	}
}

// TestPushLog: pushes are logged newest first, the enterprise as given
// (hashed by the caller), and purged by age.
func TestPushLog(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	old := state.PushEntry{At: time.Now().Add(-state.PushLogRetention - time.Hour), Enterprise: "wechat:#old", Documents: []string{"旧"}, Outcome: "failed"}
	e1 := state.PushEntry{Enterprise: "wechat:#a1", Documents: []string{"天津措施", "北京措施"}, Outcome: "customer_service"}
	e2 := state.PushEntry{Enterprise: "wechat:#b2", Outcome: "not_following"}
	for _, e := range []state.PushEntry{old, e1, e2} {
		if err := s.RecordPush(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PushEntries(ctx, 2)
	if err != nil || len(got) != 2 || got[0].Enterprise != "wechat:#b2" || got[1].Outcome != "customer_service" || len(got[1].Documents) != 2 || got[0].Documents == nil {
		t.Fatalf("PushEntries = %+v, %v", got, err)
	}
	if _, err := s.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PushEntries(ctx, 0); len(got) != 2 {
		t.Errorf("after purging: %d entries, want the two recent ones", len(got))
	}
}
