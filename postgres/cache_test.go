package postgres

import (
	"context"
	"testing"
	"time"

	"policybot/retrieval"
)

// TestCachesSeeOtherReplicas: two stores on one database, as two replicas.
// What one caches of clauses is never served after the other changed them,
// and its term statistics follow the other's writes within statsTTL (its
// own writes at once).
func TestCachesSeeOtherReplicas(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	a, b := openURL(t, url), openURL(t, url)
	if err := a.SetModel(ctx, retrieval.Model{Name: "m4", Dimensions: 4}); err != nil {
		t.Fatal(err)
	}
	first := indexed("d-0", 0, []string{"甲", "乙"}, []float32{1, 0, 0, 0})
	if err := a.ReplaceDocument(ctx, doc("d", "天津市"), []retrieval.IndexedClause{first}); err != nil {
		t.Fatal(err)
	}
	search := func(s *Store) (lexical, vector retrieval.Candidate) {
		t.Helper()
		l, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"甲"}, Vector: []float32{1, 0, 0, 0}, K: 5})
		if err != nil || len(l) != 1 {
			t.Fatalf("LexicalSearch = %v, %v; want one clause", l, err)
		}
		v, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{1, 0, 0, 0}, K: 5})
		if err != nil || len(v) != 1 {
			t.Fatalf("VectorSearch = %v, %v; want one clause", v, err)
		}
		return l[0], v[0]
	}
	if l, v := search(a); l.Clause.Text != "d-0" || v.Clause.Text != "d-0" || l.Cosine < 0.999 || v.Cosine < 0.999 {
		t.Fatalf("first search: %+v / %+v", l, v)
	}
	if st, err := a.TermStats(ctx, []string{"甲", "丙"}); err != nil || st.Clauses != 1 || st.DF["甲"] != 1 || st.DF["丙"] != 0 {
		t.Fatalf("TermStats = %+v, %v", st, err)
	}

	// b rewrites the clause and renames the document: a's cached clause is
	// at an older version and is read again.
	second := first
	second.Clause.Text = "changed"
	second.Terms = []string{"甲", "丙"}
	renamed := doc("d", "北京市")
	renamed.Title = "新标题"
	if err := b.ReplaceDocument(ctx, renamed, []retrieval.IndexedClause{second}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []retrieval.Candidate{func() retrieval.Candidate { l, _ := search(a); return l }(), func() retrieval.Candidate { _, v := search(a); return v }()} {
		if c.Clause.Text != "changed" || c.Document.Title != "新标题" || c.Document.Region != "北京市" || len(c.Terms) != 2 || c.Terms[1] != "丙" {
			t.Errorf("after b's change a found %+v", c)
		}
	}
	// Within statsTTL a may still give the figures it read; past it, b's.
	a.stats.mu.Lock()
	a.stats.checked = time.Now().Add(-statsTTL)
	a.stats.mu.Unlock()
	if st, err := a.TermStats(ctx, []string{"甲", "丙"}); err != nil || st.DF["甲"] != 1 || st.DF["丙"] != 1 {
		t.Errorf("TermStats after b's change = %+v, %v; want 丙 in one clause", st, err)
	}
	// a's own write is seen at once.
	if err := a.SetStatus(ctx, "d", retrieval.StatusRetired); err != nil {
		t.Fatal(err)
	}
	if st, err := a.TermStats(ctx, []string{"甲"}); err != nil || st.Clauses != 0 || st.DF["甲"] != 0 {
		t.Errorf("TermStats after retiring = %+v, %v; want an empty corpus", st, err)
	}
	if l, err := a.LexicalSearch(ctx, retrieval.Query{Terms: []string{"甲"}, K: 5}); err != nil || len(l) != 0 {
		t.Errorf("LexicalSearch after retiring = %v, %v; want none", l, err)
	}
}

// TestClauseCacheBound: a full cache drops entries instead of growing.
func TestClauseCacheBound(t *testing.T) {
	var cc clauseCache
	for i := range clauseCacheSize + 5 {
		var e cachedClause
		e.version = clauseVersion{1, 1}
		e.c.Clause.ID = string(rune(0x4e00 + i))
		cc.put(e)
	}
	if n := len(cc.m); n > clauseCacheSize {
		t.Errorf("cache holds %d clauses, bound %d", n, clauseCacheSize)
	}
	last := string(rune(0x4e00 + clauseCacheSize + 4))
	if _, ok := cc.get(last, clauseVersion{1, 1}); !ok {
		t.Error("the clause just put is missing")
	}
	if _, ok := cc.get(last, clauseVersion{2, 1}); ok {
		t.Error("a clause was served at another version")
	}
}
