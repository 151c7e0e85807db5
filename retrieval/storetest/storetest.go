// Package storetest is the conformance suite of retrieval.Store: every store
// (the in-memory one, PostgreSQL) must pass it, so that search gives the same
// results whichever store serves it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"policybot/policy"
	"policybot/retrieval"
)

// Model is the embedding model the suite records before storing vectors.
var Model = retrieval.Model{Name: "storetest-4", Dimensions: 4}

// Run runs the suite. open returns a new, empty store for each subtest (and
// registers its cleanup with t).
func Run(t *testing.T, open func(t *testing.T) retrieval.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s retrieval.Store)
	}{
		{"Empty", testEmpty},
		{"ReplaceReadBack", testReplaceReadBack},
		{"ReplaceShrinks", testReplaceShrinks},
		{"ReplaceIsAtomic", testReplaceAtomic},
		{"NotFound", testNotFound},
		{"Remove", testRemove},
		{"RetireHides", testRetire},
		{"VectorOrder", testVectorOrder},
		{"VectorRegions", testVectorRegions},
		{"Lexical", testLexical},
		{"LexicalQuoting", testLexicalQuoting},
		{"StatsExact", testStats},
		{"Model", testModel},
		{"EmbeddingCache", testEmbeddingCache},
		{"Validity", testValidity},
		{"Applicable", testApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// fixture is a small corpus: three regions, hand-made 4-dimensional vectors
// and terms, no term repeated within a clause (so that a term's frequency and
// its presence count alike).
type fixture struct {
	doc     retrieval.StoredDocument
	clauses []retrieval.IndexedClause
}

var ingested = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

func clause(doc string, ord int, terms []string, vec []float32) retrieval.IndexedClause {
	id := fmt.Sprintf("%s-%d", doc, ord)
	return retrieval.IndexedClause{
		Clause: policy.Clause{
			ID: id, Label: fmt.Sprintf("（%d）", ord+1), Path: []string{"一、总则", fmt.Sprintf("（%d）条目", ord+1)},
			Title: "标题" + id, Text: "正文" + id, Agencies: []string{"市财政局"},
		},
		Ord: ord, TextHash: "hash-" + id, Terms: terms, Embedding: vec,
	}
}

func corpus() []fixture {
	tj := fixture{
		doc: retrieval.StoredDocument{
			Meta: policy.Meta{ID: "tj", Title: "天津市提升中小企业竞争力若干措施", Number: "津中小企组〔2022〕2号",
				Issuer: "天津市促进中小企业发展工作领导小组", Date: "2022-06-18", Region: "天津市", Kind: policy.KindNotice},
			Source: "tj.txt", ContentHash: "sha-tj", Status: retrieval.StatusActive, IngestedAt: ingested,
		},
		clauses: []retrieval.IndexedClause{
			clause("tj", 0, []string{"续贷", "小微企业", "信贷"}, []float32{1, 0, 0, 0}),
			clause("tj", 1, []string{"社保", "补贴"}, []float32{0, 1, 0, 0}),
			clause("tj", 2, []string{"专利", "补贴"}, []float32{0.7, 0.7, 0, 0}),
		},
	}
	// A clause with all fields set, lead agencies among them.
	tj.clauses[0].Path = []string{"二、加大融资支持力度", "（四）加强信贷支持"}
	tj.clauses[0].Label, tj.clauses[0].Title = "（四）", "加强信贷支持"
	tj.clauses[0].Agencies = []string{"人民银行天津分行", "天津银保监局", "市金融局"}
	tj.clauses[0].LeadAgencies = []string{"人民银行天津分行"}
	tj.clauses[0].Context = []string{"融资", "金融"}
	tj.clauses[2].Role = policy.RoleClosing
	tj.doc.ValidityFacts = policy.Validity{
		Effective: "2022-06-18", EffectiveBasis: "本措施自印发之日起施行",
		Expires: "2024-06-17", ExpiresBasis: "有效期两年", UntilEvent: "",
		Repeals: []string{"天津市支持中小企业发展若干措施"}, RepealsBasis: "《天津市支持中小企业发展若干措施》同时废止",
		History: []policy.Version{{Date: "2022-06-18", Action: "印发", Number: "津中小企组〔2022〕2号", Text: "2022年6月18日印发"}},
	}
	tj.clauses[1].Validity = &policy.Validity{Expires: "2022-12-31", ExpiresBasis: "实施期限至2022年12月31日"}
	bj := fixture{
		doc: retrieval.StoredDocument{
			Meta:   policy.Meta{ID: "bj", Title: "北京市中小企业促进条例", Date: "2023-01-01", Region: "北京市", Kind: policy.KindRegulation},
			Source: "bj.md", ContentHash: "sha-bj", Status: retrieval.StatusActive, IngestedAt: ingested.Add(time.Hour),
		},
		clauses: []retrieval.IndexedClause{
			clause("bj", 0, []string{"续贷", "担保"}, []float32{0.9, 0.1, 0, 0}),
			clause("bj", 1, []string{"人才"}, []float32{0, 0, 1, 0}),
		},
	}
	cn := fixture{
		doc: retrieval.StoredDocument{
			Meta:   policy.Meta{ID: "cn", Title: "中华人民共和国中小企业促进法", Date: "2017-09-01", Region: policy.RegionNational, Kind: policy.KindLaw},
			Source: "cn.md", ContentHash: "sha-cn", Status: retrieval.StatusActive, IngestedAt: ingested.Add(-time.Hour),
		},
		clauses: []retrieval.IndexedClause{
			clause("cn", 0, []string{"小微企业", "减税"}, []float32{0, 0, 0, 1}),
		},
	}
	return []fixture{tj, bj, cn}
}

// load records the model and stores the fixtures, as ingestion does.
func load(t *testing.T, s retrieval.Store, fs ...fixture) {
	t.Helper()
	ctx := context.Background()
	if err := s.SetModel(ctx, Model); err != nil {
		t.Fatalf("SetModel: %v", err)
	}
	for _, f := range fs {
		if err := s.ReplaceDocument(ctx, f.doc, f.clauses); err != nil {
			t.Fatalf("ReplaceDocument(%s): %v", f.doc.ID, err)
		}
	}
}

func testEmpty(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	docs, err := s.Documents(ctx)
	if err != nil || len(docs) != 0 {
		t.Fatalf("Documents = %v, %v; want none", docs, err)
	}
	m, err := s.Model(ctx)
	if err != nil || m != (retrieval.Model{}) {
		t.Fatalf("Model = %+v, %v; want zero", m, err)
	}
	st, err := s.TermStats(ctx, []string{"续贷"})
	if err != nil || st.Clauses != 0 || st.AvgLen != 0 || st.DF["续贷"] != 0 {
		t.Fatalf("TermStats = %+v, %v; want zero", st, err)
	}
	got, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{1, 0, 0, 0}, K: 5})
	if err != nil || len(got) != 0 {
		t.Fatalf("VectorSearch = %v, %v; want none", got, err)
	}
}

