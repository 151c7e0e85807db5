package answer

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"policybot/retrieval"
)

// fakeGenerator stands in for the LLM generator: it returns draft after
// delay, ignoring its context when deaf (a client without timeouts).
type fakeGenerator struct {
	draft Draft
	err   error
	delay time.Duration
	deaf  bool
	calls atomic.Int32 // Generate may still run after Ask gave up on it
}

func (g *fakeGenerator) Generate(ctx context.Context, _ string, hits []retrieval.Hit) (Draft, error) {
	g.calls.Add(1)
	if g.delay > 0 {
		if g.deaf {
			time.Sleep(g.delay)
		} else {
			select {
			case <-time.After(g.delay):
			case <-ctx.Done():
				return Draft{}, ctx.Err()
			}
		}
	}
	return g.draft, g.err
}

func TestGeneratorFallback(t *testing.T) {
	const budget = 150 * time.Millisecond
	// The generator is given the candidates credit (1), finance (2, of the
	// same document) and national (3).
	good := Draft{Text: "国家鼓励银行合理采取续贷、展期等方式[3]；天津对符合条件的小微企业开展无还本续贷[1]。请联系人民银行天津分行。", Cited: []int{2, 0}}
	tests := []struct {
		name         string
		gen          *fakeGenerator
		wantLLM      bool
		wantCited    []string
		wantContains []string
	}{
		{"good draft used, markers renumbered", &fakeGenerator{draft: good}, true, []string{"gov/3", "tj/6"},
			[]string{"展期等方式[1]", "无还本续贷[2]", "[1] 依据：《国务院办公厅", "[2] 依据：《天津市提升中小企业竞争力若干措施》"}},
		{"error", &fakeGenerator{err: errors.New("429 too many requests")}, false, nil, nil},
		{"slow, honours ctx", &fakeGenerator{draft: good, delay: 2 * time.Second}, false, nil, nil},
		{"slow, ignores ctx", &fakeGenerator{draft: good, delay: 2 * time.Second, deaf: true}, false, nil, nil},
		{"citation out of range", &fakeGenerator{draft: Draft{Text: "可申请无还本续贷[5]。", Cited: []int{4}}}, false, nil, nil},
		{"marker not cited", &fakeGenerator{draft: Draft{Text: "可申请无还本续贷[2]。", Cited: []int{0}}}, false, nil, nil},
		{"no citation", &fakeGenerator{draft: Draft{Text: "可申请无还本续贷。"}}, false, nil, nil},
		{"invented agency", &fakeGenerator{draft: Draft{Text: "可申请无还本续贷[1]，请联系市商务局。", Cited: []int{0}}}, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newTestService(&fakeSearcher{hits: fixed(credit, finance, national)}, tt.gen)
			start := time.Now()
			ans, err := svc.Ask(context.Background(), Request{Question: "小微企业续贷怎么办", Budget: budget})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			// The slow generators take 2 s: returning well before that shows the
			// budget is enforced; the generous slack keeps a loaded CI machine green.
			if elapsed > budget+time.Second {
				t.Errorf("took %v, budget %v", elapsed, budget)
			}
			if !ans.Answered {
				t.Fatalf("not answered:\n%s", ans.Answer)
			}
			gotLLM := !strings.HasPrefix(ans.Answer, leadAnswer)
			if gotLLM != tt.wantLLM {
				t.Fatalf("LLM answer used = %v, want %v:\n%s", gotLLM, tt.wantLLM, ans.Answer)
			}
			if !tt.wantLLM {
				// The extractive fallback: the corpus sentence and the citation.
				assertContains(t, ans.Answer, "无还本续贷", "（四）加强信贷支持", "津中小企组〔2022〕2号")
				if strings.Contains(ans.Answer, "市商务局") {
					t.Errorf("invented agency kept:\n%s", ans.Answer)
				}
			}
			assertContains(t, ans.Answer, tt.wantContains...)
			if tt.wantCited != nil {
				var got []string
				for _, c := range ans.Citations {
					got = append(got, c.Clause.ID)
				}
				if strings.Join(got, ",") != strings.Join(tt.wantCited, ",") {
					t.Errorf("cited %v, want %v", got, tt.wantCited)
				}
			}
			if tt.gen.calls.Load() == 0 {
				t.Error("generator not called")
			}
		})
	}
}

func TestVerify(t *testing.T) {
	hits := []retrieval.Hit{credit, national}
	tests := []struct {
		name string
		d    Draft
		want error
	}{
		{"ok", Draft{Text: "可申请无还本续贷[1]。", Cited: []int{0}}, nil},
		{"ok without markers", Draft{Text: "可申请无还本续贷。", Cited: []int{0}}, nil},
		{"agency of the cited clause", Draft{Text: "可向天津银保监局、市金融局咨询[1]。", Cited: []int{0}}, nil},
		{"issuer of the cited document", Draft{Text: "由国务院办公厅部署[2]。", Cited: []int{1}}, nil},
		{"not an agency", Draft{Text: "优化产业布局[1]。", Cited: []int{0}}, nil},
		{"empty", Draft{Cited: []int{0}}, ErrNoCitation},
		{"nothing cited", Draft{Text: "可申请。"}, ErrNoCitation},
		{"negative index", Draft{Text: "可申请。", Cited: []int{-1}}, ErrBadCitation},
		{"duplicate", Draft{Text: "可申请。", Cited: []int{0, 0}}, ErrBadCitation},
		{"index out of range", Draft{Text: "可申请。", Cited: []int{2}}, ErrBadCitation},
		{"marker of an uncited hit", Draft{Text: "可申请[2]。", Cited: []int{0}}, ErrBadCitation},
		{"marker beyond the hits", Draft{Text: "可申请[9]。", Cited: []int{0}}, ErrBadCitation},
		{"agency of an uncited clause", Draft{Text: "请联系天津银保监局。", Cited: []int{1}}, ErrBadAgency},
		{"invented agency", Draft{Text: "请联系市商务局[1]。", Cited: []int{0}}, ErrBadAgency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.d, hits)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRenumber(t *testing.T) {
	tests := []struct {
		text  string
		cited []int
		want  string
	}{
		{"甲[1]乙[3]", []int{0, 2}, "甲[1]乙[2]"},
		{"甲[3]乙[1]", []int{2, 0}, "甲[1]乙[2]"},
		{"甲[1]", []int{0}, "甲"},
		{"甲[2]", []int{1}, "甲"},
	}
	for _, tt := range tests {
		if got := renumber(tt.text, tt.cited); got != tt.want {
			t.Errorf("renumber(%q, %v) = %q, want %q", tt.text, tt.cited, got, tt.want)
		}
	}
}
