package answer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policybot/retrieval"
)

func TestAskExample(t *testing.T) {
	svc, _ := newTestService(&fakeSearcher{hits: fixed(credit, finance, national)}, nil)

	ans := mustAsk(t, svc, "u1", "小微企业续贷怎么办")
	if !ans.Answered {
		t.Fatalf("not answered:\n%s", ans.Answer)
	}
	assertContains(t, ans.Answer, "无还本续贷", "《天津市提升中小企业竞争力若干措施》", "津中小企组〔2022〕2号",
		"（四）加强信贷支持", "责任单位："+strings.Join(creditAgencies, "、"))
	if len(ans.Citations) == 0 || ans.Citations[0].Clause.ID != credit.Clause.ID {
		t.Fatalf("first citation = %+v, want %s", ans.Citations, credit.Clause.ID)
	}
	if strings.ContainsAny(ans.Answer, "*#`") {
		t.Errorf("answer has Markdown:\n%s", ans.Answer)
	}

	follow := mustAsk(t, svc, "u1", "那找哪个部门办理？")
	if !follow.Answered {
		t.Fatalf("follow-up not answered:\n%s", follow.Answer)
	}
	assertContains(t, follow.Answer, strings.Join(creditAgencies, "、"), "《天津市提升中小企业竞争力若干措施》", "（四）加强信贷支持")
}

func TestAskCitations(t *testing.T) {
	tests := []struct {
		name string
		hits []retrieval.Hit
		want []string // clause IDs cited, in order
		q    string
	}{
		{"one per document, national after own region", []retrieval.Hit{credit, finance, national}, []string{"tj/6", "gov/3"}, "小微企业续贷有哪些支持政策"},
		{"other region left out when own region answers", []retrieval.Hit{credit, other, national}, []string{"tj/6", "gov/3"}, "小微企业续贷有哪些支持政策"},
		{"far hits left out", []retrieval.Hit{credit, {Score: 0.4, Document: natDoc, Clause: national.Clause}}, []string{"tj/6"}, "小微企业续贷有哪些支持政策"},
		// One measure asked for: a second clause saying the same adds nothing.
		{"a second clause only when it adds", []retrieval.Hit{credit, finance, national}, []string{"tj/6"}, "小微企业续贷怎么办"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newTestService(&fakeSearcher{hits: fixed(tt.hits...)}, nil)
			ans := mustAsk(t, svc, "", tt.q)
			var got []string
			for _, c := range ans.Citations {
				got = append(got, c.Clause.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("cited %v, want %v", got, tt.want)
			}
			if len(tt.want) > 1 {
				assertContains(t, ans.Answer, "[1] 依据：", "[2] 依据：")
			}
		})
	}
}

func TestAskRefusal(t *testing.T) {
	low := credit
	low.Score = 0.2
	weak := credit
	weak.Score = 0.4
	tests := []struct {
		name         string
		q            string
		hits         []retrieval.Hit
		wantAnswered bool
		wantRecorded bool
		wantRefused  bool
	}{
		{"best below MinScore", "明天会下雨吗", []retrieval.Hit{low}, false, true, true},
		{"no hits", "推荐一部好看的电影", nil, false, true, true},
		{"no content terms", "请问怎么办？", []retrieval.Hit{credit}, false, true, true},
		{"low confidence answered and recorded", "小微企业续贷怎么办", []retrieval.Hit{weak}, true, true, false},
		{"confident", "小微企业续贷怎么办", []retrieval.Hit{credit}, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st := newTestService(&fakeSearcher{hits: fixed(tt.hits...)}, nil)
			ans := mustAsk(t, svc, "", tt.q)
			if ans.Answered != tt.wantAnswered {
				t.Fatalf("Answered = %v, want %v:\n%s", ans.Answered, tt.wantAnswered, ans.Answer)
			}
			if !ans.Answered {
				assertContains(t, ans.Answer, "未找到与您问题直接相关的政策条款", "12345", "12366")
				if len(ans.Citations) != 0 {
					t.Errorf("refusal cites %v", ans.Citations)
				}
			}
			rec, _ := st.ListUnanswered(context.Background(), 0)
			if (len(rec) == 1) != tt.wantRecorded {
				t.Fatalf("recorded %v, want recorded=%v", rec, tt.wantRecorded)
			}
			if tt.wantRecorded && (rec[0].Question != tt.q || rec[0].Region != "天津市" || rec[0].Refused != tt.wantRefused) {
				t.Errorf("recorded %+v", rec[0])
			}
		})
	}
}