func testReplaceReadBack(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	load(t, s, fs...)
	for _, f := range fs {
		doc, clauses, err := s.Document(ctx, f.doc.ID)
		if err != nil {
			t.Fatalf("Document(%s): %v", f.doc.ID, err)
		}
		checkDocument(t, doc, f.doc, len(f.clauses))
		if len(clauses) != len(f.clauses) {
			t.Fatalf("Document(%s): %d clauses, want %d", f.doc.ID, len(clauses), len(f.clauses))
		}
		for i, c := range clauses {
			if !sameClause(c, f.clauses[i].Clause) {
				t.Errorf("Document(%s) clause %d = %+v, want %+v", f.doc.ID, i, c, f.clauses[i].Clause)
			}
		}
	}
	docs, err := s.Documents(ctx)
	if err != nil {
		t.Fatalf("Documents: %v", err)
	}
	// bj is newest both by ingestion time and by date, cn oldest by both.
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	if want := []string{"bj", "tj", "cn"}; !slices.Equal(ids, want) {
		t.Errorf("Documents = %v, want %v (newest first)", ids, want)
	}
	for _, d := range docs {
		if d.ID == "tj" {
			checkDocument(t, d, fs[0].doc, len(fs[0].clauses))
		}
	}
}

func checkDocument(t *testing.T, got, want retrieval.StoredDocument, clauses int) {
	t.Helper()
	if got.Meta != want.Meta || got.Source != want.Source || got.ContentHash != want.ContentHash ||
		got.Status != want.Status || got.ClauseCount != clauses || !reflect.DeepEqual(got.ValidityFacts, want.ValidityFacts) {
		t.Errorf("document = %+v, want %+v with %d clauses", got, want, clauses)
	}
	if d := got.IngestedAt.Sub(want.IngestedAt); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("document %s ingested at %v, want %v", got.ID, got.IngestedAt, want.IngestedAt)
	}
}

