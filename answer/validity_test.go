package answer

import (
	"context"
	"strings"
	"testing"

	"policybot/policy"
	"policybot/retrieval"
)

// TestAnswersCurrentLaw: the answers the validity issue names, over the real corpus.
func TestAnswersCurrentLaw(t *testing.T) {
	svc, _ := newTestService(realSearcher(t), nil)
	ctx := context.Background()
	tests := []struct {
		name, q, asOf string
		firstDoc      string   // the first citation's document
		notCited      []string // documents that must not be cited
		says, never   []string
	}{
		{name: "repealed regulation gives way to the law", q: "增值税小规模纳税人的征收率是多少",
			firstDoc: "npcsc-2024-zengzhishuifa", never: []string{"暂行条例》第"}},
		{name: "the revision, not the text it revised", q: "机关事业单位向中小企业采购货物，应当在多少日内付款",
			firstDoc: "guoling-802-2025-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli", says: []string{"根据现行政策"},
			notCited: []string{"guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"}},
		{name: "before the revision took effect the 2020 text applied", q: "机关事业单位向中小企业采购货物，应当在多少日内付款",
			asOf: "2024-01-01", firstDoc: "guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli",
			says: []string{"尚未施行，将自2025年6月1日起施行", "现行规定如下"}},
		{name: "an expired measure is said to be expired", q: "北京市中小微企业受疫情影响，房租可以减免吗", asOf: "2021-01-01",
			says: []string{"到期"}, never: []string{"现行政策"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := svc.Ask(ctx, Request{Question: tt.q, AsOf: tt.asOf})
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Answered {
				t.Fatalf("refused: %s", ans.Answer)
			}
			if tt.firstDoc != "" && ans.Citations[0].Document.ID != tt.firstDoc {
				t.Errorf("first citation %s, want %s\n%s", ans.Citations[0].Document.ID, tt.firstDoc, ans.Answer)
			}
			for _, h := range ans.Citations {
				for _, d := range tt.notCited {
					if h.Document.ID == d {
						t.Errorf("cites %s\n%s", d, ans.Answer)
					}
				}
				if h.Document.Validity == nil {
					t.Errorf("citation %s carries no validity", h.Clause.ID)
				}
			}
			for _, s := range tt.says {
				if !strings.Contains(ans.Answer, s) {
					t.Errorf("answer lacks %q:\n%s", s, ans.Answer)
				}
			}
			for _, s := range tt.never {
				if strings.Contains(ans.Answer, s) {
					t.Errorf("answer says %q:\n%s", s, ans.Answer)
				}
			}
		})
	}
}

// TestValidityFollowUp: "这个政策还有效吗？" answers from the clause just cited.
func TestValidityFollowUp(t *testing.T) {
	expired := credit
	expired.Document.Validity = &policy.ValidityStatus{Status: policy.StatusExpired, Effective: "2020-02-05", Expires: "2020-12-31",
		Basis: "以上政策措施自印发之日起施行，有效期至2020年底", Since: "2020-12-31"}
	svc, _ := newTestService(&fakeSearcher{hits: fixed(expired)}, nil)
	ctx := context.Background()
	first, err := svc.Ask(ctx, Request{Session: "u1", Question: "小微企业续贷有什么支持"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first.Answer, "现行") || !strings.Contains(first.Answer, "已于2020年12月31日到期") {
		t.Errorf("answer citing an expired measure:\n%s", first.Answer)
	}
	for _, q := range []string{"这个政策还有效吗？", "什么时候到期", "那现在还适用吗"} {
		ans, err := svc.Ask(ctx, Request{Session: "u1", Question: q})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ans.Answer, "已于2020年12月31日到期") || !strings.Contains(ans.Answer, "有效期至2020年底") {
			t.Errorf("%s → %s", q, ans.Answer)
		}
	}
	// Without a previous answer there is nothing to judge.
	ans, err := svc.Ask(ctx, Request{Session: "u2", Question: "这个政策还有效吗？"})
	if err != nil || ans.Answered {
		t.Errorf("without context: %+v, %v", ans, err)
	}
}

// TestReplacementFirst: when the best clause is repealed, the notice names
// the replacement and its clause is cited first; with no replacement in the
// hits the service searches wider for it.
func TestReplacementFirst(t *testing.T) {
	old := national
	old.Document.Validity = &policy.ValidityStatus{Status: policy.StatusRepealed, SupersededBy: "tj", Since: "2026-01-01",
		SupersededByTitle: tjDoc.Title, SupersededByNumber: tjDoc.Number}
	now := credit
	now.Score = 0.5 // well below the repealed clause: not a near-tie
	now.Document.Validity = &policy.ValidityStatus{Status: policy.StatusInForce, Effective: "2022-06-18"}
	narrow := &wideSearcher{narrow: []retrieval.Hit{old}, wide: []retrieval.Hit{old, now}}
	svc, _ := newTestService(narrow, nil)
	ans, err := svc.Ask(context.Background(), Request{Question: "小微企业续贷有什么支持"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Citations) < 2 || ans.Citations[0].Clause.ID != now.Clause.ID {
		t.Fatalf("citations %v, want the replacement's clause first", ans.Citations)
	}
	if !strings.HasPrefix(ans.Answer, "提示：《国务院办公厅关于进一步加大对中小企业纾困帮扶力度的通知》（国办发〔2021〕45号）已于2026年1月1日废止（由《天津市提升中小企业竞争力若干措施》（津中小企组〔2022〕2号）废止）。现行规定如下。") {
		t.Errorf("answer:\n%s", ans.Answer)
	}
	if !strings.Contains(ans.Answer, "（已于2026年1月1日废止）") {
		t.Errorf("the repealed citation is not marked:\n%s", ans.Answer)
	}
}

// wideSearcher returns more hits to a search for retrieval.MaxK.
type wideSearcher struct{ narrow, wide []retrieval.Hit }

func (w *wideSearcher) Search(_ context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	if req.K == retrieval.MaxK {
		return w.wide, nil
	}
	return w.narrow, nil
}
