package segment

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"（四）ＡＰＥＣ", "(四)apec"},
		{"１２３６６　热线", "12366 热线"},
		{"Policy Bot", "policy bot"},
		{"无还本续贷", "无还本续贷"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func testLexicon(t *testing.T) *Lexicon {
	t.Helper()
	l, err := NewLexicon("# comment\n无还本续贷\n融资担保公司\n知识产权质押融资\n", "续贷 转贷 展期\n专利 知识产权\n")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTerms(t *testing.T) {
	l := testLexicon(t)
	tests := []struct {
		name, in string
		want     []string
	}{
		{"bigrams", "信贷支持", []string{"信贷", "贷支", "支持"}},
		{"lone character", "税", []string{"税"}},
		{"dictionary word added", "开展无还本续贷", []string{"开展", "展无", "无还", "还本", "本续", "续贷", "无还本续贷"}},
		{"ascii and digits", "APEC展会12366", []string{"apec", "展会", "12366"}},
		{"punctuation separates", "首贷、续贷", []string{"首贷", "续贷"}},
		{"stop character separates", "企业的贷款", []string{"企业", "贷款"}},
		{"empty", "  ，。", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := l.Terms(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	l := testLexicon(t)
	tests := []struct {
		name    string
		in      string
		has     []string // terms that must be present with weight 1
		synonym []string // terms that must be present with SynonymWeight
		not     []string // terms that must be absent
	}{
		{"filler removed", "请问续贷怎么办？", []string{"续贷"}, []string{"转贷", "展期"}, []string{"请问", "怎么", "么办", "贷怎"}},
		{"filler inside dictionary word kept", "融资担保公司有哪些", []string{"融资担保公司", "公司"}, nil, []string{"哪些"}},
		{"synonym of a longer word", "知识产权能不能质押", []string{"知识", "产权", "质押"}, []string{"专利"}, []string{"能不", "不能"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]float64{}
			for _, term := range l.Query(tt.in) {
				if _, dup := got[term.Text]; dup {
					t.Errorf("term %q repeated", term.Text)
				}
				got[term.Text] = term.Weight
			}
			for _, w := range tt.has {
				if got[w] != 1 {
					t.Errorf("term %q weight %v, want 1 (terms %v)", w, got[w], got)
				}
			}
			for _, w := range tt.synonym {
				if got[w] != SynonymWeight {
					t.Errorf("term %q weight %v, want %v (terms %v)", w, got[w], SynonymWeight, got)
				}
			}
			for _, w := range tt.not {
				if _, ok := got[w]; ok {
					t.Errorf("term %q present, want absent (terms %v)", w, got)
				}
			}
		})
	}
}

func TestNewLexiconErrors(t *testing.T) {
	tests := []struct{ name, dict, syn string }{
		{"space in dictionary word", "无还本 续贷\n", ""},
		{"one-word synonym group", "", "续贷\n"},
	}
	for _, tt := range tests {
		if _, err := NewLexicon(tt.dict, tt.syn); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestDefaultLexicon(t *testing.T) {
	l := Default()
	if c, ok := l.Synonym("展期"); !ok || c != "续贷" {
		t.Errorf("Synonym(展期) = %q, %v; want 续贷, true", c, ok)
	}
	if !slices.Contains(l.Terms("支持融资担保公司发展"), "融资担保公司") {
		t.Error("dictionary word 融资担保公司 not a term")
	}
}

var benchText = strings.Repeat("持续加大小微企业首贷、续贷、信用贷、中长期贷款投放规模和力度，对符合条件的小微企业开展无还本续贷业务。", 4)

func BenchmarkTerms(b *testing.B) {
	l := Default()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		l.Terms(benchText)
	}
}

func TestIntents(t *testing.T) {
	l := Default()
	weights := func(q string) map[string]float64 {
		m := map[string]float64{}
		for _, t := range l.Query(q) {
			m[t.Text] = t.Weight
		}
		return m
	}
	tests := []struct {
		q      string
		want   []string // intent terms present at SynonymWeight
		absent []string
	}{
		{"哪些中小微企业可以办理停征污水处理费？", []string{"条件", "对象"}, []string{"时间"}},
		{"停征污水处理费的办理时间？", []string{"期限"}, []string{"条件"}},
		{"创业担保贷款怎么申请", []string{"流程", "程序"}, []string{"材料"}},
		{"申请稳岗返还要交什么材料", nil, []string{"电话"}},
		{"知识产权纠纷找谁", []string{"部门", "电话", "咨询"}, nil},
		{"小微企业续贷", nil, []string{"条件", "时间", "流程", "部门"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := weights(tt.q)
			for _, w := range tt.want {
				if got[w] != SynonymWeight {
					t.Errorf("%q: weight %v, want %v (terms %v)", w, got[w], SynonymWeight, got)
				}
			}
			for _, w := range tt.absent {
				if _, ok := got[w]; ok {
					t.Errorf("%q present, want absent (terms %v)", w, got)
				}
			}
		})
	}
	if err := newTestLexicon(t).SetIntents("哪些(\tx"); err == nil {
		t.Error("a bad pattern was accepted")
	}
	if err := newTestLexicon(t).SetIntents("哪些"); err == nil {
		t.Error("a line without words was accepted")
	}
}

func newTestLexicon(t *testing.T) *Lexicon {
	t.Helper()
	l, err := NewLexicon("续贷", "续贷 转贷")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestQuantities(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"应当自货物交付之日起30日内支付款项", 1},
		{"税率为百分之六", 1},
		{"平均担保费率降至1%以下", 1},
		{"自2020年2月1日起至6月30日止", 5},
		{"缓缴期限最长不超过三个月", 1},
		{"依照本法第三十二条的规定", 0},  // an ordinal
		{"津中小企组〔2022〕2号", 1}, // the year of a document number is not one; its number is
		{"加强信贷支持，提升金融服务水平", 0},
	} {
		if got := Quantities(Normalize(tt.text)); got != tt.want {
			t.Errorf("Quantities(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
	terms := IndexTerms("自即日起30日内办理")
	if n := strings.Count(strings.Join(terms, " "), QuantityTerm); n != 1 {
		t.Errorf("IndexTerms: %d quantity terms in %v, want 1", n, terms)
	}
	q := map[string]float64{}
	for _, term := range Query("滞纳金怎么算") {
		q[term.Text] = term.Weight
	}
	if q[QuantityTerm] != SynonymWeight {
		t.Errorf("a question asking for a figure: quantity term weight %v, want %v", q[QuantityTerm], SynonymWeight)
	}
	for _, term := range Query("小微企业续贷怎么办") {
		if term.Text == QuantityTerm {
			t.Error("a question not asking for a figure got the quantity term")
		}
	}
}

// TestQueryCache: a repeated question gets the same terms, and new intents
// are not hidden by results cached before them.
func TestQueryCache(t *testing.T) {
	l := newTestLexicon(t)
	has := func(ts []Term, text string) bool {
		return slices.ContainsFunc(ts, func(x Term) bool { return x.Text == text })
	}
	first := l.Query("续贷找谁")
	if again := l.Query("续贷找谁"); !slices.Equal(first, again) || !has(first, "转贷") {
		t.Fatalf("Query = %v, then %v; want the same terms, with the synonym", first, again)
	}
	if has(first, "部门") {
		t.Fatalf("no intents yet, got %v", first)
	}
	if err := l.SetIntents("找谁\t部门"); err != nil {
		t.Fatal(err)
	}
	if got := l.Query("续贷找谁"); !has(got, "部门") {
		t.Errorf("after SetIntents: %v, want the intent's word", got)
	}
}
