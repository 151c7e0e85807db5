package retrieval

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"

	"policybot/embeddings"
	"policybot/policy"
)

func TestSectionContext(t *testing.T) {
	item := func(label string, path []string, terms ...string) IndexedClause {
		return IndexedClause{Clause: policy.Clause{Label: label, Path: path}, Terms: terms}
	}
	sec := []string{"一、政策实施流程", "（一）受理条件及办理时间"}
	under := func(h string) []string { return append(slices.Clone(sec), h) }
	clauses := []IndexedClause{
		item("1.", under("1.受理条件"), "受理", "条件", "污水", "停征", "企业"),
		item("2.", under("2.受理范围"), "受理", "范围", "污水", "停征", "审批"),
		item("3.", under("3.办理时间"), "办理", "时间", "疫情"),
		// A paragraph without a label of its own sits in the section too.
		item("", sec, "污水", "停征", "受理", "说明"),
		// Two clauses make no section context…
		item("（二）", []string{"二、申请材料", "（二）材料"}, "材料", "污水"),
		item("（三）", []string{"二、申请材料", "（三）表格"}, "表格"),
		// …and clauses directly under the document have none.
		item("三、", nil, "附则"),
		item("四、", nil, "解释"),
		item("五、", nil, "施行"),
	}
	got := SectionContext(clauses)
	want := [][]string{
		nil, // 受理 and 停征 and 污水 it has; nothing else is in all three others
		nil,
		{"受理", "停征", "污水"},
		nil,
		nil, nil, nil, nil, nil,
	}
	slices.Sort(want[2])
	for i := range clauses {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("clause %d (%s) context %q, want %q", i, clauses[i].Path, got[i], want[i])
		}
	}
}

// TestSearchSectionContext: an item that never names its topic scores by
// the topic its section's other items all name, and only through it.
func TestSearchSectionContext(t *testing.T) {
	ctx := context.Background()
	emb := embeddings.NewLocal(256)
	fsys := fstest.MapFS{
		"water.txt": {Data: []byte(`北京市水务局落实支持中小微企业若干措施实施细则
京水务再〔2020〕6号
一、政策实施流程
（一）受理条件及办理时间
1.受理条件：对受疫情影响较大且在北京注册的中小微企业停征污水处理费。
2.受理范围：市水务局负责中心城区企业停征污水处理费的核准审批。
3.办理时间：自即日起至北京市疫情结束一个月内。
`)},
		"rent.txt": {Data: []byte(`北京市减免中小微企业房租实施办法
京国资〔2020〕3号
一、减免对象为承租市属国有企业房产的中小微企业。
二、办理时间：自即日起至2020年6月30日。
三、企业向出租方提出申请。
`)},
	}
	with := NewMemoryStore()
	if _, err := (&Ingester{Store: with, Embedder: emb}).IngestFS(ctx, fsys, "."); err != nil {
		t.Fatal(err)
	}
	// The same corpus with the context taken away.
	without := NewMemoryStore()
	if err := without.SetModel(ctx, Model{Name: emb.Name(), Dimensions: emb.Dimensions()}); err != nil {
		t.Fatal(err)
	}
	docs, err := with.Documents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		md := with.docs[d.ID]
		var cs []IndexedClause
		for i, c := range md.clauses {
			if c.c.Label == "3." && len(c.context) == 0 {
				t.Fatalf("the 办理时间 item has no context")
			}
			cs = append(cs, IndexedClause{Clause: c.c, Ord: i, TextHash: c.textHash,
				Terms: with.dict.strings(c.terms), Embedding: c.vec.full()})
		}
		if err := without.ReplaceDocument(ctx, d, cs); err != nil {
			t.Fatal(err)
		}
	}
	score := func(s Store) (float64, int) {
		hits, err := NewSearcher(s, emb, "北京市").Search(ctx, SearchRequest{Query: "停征污水处理费的办理时间", K: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hits {
			if h.Document.ID == "water" && h.Clause.Label == "3." {
				return h.Score, i + 1
			}
		}
		return 0, 0
	}
	s1, r1 := score(with)
	s0, r0 := score(without)
	t.Logf("办理时间 item: with context %.3f rank %d, without %.3f rank %d", s1, r1, s0, r0)
	if r1 == 0 || r1 > 2 || s1 <= s0 || r0 != 0 && r0 <= r1 {
		t.Errorf("with its section's context the 办理时间 item should rank in the top 2 and above its rank without")
	}
}