// sameClause compares clauses treating nil and empty lists alike: a store
// need not remember which of the two it was given.
func sameClause(a, b policy.Clause) bool {
	return a.ID == b.ID && a.Label == b.Label && a.Title == b.Title && a.Text == b.Text &&
		slices.Equal(a.Path, b.Path) && slices.Equal(a.Agencies, b.Agencies) && slices.Equal(a.LeadAgencies, b.LeadAgencies) &&
		a.Role == b.Role && reflect.DeepEqual(a.Validity, b.Validity)
}

// testValidity: the validity facts of documents and clauses come back from
// every read, candidates included, and a store that keeps overrides keeps
// them by document ID through re-ingest and removal.
func testValidity(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	load(t, s, fs...)
	for _, search := range []func(context.Context, retrieval.Query) ([]retrieval.Candidate, error){s.VectorSearch, s.LexicalSearch} {
		got, err := search(ctx, retrieval.Query{Vector: []float32{0, 1, 0, 0}, Terms: []string{"社保"}, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range got {
			if c.Clause.ID == "tj-1" {
				found = true
				if !reflect.DeepEqual(c.Clause.Validity, fs[0].clauses[1].Validity) {
					t.Errorf("candidate tj-1 validity %+v, want %+v", c.Clause.Validity, fs[0].clauses[1].Validity)
				}
			} else if c.Clause.Validity != nil {
				t.Errorf("candidate %s has validity %+v, want none", c.Clause.ID, c.Clause.Validity)
			}
		}
		if !found {
			t.Errorf("tj-1 not proposed: %v", clauseIDs(got))
		}
	}
	ov, ok := s.(retrieval.Overrides)
	if !ok {
		return
	}
	o := retrieval.ValidityOverride{Expires: "2023-01-31", Note: "见市政府公告", By: "admin", At: ingested}
	if err := ov.SetValidityOverride(ctx, "tj", o); err != nil {
		t.Fatal(err)
	}
	if err := ov.SetValidityOverride(ctx, "bj", retrieval.ValidityOverride{Expires: "2020-01-01", Effective: "2021-01-01"}); err == nil {
		t.Error("an override ending before it starts was accepted")
	}
	if err := s.RemoveDocument(ctx, "tj"); err != nil {
		t.Fatal(err)
	}
	load(t, s, fs[0])
	got, err := ov.ValidityOverrides(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := got["tj"]; !ok || g.Expires != o.Expires || g.Note != o.Note || g.By != o.By || !g.At.Equal(o.At) || len(got) != 1 {
		t.Errorf("overrides after re-ingest = %+v, want tj: %+v", got, o)
	}
	if err := ov.SetValidityOverride(ctx, "tj", retrieval.ValidityOverride{}); err != nil {
		t.Fatal(err)
	}
	if got, err := ov.ValidityOverrides(ctx); err != nil || len(got) != 0 {
		t.Errorf("overrides after clearing = %+v, %v; want none", got, err)
	}
}

func testReplaceShrinks(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	load(t, s, fs...)
	tj := fs[0]
	tj.doc.Title, tj.doc.ContentHash = "天津市提升中小企业竞争力若干措施（修订）", "sha-tj-2"
	tj.clauses = []retrieval.IndexedClause{clause("tj", 0, []string{"人才", "新词"}, []float32{0, 0, 1, 0})}
	if err := s.ReplaceDocument(ctx, tj.doc, tj.clauses); err != nil {
		t.Fatalf("ReplaceDocument: %v", err)
	}
	doc, clauses, err := s.Document(ctx, "tj")
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	checkDocument(t, doc, tj.doc, 1)
	if len(clauses) != 1 || !sameClause(clauses[0], tj.clauses[0].Clause) {
		t.Fatalf("clauses = %+v, want the one new clause", clauses)
	}
	// The old clauses are gone from both searches.
	got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"社保", "专利"}, K: 10})
	if err != nil || len(got) != 0 {
		t.Errorf("LexicalSearch(old terms) = %v, %v; want none", clauseIDs(got), err)
	}
	got, err = s.VectorSearch(ctx, retrieval.Query{Vector: []float32{0, 0, 1, 0}, K: 2})
	if err != nil {
		t.Fatalf("VectorSearch: %v", err)
	}
	if ids := clauseIDs(got); !sameSet(ids, []string{"tj-0", "bj-1"}) {
		t.Errorf("VectorSearch = %v, want tj-0 and bj-1", ids)
	}
	// 3 clauses replaced by 1: 4 clauses of 2+2+1+2 = 7 terms.
	checkStats(t, s, 4, 7.0/4, map[string]int{"人才": 2, "新词": 1, "补贴": 0, "续贷": 1, "小微企业": 1})
}

