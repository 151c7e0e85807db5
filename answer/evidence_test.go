package answer

import (
	"strings"
	"testing"

	"policybot/policy"
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

// TestUnmetAsk: a question asking for a kind of fact — a number, how far
// the asker's own parcel has got — is not answered by clauses that state
// none: refused on partial evidence, and for a status whatever the evidence.
func TestUnmetAsk(t *testing.T) {
	partial := credit
	partial.Coverage = 0.35
	parcel := retrieval.Hit{Score: 0.9, Coverage: 0.9, Document: tjDoc, Clause: policy.Clause{
		ID: "kd/25", Label: "第二十五条", Text: "经营快递业务的企业应当将快件投递到约定的收件地址、收件人或者收件人指定的代收人。"}}
	tracking := parcel
	tracking.Clause.Text += "收件人可以通过企业的查询电话了解快件状态。"
	tests := []struct {
		name     string
		hit      retrieval.Hit
		q        string
		answered bool
	}{
		{"number asked, none stated, partial", partial, "续贷最多能续多少年", false},
		{"number asked, none stated, covered", credit, "续贷最多能续多少年", true},
		{"nothing particular asked, partial", partial, "小微企业续贷有什么支持", true},
		{"status asked, no place to look", parcel, "我的快递到哪里了", false},
		{"status asked, a place to look", tracking, "我的快递到哪里了", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newTestService(&fakeSearcher{hits: fixed(tt.hit)}, nil)
			if ans := mustAsk(t, svc, "", tt.q); ans.Answered != tt.answered {
				t.Errorf("answered %v, want %v:\n%s", ans.Answered, tt.answered, ans.Answer)
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
