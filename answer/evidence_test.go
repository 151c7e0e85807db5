package answer

import (
	"strings"
	"testing"

	"policybot/retrieval"
)

// TestEvidence: a clause covering the question's concepts is an answer; one
// covering part of them a hedged answer; one covering almost nothing a
// refusal, however high its score.
func TestEvidence(t *testing.T) {
	partial, none := credit, credit
	partial.Coverage, none.Coverage = 0.35, 0.1
	tests := []struct {
		name       string
		hit        retrieval.Hit
		answered   bool
		confidence string
		opening    string
	}{
		{"covered", credit, true, ConfidenceHigh, leadAnswer},
		{"partial", partial, true, ConfidenceLow, leadHedge},
		{"nothing", none, false, ConfidenceLow, "抱歉"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newTestService(&fakeSearcher{hits: fixed(tt.hit)}, nil)
			ans := mustAsk(t, svc, "", "小微企业续贷有什么支持")
			if ans.Answered != tt.answered || ans.Confidence != tt.confidence || !strings.HasPrefix(ans.Answer, tt.opening) {
				t.Errorf("answered %v confidence %q:\n%s", ans.Answered, ans.Confidence, ans.Answer)
			}
		})
	}
}

func TestSmallTalk(t *testing.T) {
	fs := &fakeSearcher{hits: fixed(credit)}
	svc, _ := newTestService(fs, nil)
	for q, want := range map[string]string{"在吗？": greetingReply, "你好": greetingReply, "谢谢！": thanksReply, "好的，谢谢": thanksReply} {
		ans := mustAsk(t, svc, "", q)
		if ans.Answered || ans.Answer != want {
			t.Errorf("%s → %+v", q, ans)
		}
	}
	if len(fs.reqs) != 0 {
		t.Errorf("small talk was searched: %v", fs.reqs)
	}
	if ans := mustAsk(t, svc, "", "你好，小微企业续贷有什么支持"); !ans.Answered {
		t.Errorf("a greeting before a question: %+v", ans)
	}
}