// testReplaceAtomic alternates a document between two versions while readers
// check they only ever see one version whole.
func testReplaceAtomic(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	if err := s.SetModel(ctx, Model); err != nil {
		t.Fatalf("SetModel: %v", err)
	}
	version := func(n int) (retrieval.StoredDocument, []retrieval.IndexedClause) {
		doc := retrieval.StoredDocument{Meta: policy.Meta{ID: "doc", Title: fmt.Sprintf("v%d", n), Region: "天津市"},
			Status: retrieval.StatusActive, IngestedAt: ingested}
		var cs []retrieval.IndexedClause
		for i := range n {
			cs = append(cs, clause("doc", i, []string{"共同", fmt.Sprintf("词%d", i)}, []float32{1, float32(i), 0, 0}))
		}
		return doc, cs
	}
	doc, cs := version(2)
	if err := s.ReplaceDocument(ctx, doc, cs); err != nil {
		t.Fatalf("ReplaceDocument: %v", err)
	}
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
		errc = make(chan error, 3)
	)
	check := func(what string, n int) error {
		if n != 2 && n != 5 {
			return fmt.Errorf("%s saw %d clauses: half a replacement", what, n)
		}
		return nil
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, cs, err := s.Document(ctx, "doc")
				if err == nil {
					err = check("Document", len(cs))
				}
				if err == nil && (d.Title != fmt.Sprintf("v%d", len(cs)) || d.ClauseCount != len(cs)) {
					err = fmt.Errorf("Document %q (count %d) with %d clauses: mixed versions", d.Title, d.ClauseCount, len(cs))
				}
				if err == nil {
					var st retrieval.Stats
					if st, err = s.TermStats(ctx, []string{"共同"}); err == nil {
						err = check("TermStats", st.Clauses)
					}
					if err == nil && st.DF["共同"] != st.Clauses {
						err = fmt.Errorf("TermStats: %d clauses but df %d: mixed versions", st.Clauses, st.DF["共同"])
					}
				}
				if err == nil {
					var got []retrieval.Candidate
					got, err = s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"共同"}, K: 10})
					if err == nil {
						err = check("LexicalSearch", len(got))
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := range 40 {
		doc, cs := version(2 + 3*(1-i%2)) // 5, 2, 5, …
		if err := s.ReplaceDocument(ctx, doc, cs); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("ReplaceDocument: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func testNotFound(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	load(t, s, corpus()...)
	if _, _, err := s.Document(ctx, "missing"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Document(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.RemoveDocument(ctx, "missing"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("RemoveDocument(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.SetStatus(ctx, "missing", retrieval.StatusRetired); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("SetStatus(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.SetStatus(ctx, "tj", "bogus"); err == nil {
		t.Errorf("SetStatus(tj, bogus) succeeded, want an error")
	}
}

func testRemove(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	load(t, s, corpus()...)
	if err := s.RemoveDocument(ctx, "bj"); err != nil {
		t.Fatalf("RemoveDocument: %v", err)
	}
	if _, _, err := s.Document(ctx, "bj"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Document(bj) after removal: error = %v, want ErrNotFound", err)
	}
	docs, err := s.Documents(ctx)
	if err != nil || len(docs) != 2 {
		t.Errorf("Documents after removal = %d, %v; want 2", len(docs), err)
	}
	checkHidden(t, s, "bj")
	checkStats(t, s, 4, 9.0/4, map[string]int{"续贷": 1, "担保": 0, "人才": 0, "补贴": 2})
}

func testRetire(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	load(t, s, corpus()...)
	if err := s.SetStatus(ctx, "bj", retrieval.StatusRetired); err != nil {
		t.Fatalf("SetStatus(retired): %v", err)
	}
	doc, clauses, err := s.Document(ctx, "bj")
	if err != nil || doc.Status != retrieval.StatusRetired || len(clauses) != 2 {
		t.Fatalf("Document(bj) = %s with %d clauses, %v; want retired, kept whole", doc.Status, len(clauses), err)
	}
	checkHidden(t, s, "bj")
	checkStats(t, s, 4, 9.0/4, map[string]int{"续贷": 1, "担保": 0})
	// Retiring twice changes nothing.
	if err := s.SetStatus(ctx, "bj", retrieval.StatusRetired); err != nil {
		t.Fatalf("SetStatus(retired) again: %v", err)
	}
	checkStats(t, s, 4, 9.0/4, map[string]int{"续贷": 1, "担保": 0})
	if err := s.SetStatus(ctx, "bj", retrieval.StatusActive); err != nil {
		t.Fatalf("SetStatus(active): %v", err)
	}
	checkStats(t, s, 6, 12.0/6, map[string]int{"续贷": 2, "担保": 1})
	got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"担保"}, K: 5})
	if err != nil || !sameSet(clauseIDs(got), []string{"bj-0"}) {
		t.Errorf("LexicalSearch(担保) after re-activation = %v, %v; want bj-0", clauseIDs(got), err)
	}
	// A retired document replaced as retired stays out of the statistics.
	f := corpus()[1]
	f.doc.Status = retrieval.StatusRetired
	if err := s.ReplaceDocument(ctx, f.doc, f.clauses); err != nil {
		t.Fatalf("ReplaceDocument(retired): %v", err)
	}
	checkHidden(t, s, "bj")
	checkStats(t, s, 4, 9.0/4, map[string]int{"续贷": 1, "担保": 0})
}

// checkHidden checks that no search returns a clause of document id.
func checkHidden(t *testing.T, s retrieval.Store, id string) {
	t.Helper()
	ctx := context.Background()
	for _, vec := range [][]float32{{1, 0, 0, 0}, {0.9, 0.1, 0, 0}, {0, 0, 1, 0}} {
		got, err := s.VectorSearch(ctx, retrieval.Query{Vector: vec, K: 10})
		if err != nil {
			t.Fatalf("VectorSearch: %v", err)
		}
		if len(got) != 4 {
			t.Errorf("VectorSearch(%v, K=10) = %v, want the 4 clauses of the other documents", vec, clauseIDs(got))
		}
		for _, c := range got {
			if c.Document.ID == id {
				t.Errorf("VectorSearch(%v) returned %s of hidden document %s", vec, c.Clause.ID, id)
			}
		}
	}
	got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"续贷", "担保", "人才"}, K: 10})
	if err != nil {
		t.Fatalf("LexicalSearch: %v", err)
	}
	if ids := clauseIDs(got); !sameSet(ids, []string{"tj-0"}) {
		t.Errorf("LexicalSearch = %v, want only tj-0", ids)
	}
}

func testVectorOrder(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	load(t, s, fs...)
	got, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{1, 0, 0, 0}, K: 3})
	if err != nil {
		t.Fatalf("VectorSearch: %v", err)
	}
	want := []struct {
		id     string
		cosine float64
	}{
		{"tj-0", 1},
		{"bj-0", 0.9 / math.Sqrt(0.82)},
		{"tj-2", 0.7 / math.Sqrt(0.98)},
	}
	if len(got) != len(want) {
		t.Fatalf("VectorSearch = %v, want %d candidates", clauseIDs(got), len(want))
	}
	for i, w := range want {
		if got[i].Clause.ID != w.id || math.Abs(got[i].Cosine-w.cosine) > 1e-5 {
			t.Errorf("candidate %d = %s (cosine %.6f), want %s (%.6f)", i, got[i].Clause.ID, got[i].Cosine, w.id, w.cosine)
		}
	}
	// Candidates carry what the searcher scores and shows.
	c := got[0]
	if c.Document != fs[0].doc.Meta || !sameClause(c.Clause, fs[0].clauses[0].Clause) ||
		!slices.Equal(c.Terms, fs[0].clauses[0].Terms) || !slices.Equal(c.ContextTerms, fs[0].clauses[0].Context) {
		t.Errorf("candidate = %+v, want document tj and clause tj-0 with its terms and context terms", c)
	}
	// Asking for more than there is returns everything once.
	got, err = s.VectorSearch(ctx, retrieval.Query{Vector: []float32{0, 0, 0, 1}, K: 50})
	if err != nil || len(got) != 6 || got[0].Clause.ID != "cn-0" {
		t.Errorf("VectorSearch(K=50) = %v, %v; want all 6, cn-0 first", clauseIDs(got), err)
	}
}

