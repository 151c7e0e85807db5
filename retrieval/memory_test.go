package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"policybot/embeddings"
	"policybot/policy"
	"policybot/segment"
)

// indexDoc builds a stored document and its indexed clauses from texts.
func indexDoc(t *testing.T, emb embeddings.Embedder, id, title, region string, texts ...string) (StoredDocument, []IndexedClause) {
	t.Helper()
	doc := StoredDocument{Meta: policy.Meta{ID: id, Title: title, Region: region}, ContentHash: id}
	var ics []IndexedClause
	for i, text := range texts {
		c := policy.Clause{ID: id + "#" + string(rune('a'+i)), Text: text}
		et := EmbedText(c, doc.Meta)
		vs, err := emb.Embed(context.Background(), []string{et})
		if err != nil {
			t.Fatal(err)
		}
		ics = append(ics, IndexedClause{Clause: c, Ord: i, TextHash: id + et, Terms: ClauseTerms(c, doc.Meta), Embedding: vs[0]})
	}
	return doc, ics
}

func ids(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Clause.ID)
	}
	return out
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	emb := embeddings.NewLocal(128)
	s := NewMemoryStore()
	if err := s.SetModel(ctx, Model{Name: emb.Name(), Dimensions: 128}); err != nil {
		t.Fatal(err)
	}
	tj, tjc := indexDoc(t, emb, "tj", "天津市措施", "天津市", "对小微企业开展无还本续贷业务", "推动工业设计云服务")
	bj, bjc := indexDoc(t, emb, "bj", "北京市措施", "北京市", "支持续贷受理中心建设")
	for _, d := range []struct {
		doc StoredDocument
		cs  []IndexedClause
	}{{tj, tjc}, {bj, bjc}} {
		if err := s.ReplaceDocument(ctx, d.doc, d.cs); err != nil {
			t.Fatal(err)
		}
	}
	q := func(text string, regions []string) Query {
		vs, _ := emb.Embed(ctx, []string{text})
		return Query{Vector: vs[0], Terms: segment.QueryTerms(text), Regions: regions, K: 10}
	}

	t.Run("LexicalSearch", func(t *testing.T) {
		got, err := s.LexicalSearch(ctx, q("续贷", nil))
		if err != nil {
			t.Fatal(err)
		}
		if g := ids(got); len(g) != 2 || !slices.Contains(g, "tj#a") || !slices.Contains(g, "bj#a") {
			t.Errorf("got %v, want tj#a and bj#a", g)
		}
		if got[0].Cosine <= 0 {
			t.Errorf("lexical candidate without cosine: %v", got[0].Cosine)
		}
		// The title's and heading path's terms come along, as the searcher would work them out.
		for _, c := range got {
			if !slices.Equal(c.TitleTerms, segment.Terms(c.Document.Title)) || !slices.Equal(c.PathTerms, segment.Terms(strings.Join(c.Clause.Path, " "))) {
				t.Errorf("%s: title terms %v, path terms %v", c.Clause.ID, c.TitleTerms, c.PathTerms)
			}
		}
	})
	t.Run("RegionFilter", func(t *testing.T) {
		got, _ := s.LexicalSearch(ctx, q("续贷", []string{"北京市"}))
		if g := ids(got); !slices.Equal(g, []string{"bj#a"}) {
			t.Errorf("got %v, want [bj#a]", g)
		}
	})
	t.Run("VectorSearch", func(t *testing.T) {
		got, err := s.VectorSearch(ctx, q("工业设计云服务", nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Clause.ID != "tj#b" || got[0].Cosine < got[1].Cosine {
			t.Errorf("got %v, want tj#b first of 3, by cosine", ids(got))
		}
	})
	t.Run("TermStats", func(t *testing.T) {
		st, err := s.TermStats(ctx, []string{"续贷", "不存在"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Clauses != 3 || st.DF["续贷"] != 2 || st.DF["不存在"] != 0 || st.AvgLen <= 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("RetireAndReactivate", func(t *testing.T) {
		if err := s.SetStatus(ctx, "bj", StatusRetired); err != nil {
			t.Fatal(err)
		}
		got, _ := s.LexicalSearch(ctx, q("续贷", nil))
		st, _ := s.TermStats(ctx, []string{"续贷"})
		if g := ids(got); !slices.Equal(g, []string{"tj#a"}) || st.DF["续贷"] != 1 || st.Clauses != 2 {
			t.Errorf("after retiring: got %v, stats %+v", g, st)
		}
		if err := s.SetStatus(ctx, "bj", StatusActive); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.TermStats(ctx, []string{"续贷"}); st.DF["续贷"] != 2 {
			t.Errorf("after re-activating: DF %d, want 2", st.DF["续贷"])
		}
		if err := s.SetStatus(ctx, "bj", "deleted"); err == nil {
			t.Error("unknown status accepted")
		}
	})
	t.Run("Replace", func(t *testing.T) {
		doc, cs := indexDoc(t, emb, "tj", "天津市措施", "天津市", "推动工业设计云服务")
		if err := s.ReplaceDocument(ctx, doc, cs); err != nil {
			t.Fatal(err)
		}
		got, _ := s.LexicalSearch(ctx, q("无还本续贷", nil))
		if g := ids(got); !slices.Equal(g, []string{"bj#a"}) {
			t.Errorf("old clause still found: %v", g)
		}
		d, clauses, err := s.Document(ctx, "tj")
		if err != nil || d.ClauseCount != 1 || len(clauses) != 1 || d.Status != StatusActive {
			t.Errorf("Document: %+v %v %v", d, clauses, err)
		}
	})
	t.Run("Cache", func(t *testing.T) {
		got, err := s.CachedEmbeddings(ctx, emb.Name(), []string{bjc[0].TextHash, "missing"})
		if err != nil || len(got) != 1 || !slices.Equal(got[bjc[0].TextHash], bjc[0].Embedding) {
			t.Errorf("cache: %v %v", len(got), err)
		}
		if got, _ := s.CachedEmbeddings(ctx, "other-model", []string{bjc[0].TextHash}); len(got) != 0 {
			t.Error("cache answered for another model")
		}
	})
	t.Run("WrongDimensions", func(t *testing.T) {
		doc, cs := indexDoc(t, embeddings.NewLocal(64), "x", "x", "全国", "续贷")
		if err := s.ReplaceDocument(ctx, doc, cs); err == nil {
			t.Error("64-dimension vectors accepted by a 128-dimension store")
		}
	})
	t.Run("Remove", func(t *testing.T) {
		if err := s.RemoveDocument(ctx, "bj"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Document(ctx, "bj"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed document: err %v, want ErrNotFound", err)
		}
		if err := s.RemoveDocument(ctx, "bj"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second remove: err %v, want ErrNotFound", err)
		}
		docs, _ := s.Documents(ctx)
		if len(docs) != 1 || docs[0].ID != "tj" {
			t.Errorf("documents %v", docs)
		}
	})
}

// TestMemoryVectorSearchExact checks the dimension index against a plain
// pass over every clause: after replacements and removals (each drops the
// index), with sparse and dense embeddings mixed, and with K beyond the
// clauses sharing a dimension with the question (those follow at cosine 0).
func TestMemoryVectorSearchExact(t *testing.T) {
	ctx := context.Background()
	const dims = 64
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(nonZero int) []float32 {
		v := make([]float32, dims)
		for range nonZero {
			v[rng.IntN(dims)] = rng.Float32()*2 - 1
		}
		return v
	}
	s := NewMemoryStore()
	want := map[string][]float32{} // clause ID → embedding, what the store should hold
	put := func(id string, n int) {
		doc := StoredDocument{Meta: policy.Meta{ID: id, Title: id, Region: "全国"}, ContentHash: id}
		var cs []IndexedClause
		for i := range n {
			nz := 4
			if i%5 == 4 {
				nz = dims // dense
			}
			c := IndexedClause{Clause: policy.Clause{ID: fmt.Sprintf("%s#%d", id, i)}, Ord: i, Terms: []string{"x"}, Embedding: vec(nz)}
			cs = append(cs, c)
			want[c.Clause.ID] = c.Embedding
		}
		if err := s.ReplaceDocument(ctx, doc, cs); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string) {
		t.Helper()
		for range 20 {
			q := vec(3)
			type scored struct {
				id  string
				cos float64
			}
			var exact []scored
			for id, e := range want {
				exact = append(exact, scored{id, dot(e, q) / (l2(e) * l2(q))})
			}
			slices.SortFunc(exact, func(a, b scored) int {
				if c := cmp.Compare(b.cos, a.cos); c != 0 {
					return c
				}
				return cmp.Compare(a.id, b.id)
			})
			for _, k := range []int{5, len(want)} {
				got, err := s.VectorSearch(ctx, Query{Vector: q, K: k})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != min(k, len(exact)) {
					t.Fatalf("%s: K %d: %d candidates, want %d", step, k, len(got), min(k, len(exact)))
				}
				for i, c := range got {
					if math.Abs(c.Cosine-exact[i].cos) > 1e-5 {
						t.Fatalf("%s: K %d: candidate %d is %s at %.6f, want %s at %.6f", step, k, i, c.Clause.ID, c.Cosine, exact[i].id, exact[i].cos)
					}
				}
			}
		}
	}
	for i := range 8 {
		put(fmt.Sprintf("d%d", i), 10)
	}
	check("after loading")
	put("d3", 4) // shrinks: stale slots must not be found
	for id := range want {
		if strings.HasPrefix(id, "d3#") && id >= "d3#4" {
			delete(want, id)
		}
	}
	check("after a replacement")
	if err := s.RemoveDocument(ctx, "d5"); err != nil {
		t.Fatal(err)
	}
	for id := range want {
		if strings.HasPrefix(id, "d5#") {
			delete(want, id)
		}
	}
	check("after a removal")
	put("d9", 12) // reuses the freed slots
	check("after reusing slots")
}
