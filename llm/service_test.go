package llm

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"policybot/answer"
	"policybot/retrieval"
)

type hitsSearcher []retrieval.Hit

func (h hitsSearcher) Search(context.Context, retrieval.SearchRequest) ([]retrieval.Hit, error) {
	return h, nil
}

// TestServiceFallback runs the answer service with this generator against an
// OpenAI-compatible server: a good draft is used; a slow one, one citing a
// clause it was not given, and a 429 fall back to the extractive answer
// within the budget.
func TestServiceFallback(t *testing.T) {
	const budget = 300 * time.Millisecond
	const extractiveLead = "根据现行政策" // how the extractive answer opens
	tests := []struct {
		name    string
		chat    *fakeChat
		wantLLM bool
	}{
		{"OK", &fakeChat{reply: goodReply}, true},
		{"Slow", &fakeChat{reply: goodReply, delay: 5 * time.Second}, false},
		{"CitesClauseNotGiven", &fakeChat{reply: "可以申请无还本续贷[5]。"}, false},
		{"RateLimited", &fakeChat{status: http.StatusTooManyRequests, body: `{"error":{"message":"rate limit","type":"requests","code":"rate_limit_exceeded"}}`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGenerator(t, tt.chat, Config{})
			svc := answer.New(answer.Config{Searcher: hitsSearcher(testHits()), Generator: g, Budget: budget})
			start := time.Now()
			ans, err := svc.Ask(context.Background(), answer.Request{Question: question, Region: "天津市"})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if elapsed > budget+2*time.Second { // the slow server takes 5 s
				t.Errorf("took %v with a budget of %v", elapsed, budget)
			}
			if !ans.Answered || !strings.Contains(ans.Answer, "津中小企组〔2022〕2号") || !strings.Contains(ans.Answer, "人民银行天津分行") {
				t.Fatalf("answer lacks its citation:\n%s", ans.Answer)
			}
			if gotLLM := !strings.HasPrefix(ans.Answer, extractiveLead); gotLLM != tt.wantLLM {
				t.Fatalf("LLM answer used = %v, want %v:\n%s", gotLLM, tt.wantLLM, ans.Answer)
			}
			if tt.wantLLM && strings.Contains(ans.Answer, "**") {
				t.Errorf("Markdown left in the answer:\n%s", ans.Answer)
			}
		})
	}
}