func TestAskSearchError(t *testing.T) {
	boom := errors.New("store down")
	svc, _ := newTestService(&fakeSearcher{err: boom}, nil)
	_, err := svc.Ask(context.Background(), Request{Question: "小微企业续贷怎么办"})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "answer: search") {
		t.Fatalf("err = %v, want wrapped %v", err, boom)
	}
}

func TestAskRegion(t *testing.T) {
	f := &fakeSearcher{hits: fixed(credit)}
	svc, _ := newTestService(f, nil)
	for _, tt := range []struct{ region, want string }{{"", "天津市"}, {"北京市", "北京市"}} {
		if _, err := svc.Ask(context.Background(), Request{Region: tt.region, Question: "续贷"}); err != nil {
			t.Fatal(err)
		}
		if got := f.reqs[len(f.reqs)-1].Region; got != tt.want {
			t.Errorf("region %q searched as %q, want %q", tt.region, got, tt.want)
		}
	}
}

func TestFollowUps(t *testing.T) {
	noAgency := national
	noAgency.Score = 0.95
	hits := []retrieval.Hit{credit, finance, national}

	type step struct {
		q            string
		wantAnswered bool
		want         []string // substrings of the answer
		wantQuery    string   // when set, the query searched
		wantCited    []string
	}
	tests := []struct {
		name  string
		hits  []retrieval.Hit
		steps []step
	}{
		{"more then none left", hits, []step{
			{q: "小微企业续贷有哪些支持政策", wantAnswered: true, wantCited: []string{"tj/6", "gov/3"}},
			{q: "还有别的吗？", wantAnswered: true, want: []string{leadMore, "（五）创新金融服务模式"}, wantCited: []string{"tj/7"}},
			{q: "还有吗", wantAnswered: false, want: []string{noMore}},
		}},
		{"detail gives the whole clause", hits, []step{
			{q: "小微企业续贷怎么办", wantAnswered: true},
			{q: "详细说说", wantAnswered: true, want: []string{credit.Clause.Text, "（四）加强信贷支持", "津中小企组〔2022〕2号"}, wantCited: []string{"tj/6"}},
		}},
		{"agencies of a clause without any", []retrieval.Hit{noAgency}, []step{
			{q: "小微企业续贷怎么办", wantAnswered: true},
			{q: "找谁办理", wantAnswered: true, want: []string{"没有列明责任单位", "国务院办公厅", "三、加大融资支持"}},
		}},
		{"elliptical read with the topic", hits, []step{
			{q: "小微企业续贷怎么办", wantAnswered: true},
			{q: "这个怎么申请？", wantAnswered: true, wantQuery: "小微企业续贷怎么办 这个怎么申请？"},
			{q: "需要什么材料", wantAnswered: true, wantQuery: "小微企业续贷怎么办 需要什么材料"},
		}},
		{"own question with a trigger is not a follow-up", hits, []step{
			{q: "小微企业续贷怎么办", wantAnswered: true},
			{q: "企业在海外遇到知识产权纠纷找谁？", wantAnswered: true, wantQuery: "企业在海外遇到知识产权纠纷找谁？"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSearcher{hits: fixed(tt.hits...)}
			svc, _ := newTestService(f, nil)
			for _, s := range tt.steps {
				ans := mustAsk(t, svc, "s", s.q)
				if ans.Answered != s.wantAnswered {
					t.Fatalf("%q: Answered = %v, want %v:\n%s", s.q, ans.Answered, s.wantAnswered, ans.Answer)
				}
				assertContains(t, ans.Answer, s.want...)
				if s.wantQuery != "" && f.lastQuery() != s.wantQuery {
					t.Errorf("%q searched %q, want %q", s.q, f.lastQuery(), s.wantQuery)
				}
				if s.wantCited != nil {
					var got []string
					for _, c := range ans.Citations {
						got = append(got, c.Clause.ID)
					}
					if strings.Join(got, ",") != strings.Join(s.wantCited, ",") {
						t.Errorf("%q cited %v, want %v", s.q, got, s.wantCited)
					}
				}
			}
		})
	}
}

func TestFollowUpWithoutContext(t *testing.T) {
	for _, q := range []string{"那找哪个部门办理？", "还有吗", "详细说说"} {
		for _, session := range []string{"", "fresh"} {
			f := &fakeSearcher{hits: fixed(credit)}
			svc, _ := newTestService(f, nil)
			ans := mustAsk(t, svc, session, q)
			if ans.Answered || ans.Answer != askFullQuestion {
				t.Errorf("%q (session %q) = %+v, want the request for a full question", q, session, ans)
			}
			if len(f.reqs) != 0 {
				t.Errorf("%q searched %v", q, f.reqs)
			}
		}
	}
}

func TestSessionsAreSeparate(t *testing.T) {
	svc, _ := newTestService(&fakeSearcher{hits: fixed(credit)}, nil)
	mustAsk(t, svc, "a", "小微企业续贷怎么办")
	if ans := mustAsk(t, svc, "b", "找谁办理"); ans.Answered {
		t.Errorf("session b answered from a's context:\n%s", ans.Answer)
	}
	if ans := mustAsk(t, svc, "a", "找谁办理"); !ans.Answered {
		t.Errorf("session a lost its context:\n%s", ans.Answer)
	}
}

// TestStoredSessionFormats: a session stored before the head/body split (one
// JSON object) still serves follow-ups, and a corrupt body costs only the
// follow-up's context.
func TestStoredSessionFormats(t *testing.T) {
	ctx := context.Background()
	old, err := json.Marshal(map[string]any{"question": "小微企业续贷怎么办", "topic": "小微企业续贷怎么办", "region": "天津市",
		"hits": []retrieval.Hit{credit}, "shown": []string{credit.Clause.ID}, "cited": []retrieval.Hit{credit}})
	if err != nil {
		t.Fatal(err)
	}
	svc, st := newTestService(&fakeSearcher{hits: fixed(credit)}, nil)
	if err := st.SaveSession(ctx, "old", old, time.Hour); err != nil {
		t.Fatal(err)
	}
	ans := mustAsk(t, svc, "old", "那找哪个部门办理？")
	if !ans.Answered {
		t.Fatalf("follow-up on an old-format session not answered:\n%s", ans.Answer)
	}
	assertContains(t, ans.Answer, credit.Clause.Agencies[0])
	data, err := st.LoadSession(ctx, "old")
	if err != nil || bytes.Count(data, []byte("\n")) != 1 {
		t.Fatalf("session saved as %q (%v), want a head and a body line", data, err)
	}
	if err := st.SaveSession(ctx, "old", append(bytes.SplitN(data, []byte("\n"), 2)[0], []byte("\n{\"hits\":[")...), time.Hour); err != nil {
		t.Fatal(err)
	}
	if ans := mustAsk(t, svc, "old", "那找哪个部门办理？"); ans.Answered || ans.Answer != askFullQuestion {
		t.Errorf("follow-up on a corrupt body = %+v, want the request for a full question", ans)
	}
}

// TestConcurrencyLimit: with Config.Concurrency 1, two questions are never
// worked on at once.
func TestConcurrencyLimit(t *testing.T) {
	var running, most atomic.Int32
	srch := searcherFunc(func(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		return []retrieval.Hit{credit}, nil
	})
	for _, limit := range []int{1, 0} {
		most.Store(0)
		svc := New(Config{Searcher: srch, DefaultRegion: "天津市", Concurrency: limit, Logger: quietLogger()})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := svc.Ask(context.Background(), Request{Question: "小微企业续贷怎么办"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if limit == 1 && most.Load() != 1 {
			t.Errorf("Concurrency 1: %d questions at once", most.Load())
		}
		if limit == 0 && most.Load() < 2 {
			t.Errorf("no limit: at most %d question at once, want several", most.Load())
		}
	}
	// A question waiting for its turn gives up with its context.
	svc := New(Config{Searcher: srch, Concurrency: 1, Logger: quietLogger()})
	svc.turns <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := svc.Ask(ctx, Request{Question: "小微企业续贷怎么办"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ask while every turn is taken: err %v, want the deadline", err)
	}
}

type searcherFunc func(context.Context, retrieval.SearchRequest) ([]retrieval.Hit, error)

func (f searcherFunc) Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	return f(ctx, req)
}
