package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	"policybot/embeddings"
	"policybot/retrieval"
	"policybot/seeds"
)

// TestEmbeddedDefault: the embedded default alone — what `policybot serve`
// answers from on a fresh clone with nothing beside it — answers questions
// about the laws it ships, citing the right article, and never quotes the
// seed page's site chrome.
func TestEmbeddedDefault(t *testing.T) {
	ctx := context.Background()
	store := retrieval.NewMemoryStore()
	emb := embeddings.NewLocal(0)
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	rep, err := in.IngestFS(ctx, seeds.Documents, ".")
	if err != nil || len(rep.Failed) > 0 || rep.Documents != 14 {
		t.Fatalf("ingest seeds: %s, %v", rep, err)
	}
	searcher := retrieval.NewSearcher(store, emb, "")
	searcher.SetClock(func() time.Time { return time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC) })
	svc, _ := newTestService(searcher, nil)
	tests := []struct {
		q, doc, label, says string
	}{
		{"机关事业单位从中小企业采购货物，应当在多长时间内付款", "guoling-802-2025-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli", "第九条", "30日内支付款项"},
		{"增值税的税率是多少", "npcsc-2024-zengzhishuifa", "第十条", "百分之十三"},
		{"小规模纳税人的标准是什么", "npcsc-2024-zengzhishuifa", "第九条", "五百万元"},
		{"小型微利企业的企业所得税税率是多少", "npc-2018-qiye-suodeshuifa", "第二十八条", "20％"},
		{"领取失业保险金需要什么条件", "guoling-258-1999-shiye-baoxian-tiaoli", "第十四条", "满1年"},
		{"个体工商户有哪些财税支持政策", "guoling-755-2022-cujin-getigongshanghu-fazhan-tiaoli", "第二十条", "财税政策"},
		{"融资担保公司的注册资本最低多少", "guoling-683-2017-rongzi-danbao-gongsi-jianguan-tiaoli", "第七条", "2000万元"},
		{"招工时能不能因为性别拒绝录用", "npcsc-2015-jiuye-cujinfa", "第二十七条", "不得以性别为由拒绝录用"},
		{"大型企业拖欠中小企业款项怎么办", "npcsc-2017-zhongxiao-qiye-cujinfa", "第五十三条", "不得违约拖欠"},
		{"政府采购应当预留多少份额给中小企业", "npcsc-2017-zhongxiao-qiye-cujinfa", "第四十条", "百分之三十以上"},
	}
	for _, tt := range tests {
		ans, err := svc.Ask(ctx, Request{Question: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		if !ans.Answered || len(ans.Citations) == 0 {
			t.Errorf("%s: refused", tt.q)
			continue
		}
		c := ans.Citations[0]
		if c.Document.ID != tt.doc || c.Clause.Label != tt.label || !strings.Contains(ans.Answer, tt.says) {
			t.Errorf("%s: cites %s %s, want %s %s saying %q:\n%s", tt.q, c.Document.ID, c.Clause.Label, tt.doc, tt.label, tt.says, ans.Answer)
		}
		for _, junk := range []string{"加盟电话", "精确检索", "开始检索", "政府扶持政策】相关法规"} {
			if strings.Contains(ans.Answer, junk) {
				t.Errorf("%s: quotes the seed page's chrome %q", tt.q, junk)
			}
		}
	}
}
