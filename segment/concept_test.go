package segment

import (
	"slices"
	"testing"
)

func TestConcepts(t *testing.T) {
	l, err := NewLexicon("无还本续贷\n融资担保公司\n国有企业\n国有\n中国\n北交所\n", "续贷 转贷 展期\n社保 社会保险费\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		want     []string
	}{
		{"glue and filler split", "石景山区在防疫期间对企业社保方面有哪些支持措施?", []string{"石景山区", "防疫期间", "企业", "社保", "支持措施"}},
		{"dictionary word kept whole", "国有企业和融资担保公司有什么要求", []string{"国有企业", "融资担保公司", "要求"}},
		{"lone character beside a word dropped", "能不能办无还本续贷", []string{"无还本续贷"}},
		{"repeats once", "续贷和续贷", []string{"续贷"}},
		{"lone character inside a run dropped", "对税有", nil},
		{"ascii kept", "apec展会", []string{"apec", "展会"}},
		{"a measure word goes with its 多少", "中国有多少个省", []string{"中国", "省"}},
		{"colloquial intent is no concept", "公司打算上市，能去北交所吗？", []string{"公司", "上市", "北交所"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range l.Concepts(tt.in) {
				got = append(got, c.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Concepts(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConceptTermsAndSynonyms(t *testing.T) {
	l, err := NewLexicon("无还本续贷\n", "续贷 转贷 展期\n")
	if err != nil {
		t.Fatal(err)
	}
	cs := l.Concepts("企业续贷")
	if len(cs) != 2 || cs[1].Text != "续贷" {
		t.Fatalf("Concepts = %+v, want 企业, 续贷", cs)
	}
	if !slices.Equal(cs[0].Terms, []string{"企业"}) || cs[0].Synonyms != nil {
		t.Errorf("企业: terms %q synonyms %q", cs[0].Terms, cs[0].Synonyms)
	}
	want := [][]string{{"转贷"}, {"展期"}}
	if !slices.EqualFunc(cs[1].Synonyms, want, slices.Equal) {
		t.Errorf("续贷 synonyms %q, want %q", cs[1].Synonyms, want)
	}
	long := l.Concepts("无还本续贷")
	if len(long) != 1 || !slices.Equal(long[0].Terms, []string{"无还", "还本", "本续", "续贷", "无还本续贷"}) {
		t.Errorf("无还本续贷: %+v", long)
	}
}