func testVectorRegions(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	load(t, s, corpus()...)
	tests := []struct {
		regions []string
		vec     []float32
		k       int
		want    []string // in order
	}{
		{[]string{"北京市"}, []float32{1, 0, 0, 0}, 5, []string{"bj-0", "bj-1"}},
		{[]string{"天津市", policy.RegionNational}, []float32{0.9, 0.1, 0, 0}, 2, []string{"tj-0", "tj-2"}},
		{[]string{policy.RegionNational}, []float32{1, 0, 0, 0}, 5, []string{"cn-0"}},
		{[]string{"上海市"}, []float32{1, 0, 0, 0}, 5, nil},
	}
	for _, tt := range tests {
		got, err := s.VectorSearch(ctx, retrieval.Query{Vector: tt.vec, Regions: tt.regions, K: tt.k})
		if err != nil {
			t.Fatalf("VectorSearch(%v): %v", tt.regions, err)
		}
		if ids := clauseIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("VectorSearch(%v, %v, K=%d) = %v, want %v", tt.regions, tt.vec, tt.k, ids, tt.want)
		}
	}
}

func testLexical(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	load(t, s, corpus()...)
	tests := []struct {
		name    string
		terms   []string
		regions []string
		k       int
		want    []string // as a set
		first   string   // when set: the best candidate
	}{
		{"OneTerm", []string{"续贷"}, nil, 10, []string{"tj-0", "bj-0"}, ""},
		{"AnyTerm", []string{"补贴", "减税", "没有的词"}, nil, 10, []string{"tj-1", "tj-2", "cn-0"}, ""},
		{"MostTermsFirst", []string{"续贷", "小微企业", "信贷"}, nil, 1, []string{"tj-0"}, "tj-0"},
		{"Region", []string{"续贷", "小微企业"}, []string{"北京市"}, 10, []string{"bj-0"}, ""},
		{"RegionAndNational", []string{"小微企业"}, []string{"北京市", policy.RegionNational}, 10, []string{"cn-0"}, ""},
		{"NoMatch", []string{"没有的词"}, nil, 10, nil, ""},
		{"NoTerms", nil, nil, 10, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: tt.terms, Regions: tt.regions, K: tt.k})
			if err != nil {
				t.Fatalf("LexicalSearch: %v", err)
			}
			if ids := clauseIDs(got); !sameSet(ids, tt.want) {
				t.Errorf("LexicalSearch(%v) = %v, want %v", tt.terms, ids, tt.want)
			}
			if tt.first != "" && (len(got) == 0 || got[0].Clause.ID != tt.first) {
				t.Errorf("LexicalSearch(%v) best = %v, want %s", tt.terms, clauseIDs(got), tt.first)
			}
			for _, c := range got {
				if len(c.Terms) == 0 || c.Document.ID == "" {
					t.Errorf("candidate %s lacks terms or document: %+v", c.Clause.ID, c)
				}
			}
		})
	}
	// With a query vector, lexical candidates carry their cosine too.
	got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"续贷"}, Vector: []float32{1, 0, 0, 0}, K: 10})
	if err != nil {
		t.Fatalf("LexicalSearch with vector: %v", err)
	}
	for _, c := range got {
		want := map[string]float64{"tj-0": 1, "bj-0": 0.9 / math.Sqrt(0.82)}[c.Clause.ID]
		if math.Abs(c.Cosine-want) > 1e-5 {
			t.Errorf("LexicalSearch with vector: %s cosine %.6f, want %.6f", c.Clause.ID, c.Cosine, want)
		}
		if wantCtx := map[string][]string{"tj-0": {"融资", "金融"}}[c.Clause.ID]; !slices.Equal(c.ContextTerms, wantCtx) {
			t.Errorf("LexicalSearch: %s context terms %q, want %q", c.Clause.ID, c.ContextTerms, wantCtx)
		}
	}
}

