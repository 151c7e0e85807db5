package answer

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"policybot/policy"
	"policybot/retrieval"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		q    string
		want followKind
	}{
		{"那找哪个部门办理？", followAgencies},
		{"找谁办理", followAgencies},
		{"哪个部门负责", followAgencies},
		{"联系谁？", followAgencies},
		{"这个政策找谁", followAgencies},
		{"还有吗", followMore},
		{"还有别的吗？", followMore},
		{"其他的呢", followMore},
		{"详细说说", followDetail},
		{"原文", followDetail},
		{"具体内容是什么", followDetail},
		{"企业在海外遇到知识产权纠纷找谁？", followNone},
		{"小微企业续贷怎么办", followNone},
		{"还有哪些支持中小企业融资的政策", followNone},
		{"专利导航服务基地", followNone},
	}
	for _, tt := range tests {
		if got := classify(tt.q); got != tt.want {
			t.Errorf("classify(%q) = %d, want %d", tt.q, got, tt.want)
		}
	}
}

func TestIsElliptical(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"这个怎么申请？", true},
		{"那首贷呢", true},
		{"它的条件是什么", true},
		{"这方面有补贴吗", true},
		{"怎么申请？", true},
		{"需要什么材料", true},
		{"专利导航服务基地", false},
		{"援企稳岗有什么措施", false},
		{"小微企业续贷怎么办", false},
		{"中小企业融资综合信用服务平台是干什么的？", false},
	}
	for _, tt := range tests {
		if got := isElliptical(tt.q); got != tt.want {
			t.Errorf("isElliptical(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestClauseRef(t *testing.T) {
	tests := []struct {
		label, title, want string
	}{
		{"（四）", "加强信贷支持", "（四）加强信贷支持"},
		{"(四)", "加强信贷支持", "(四)加强信贷支持"},
		{"第二十三条", "融资担保", "第二十三条 融资担保"},
		{"三、", "加大融资支持", "三、加大融资支持"},
		{"1.", "首贷", "1.首贷"},
		{"第五条", "", "第五条"},
		{"", "总则", "总则"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := clauseRef(policy.Clause{Label: tt.label, Title: tt.title}); got != tt.want {
			t.Errorf("clauseRef(%q, %q) = %q, want %q", tt.label, tt.title, got, tt.want)
		}
	}
}

func TestCitation(t *testing.T) {
	lead := credit
	lead.Clause.LeadAgencies = []string{"市金融局"}
	tests := []struct {
		name string
		h    retrieval.Hit
		want string
	}{
		{"with agencies", credit, "依据：《天津市提升中小企业竞争力若干措施》（津中小企组〔2022〕2号）（四）加强信贷支持\n责任单位：" +
			strings.Join(creditAgencies, "、")},
		{"lead agency first, each once", lead, "依据：《天津市提升中小企业竞争力若干措施》（津中小企组〔2022〕2号）（四）加强信贷支持\n责任单位：市金融局、人民银行天津分行、天津银保监局、市财政局、市工业和信息化局、市知识产权局、国家开发银行天津分行"},
		{"no number, no agencies", other, "依据：《北京市关于应对疫情影响支持中小微企业的若干措施》第二条 续贷支持"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := citation(tt.h); got != tt.want {
				t.Errorf("citation =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	near := func(h retrieval.Hit, s float64) retrieval.Hit { h.Score = s; return h }
	bj2 := near(other, 0.8)
	bj2.Clause.ID, bj2.Document.ID = "bj2/1", "bj2"
	tests := []struct {
		name     string
		hits     []retrieval.Hit
		question string
		region   string
		want     []string
	}{
		{"own region then national", []retrieval.Hit{credit, national, finance}, "续贷", "天津市", []string{"tj/6", "tj/7", "gov/3"}},
		{"same document within the top five", []retrieval.Hit{credit, national, near(other, 0.9), finance}, "续贷", "天津市", []string{"tj/6", "tj/7", "gov/3"}},
		{"same document not beyond the top five", []retrieval.Hit{credit, near(national, 0.89), near(other, 0.89), near(bj2, 0.88), near(other, 0.87), finance}, "续贷", "天津市", []string{"tj/6", "gov/3"}},
		{"national first when best", []retrieval.Hit{near(national, 0.95), credit}, "续贷", "天津市", []string{"gov/3", "tj/6"}},
		{"district asker gets city policy", []retrieval.Hit{credit, national}, "续贷", "天津市滨海新区", []string{"tj/6", "gov/3"}},
		{"other region dropped", []retrieval.Hit{credit, other}, "续贷", "天津市", []string{"tj/6"}},
		{"unnamed other region yields the lead", []retrieval.Hit{near(other, 0.95), credit, bj2}, "续贷", "天津市", []string{"tj/6"}},
		{"named other region keeps the lead", []retrieval.Hit{other, bj2, credit}, "北京市续贷", "天津市", []string{"bj/2", "tj/6", "bj2/1"}},
		{"other region alone", []retrieval.Hit{other}, "续贷", "天津市", []string{"bj/2"}},
		{"too far", []retrieval.Hit{credit, near(national, 0.5)}, "续贷", "天津市", []string{"tj/6"}},
		{"none", nil, "续贷", "天津市", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range candidates(tt.hits, tt.question, tt.region, 0.85, 3) {
				got = append(got, h.Clause.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("candidates = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		q, region string
		want      bool
	}{
		{"北京市哪些企业可以停征污水处理费", "北京市", true},
		{"北京哪些企业可以停征污水处理费", "北京市", true},
		{"石景山区对企业社保有哪些支持", "北京市石景山区", true},
		{"援企稳岗有什么措施", "泰州市", false},
		{"援企稳岗有什么措施", "", false},
	}
	for _, tt := range tests {
		if got := mentions(tt.q, tt.region); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.q, tt.region, got, tt.want)
		}
	}
}

func TestSentences(t *testing.T) {
	// ；does not end a sentence; a line break does only after a sentence,
	// a lead-in or an item, or before a list item (else it is a hard wrap).
	got := sentences("甲。乙；丙!丁?\n戊；己。\n应当符合下列条件：\n（一）硬\n换行的条件；\n（二）另一条。")
	want := []string{"甲。", "乙；丙!", "丁?", "戊；己。", "应当符合下列条件：", "（一）硬换行的条件；", "（二）另一条。"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}

func TestExtractive(t *testing.T) {
	long := credit
	long.Clause.Text = strings.Repeat("支持小微企业续贷业务的发展和壮大，", 30) + "。"
	// A sibling item of credit's section whose sentence shares little with
	// the question, and the same item in another section.
	sectioned := credit
	sectioned.Clause.Path = []string{"二、加大融资支持力度", "（四）加强信贷支持"}
	sibling := finance
	sibling.Clause.Path = []string{"二、加大融资支持力度", "（五）办理时间"}
	sibling.Clause.Text = "办理时间：企业自即日起至年底前申请。"
	pay := credit
	pay.Clause.Text = "机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项；合同另有约定的，付款期限最长不得超过60日。" +
		"大型企业从中小企业采购货物、工程、服务，应当按照行业规范、交易习惯合理约定付款期限并及时支付款项。"
	conditions := credit
	conditions.Clause.Text = "企业享受本条优惠，应当符合下列条件：\n（一）从事国家非限制和禁止行业；\n（二）年度应纳税所得额不超过300万元；\n（三）从业人数不超过300人。"
	elsewhere := sibling
	elsewhere.Clause.Path = []string{"三、其他", "（一）办理时间"}
	tests := []struct {
		name      string
		q         string
		hits      []retrieval.Hit
		want      []string // in this order
		notWant   []string
		wantCited []int
	}{
		{"answering sentence only", "小微企业续贷怎么办", []retrieval.Hit{credit},
			[]string{"对符合条件的小微企业开展无还本续贷业务"}, []string{"加强信贷支持。", "津心融"}, []int{0}},
		{"original order kept", "津心融平台和无还本续贷", []retrieval.Hit{credit},
			[]string{"无还本续贷业务", "津心融"}, nil, []int{0}},
		{"unmatched further clause left out", "小微企业续贷怎么办", []retrieval.Hit{credit, finance},
			[]string{"无还本续贷"}, []string{"动产融资"}, []int{0}},
		{"matched further clause cited when several are asked for", "小微企业续贷有哪些支持", []retrieval.Hit{credit, national},
			[]string{"无还本续贷", "[1]", "展期", "[2]"}, nil, []int{0, 1}},
		{"a further clause saying the same left out", "小微企业续贷怎么办", []retrieval.Hit{credit, national},
			[]string{"无还本续贷"}, []string{"展期"}, []int{0}},
		{"the number asked for first", "付款期限最长多少日", []retrieval.Hit{pay},
			[]string{"最长不得超过60日"}, nil, []int{0}},
		{"a lead-in brings its items", "享受优惠需要符合哪些条件", []retrieval.Hit{conditions},
			[]string{"下列条件：", "（一）", "（二）", "（三）"}, nil, []int{0}},
		{"weak sibling of a cited clause cited", "小微企业续贷的办理时间", []retrieval.Hit{sectioned, sibling},
			[]string{"无还本续贷", "[1]", "自即日起至年底前", "[2]"}, nil, []int{0, 1}},
		{"weak clause of another section left out", "小微企业续贷的办理时间", []retrieval.Hit{sectioned, elsewhere},
			[]string{"无还本续贷"}, []string{"自即日起至年底前"}, []int{0}},
		{"semantic hit quotes the opening", "碳排放权交易", []retrieval.Hit{credit},
			[]string{"深入实施中小微企业金融服务能力提升工程"}, nil, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Extractive{}.Generate(context.Background(), tt.q, tt.hits)
			if err != nil {
				t.Fatal(err)
			}
			pos := 0
			for _, w := range tt.want {
				i := strings.Index(d.Text[pos:], w)
				if i < 0 {
					t.Fatalf("draft lacks %q after byte %d:\n%s", w, pos, d.Text)
				}
				pos += i + len(w)
			}
			for _, w := range tt.notWant {
				if strings.Contains(d.Text, w) {
					t.Errorf("draft has %q:\n%s", w, d.Text)
				}
			}
			if len(d.Cited) != len(tt.wantCited) {
				t.Errorf("cited %v, want %v", d.Cited, tt.wantCited)
			}
		})
	}
	t.Run("long clause capped", func(t *testing.T) {
		d, _ := Extractive{}.Generate(context.Background(), "小微企业续贷", []retrieval.Hit{long})
		if n := utf8.RuneCountInString(d.Text); n > firstQuoteRunes+furtherQuoteRunes+5 {
			t.Errorf("draft has %d runes, cap %d", n, firstQuoteRunes+furtherQuoteRunes)
		}
	})
}

// TestComposeSameDocument: a further clause of a document already cited
// names the document once.
func TestComposeSameDocument(t *testing.T) {
	got := compose("", "甲[1]\n\n乙[2]", []retrieval.Hit{credit, finance})
	if strings.Count(got, "《天津市提升中小企业竞争力若干措施》") != 1 || !strings.Contains(got, "[2] 依据：同一文件 （五）创新金融服务模式\n责任单位：") {
		t.Errorf("compose:\n%s", got)
	}
}

// TestLeadQuoteLength: a close hit moved to the lead is quoted at the
// lead's length, not a further clause's.
func TestLeadQuoteLength(t *testing.T) {
	general := credit
	general.Clause.ID, general.Clause.Text = "tj/1", "小微企业付款期限由合同约定。"
	rate := finance
	rate.Score = 0.88
	long := "机关、事业单位从小微企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项，" +
		"合同另有约定的，从其约定，但付款期限最长不得超过60日，大型企业从中小企业采购货物、工程、服务，应当按照行业规范、" +
		"交易习惯合理约定付款期限并及时支付款项，合同约定采取履行进度结算、定期结算等结算方式的，付款期限自双方确认结算金额之日起算。"
	rate.Clause.Text = long
	d, _ := Extractive{}.Generate(context.Background(), "小微企业付款期限最长多少日", []retrieval.Hit{general, rate})
	if len(d.Cited) == 0 || d.Cited[0] != 1 {
		t.Fatalf("cited %v, want the clause with the number first", d.Cited)
	}
	if !strings.Contains(d.Text, "交易习惯合理约定付款期限") {
		t.Errorf("lead quote cut to a further clause's length:\n%s", d.Text)
	}
}
