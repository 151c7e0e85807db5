package answer

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/state"
)

// Clauses copied from the seed document and the corpus, so that the unit
// tests exercise real wording.
var (
	tjDoc = policy.Meta{ID: "tj", Title: "天津市提升中小企业竞争力若干措施", Number: "津中小企组〔2022〕2号",
		Issuer: "天津市促进中小企业发展工作领导小组办公室", Region: "天津市", Kind: policy.KindNotice}
	credit = retrieval.Hit{Score: 0.9, Coverage: 0.9, Document: tjDoc, Clause: policy.Clause{
		ID: "tj/6", Label: "（四）", Title: "加强信贷支持",
		Text: "加强信贷支持。深入实施中小微企业金融服务能力提升工程，支持金融机构运用大数据、云计算、人工智能等技术，持续提升金融科技水平，增强金融服务精准性和普惠性。" +
			"持续加大小微企业首贷、续贷、信用贷、中长期贷款投放规模和力度，对符合条件的小微企业开展无还本续贷业务，提高小微企业资金周转便利度。" +
			"发挥“津心融”平台功能作用，开展投融资对接和企业培训。",
		Agencies: []string{"人民银行天津分行", "天津银保监局", "市金融局", "市财政局", "市工业和信息化局", "市知识产权局", "国家开发银行天津分行"},
	}}
	creditAgencies = credit.Clause.Agencies
	finance        = retrieval.Hit{Score: 0.8, Coverage: 0.8, Document: tjDoc, Clause: policy.Clause{
		ID: "tj/7", Label: "（五）", Title: "创新金融服务模式",
		Text:     "推动动产和权利担保统一登记工作，促使企业通过存货、仓单、应收账款等动产通过动产融资统一登记公示系统进行登记，提升动产担保融资的便利度。",
		Agencies: []string{"人民银行天津分行", "市金融局", "天津银保监局", "市工业和信息化局"},
	}}
	natDoc = policy.Meta{ID: "gov", Title: "国务院办公厅关于进一步加大对中小企业纾困帮扶力度的通知", Number: "国办发〔2021〕45号",
		Issuer: "国务院办公厅", Region: policy.RegionNational}
	national = retrieval.Hit{Score: 0.85, Coverage: 0.85, Document: natDoc, Clause: policy.Clause{
		ID: "gov/3", Label: "三、", Title: "加大融资支持",
		Text: "鼓励银行对小微企业贷款实施延期还本付息，合理采取续贷、展期等方式支持小微企业。",
	}}
	bjDoc = policy.Meta{ID: "bj", Title: "北京市关于应对疫情影响支持中小微企业的若干措施", Issuer: "北京市人民政府", Region: "北京市"}
	other = retrieval.Hit{Score: 0.88, Coverage: 0.88, Document: bjDoc, Clause: policy.Clause{
		ID: "bj/2", Label: "第二条", Title: "续贷支持",
		Text: "对到期还款困难的中小微企业予以续贷。",
	}}
)

// fakeSearcher answers from a fixed list and remembers what it was asked.
type fakeSearcher struct {
	mu   sync.Mutex
	hits func(query string) []retrieval.Hit
	err  error
	reqs []retrieval.SearchRequest
}

func (f *fakeSearcher) Search(_ context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	if f.err != nil {
		return nil, f.err
	}
	return f.hits(req.Query), nil
}

func (f *fakeSearcher) lastQuery() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return ""
	}
	return f.reqs[len(f.reqs)-1].Query
}

func fixed(hits ...retrieval.Hit) func(string) []retrieval.Hit {
	return func(string) []retrieval.Hit { return hits }
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestService returns a service over s with in-memory state.
func newTestService(s Searcher, g Generator) (*Service, *state.Memory) {
	st := state.NewMemory()
	svc := New(Config{Searcher: s, Generator: g, Sessions: st, Recorder: st, DefaultRegion: "天津市",
		MinScore: 0.3, LowScore: 0.5, Logger: quietLogger()})
	return svc, st
}

func mustAsk(t *testing.T, svc *Service, session, q string) Answer {
	t.Helper()
	ans, err := svc.Ask(context.Background(), Request{Session: session, Question: q})
	if err != nil {
		t.Fatalf("Ask(%q): %v", q, err)
	}
	return ans
}

func assertContains(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("answer lacks %q:\n%s", w, text)
		}
	}
}