// testLexicalQuoting: terms are data, never query syntax.
func testLexicalQuoting(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	odd := []string{"it's", `back\slash`, "a|b", "!", "x & y", "'quoted'", ":*", "(", "'); DROP TABLE clauses; --"}
	f := fixture{
		doc: retrieval.StoredDocument{Meta: policy.Meta{ID: "odd", Title: "odd", Region: "天津市"},
			Status: retrieval.StatusActive, IngestedAt: ingested},
	}
	for i, term := range odd {
		f.clauses = append(f.clauses, clause("odd", i, []string{term, "普通"}, []float32{1, 0, 0, float32(i)}))
	}
	load(t, s, f)
	for i, term := range odd {
		got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{term}, K: 20})
		if err != nil {
			t.Fatalf("LexicalSearch(%q): %v", term, err)
		}
		if ids := clauseIDs(got); !slices.Equal(ids, []string{f.clauses[i].ID}) {
			t.Errorf("LexicalSearch(%q) = %v, want only %s", term, ids, f.clauses[i].ID)
		}
	}
	// Parts of a term are not terms: "a" and "b" do not match "a|b".
	got, err := s.LexicalSearch(ctx, retrieval.Query{Terms: []string{"a", "b", "it", "s", "x"}, K: 20})
	if err != nil || len(got) != 0 {
		t.Errorf("LexicalSearch(parts) = %v, %v; want none", clauseIDs(got), err)
	}
	if st, err := s.TermStats(ctx, odd); err != nil || st.DF["a|b"] != 1 || st.DF["it's"] != 1 {
		t.Errorf("TermStats(odd) = %+v, %v; want df 1 each", st, err)
	}
}

func testStats(t *testing.T, s retrieval.Store) {
	fs := corpus()
	load(t, s, fs[0])
	checkStats(t, s, 3, 7.0/3, map[string]int{"补贴": 2, "续贷": 1, "担保": 0})
	load(t, s, fs[1:]...)
	checkStats(t, s, 6, 12.0/6, map[string]int{"补贴": 2, "续贷": 2, "小微企业": 2, "担保": 1, "没有的词": 0})
	// Replacing a document by itself changes nothing.
	load(t, s, fs[0])
	checkStats(t, s, 6, 12.0/6, map[string]int{"补贴": 2, "续贷": 2, "小微企业": 2, "担保": 1})
}

func checkStats(t *testing.T, s retrieval.Store, clauses int, avgLen float64, df map[string]int) {
	t.Helper()
	var terms []string
	for term := range df {
		terms = append(terms, term)
	}
	st, err := s.TermStats(context.Background(), terms)
	if err != nil {
		t.Fatalf("TermStats: %v", err)
	}
	if st.Clauses != clauses || math.Abs(st.AvgLen-avgLen) > 1e-9 {
		t.Errorf("TermStats = %d clauses, avg len %.4f; want %d, %.4f", st.Clauses, st.AvgLen, clauses, avgLen)
	}
	for term, want := range df {
		if st.DF[term] != want {
			t.Errorf("TermStats df[%s] = %d, want %d", term, st.DF[term], want)
		}
	}
}

func testModel(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	for _, m := range []retrieval.Model{Model, {Name: "other-8", Dimensions: 8}, Model} {
		if err := s.SetModel(ctx, m); err != nil {
			t.Fatalf("SetModel(%+v): %v", m, err)
		}
		got, err := s.Model(ctx)
		if err != nil || got != m {
			t.Errorf("Model = %+v, %v; want %+v", got, err, m)
		}
	}
	// Vectors of the recorded dimension are searchable after a change of model.
	load(t, s, corpus()...)
	got, err := s.VectorSearch(ctx, retrieval.Query{Vector: []float32{1, 0, 0, 0}, K: 1})
	if err != nil || len(got) != 1 || got[0].Clause.ID != "tj-0" {
		t.Errorf("VectorSearch after model changes = %v, %v; want tj-0", clauseIDs(got), err)
	}
}

func testEmbeddingCache(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	load(t, s, fs...)
	hashes := []string{fs[0].clauses[0].TextHash, fs[1].clauses[1].TextHash, "missing"}
	got, err := s.CachedEmbeddings(ctx, Model.Name, hashes)
	if err != nil {
		t.Fatalf("CachedEmbeddings: %v", err)
	}
	want := map[string][]float32{hashes[0]: fs[0].clauses[0].Embedding, hashes[1]: fs[1].clauses[1].Embedding}
	if len(got) != len(want) {
		t.Errorf("CachedEmbeddings = %v, want %v", got, want)
	}
	for h, v := range want {
		if !slices.Equal(got[h], v) {
			t.Errorf("CachedEmbeddings[%s] = %v, want %v", h, got[h], v)
		}
	}
	if got, err := s.CachedEmbeddings(ctx, "another-model", hashes); err != nil || len(got) != 0 {
		t.Errorf("CachedEmbeddings(another model) = %v, %v; want none", got, err)
	}
	// The cache outlives the documents: re-ingesting after a removal embeds nothing.
	if err := s.RemoveDocument(ctx, "tj"); err != nil {
		t.Fatalf("RemoveDocument: %v", err)
	}
	if got, err := s.CachedEmbeddings(ctx, Model.Name, hashes[:1]); err != nil || len(got) != 1 {
		t.Errorf("CachedEmbeddings after removal = %v, %v; want the entry kept", got, err)
	}
}

func clauseIDs(cs []retrieval.Candidate) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Clause.ID)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// testApplicable: clauses that name whom they are for come back with their
// applicability, read back as stored; retired documents' never do.
func testApplicable(t *testing.T, s retrieval.Store) {
	ctx := context.Background()
	fs := corpus()
	app := &policy.Applicability{
		Subjects:   []policy.Subject{{Name: "小微企业", Sizes: []string{"small", "micro"}, Basis: "支持小微企业"}},
		Conditions: []policy.Condition{{Text: "主要面向所列行业", Basis: "餐饮住宿等行业", Industries: []string{"住宿和餐饮业"}}},
	}
	fs[0].clauses[1].Applicability = app
	fs[1].clauses[0].Applicability = &policy.Applicability{Subjects: []policy.Subject{{Name: "个体工商户", Qualification: "个体工商户", Basis: "个体工商户"}}}
	load(t, s, fs...)
	got, err := s.Applicable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := clauseIDs(got)
	if !sameSet(ids, []string{fs[0].clauses[1].ID, fs[1].clauses[0].ID}) {
		t.Fatalf("Applicable = %v, want the two clauses that name someone", ids)
	}
	for _, c := range got {
		if c.Clause.ID == fs[0].clauses[1].ID && (!reflect.DeepEqual(c.Clause.Applicability, app) || c.Document.ID != fs[0].doc.ID || c.Clause.Text == "") {
			t.Errorf("read back %+v / %+v, want %+v", c.Clause.Applicability, c.Document, app)
		}
	}
	_, clauses, err := s.Document(ctx, fs[0].doc.ID)
	if err != nil || !reflect.DeepEqual(clauses[1].Applicability, app) || clauses[0].Applicability != nil {
		t.Errorf("Document's clauses carry %+v and %+v, want %+v and nil (%v)", clauses[1].Applicability, clauses[0].Applicability, app, err)
	}
	if err := s.SetStatus(ctx, fs[1].doc.ID, retrieval.StatusRetired); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Applicable(ctx); err != nil || !sameSet(clauseIDs(got), []string{fs[0].clauses[1].ID}) {
		t.Errorf("Applicable after retiring %s = %v, %v", fs[1].doc.ID, clauseIDs(got), err)
	}
}
