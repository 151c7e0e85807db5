package retrieval

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"policybot/embeddings"
)

func TestSearchJurisdiction(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	emb := embeddings.NewLocal(256)
	fsys := fstest.MapFS{"tj.txt": {Data: []byte(docTianjin)}, "bj.txt": {Data: []byte(docBeijing)}}
	if _, err := (&Ingester{Store: store, Embedder: emb}).IngestFS(ctx, fsys, "."); err != nil {
		t.Fatal(err)
	}
	s := NewSearcher(store, emb, "天津市")
	tests := []struct {
		name, query, region, wantDoc string
	}{
		{"default region", "续贷怎么办", "", "tj"},
		{"asker's region", "续贷怎么办", "北京市", "bj"},
		{"region alias", "续贷怎么办", "京", "bj"},
		{"district asks its city's measures", "续贷怎么办", "北京市海淀区", "bj"},
		{"question names another region", "北京市对于续贷有什么支持", "", "bj"},
		{"question names its short name", "天津续贷有什么支持", "北京市", "tj"},
		{"subject beats region", "减免房租", "天津市", "bj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := s.Search(ctx, SearchRequest{Query: tt.query, Region: tt.region, K: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 || hits[0].Document.ID != tt.wantDoc {
				t.Fatalf("top hit %v, want a clause of %s", hits, tt.wantDoc)
			}
			for i, h := range hits {
				if h.Score < 0 || h.Score > 1 || i > 0 && h.Score > hits[i-1].Score {
					t.Errorf("hit %d score %v: want in [0,1], descending", i, h.Score)
				}
			}
		})
	}
}

func TestSearchScoreAndRequests(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	emb := embeddings.NewLocal(256)
	fsys := fstest.MapFS{"tj.txt": {Data: []byte(docTianjin)}}
	if _, err := (&Ingester{Store: store, Embedder: emb}).IngestFS(ctx, fsys, "."); err != nil {
		t.Fatal(err)
	}
	s := NewSearcher(store, emb, "")
	if _, err := s.Search(ctx, SearchRequest{Query: "  "}); err == nil {
		t.Error("empty query: no error")
	}
	hits, err := s.Search(ctx, SearchRequest{Query: "无还本续贷", K: 0})
	if err != nil || len(hits) != 1 {
		t.Fatalf("K 0 → %d hits, %v; want 1", len(hits), err)
	}
	answered := hits[0].Score
	hits, err = s.Search(ctx, SearchRequest{Query: "明天会下雨吗", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) > 0 && hits[0].Score >= answered/2 {
		t.Errorf("unrelated question scores %v, answered one %v: want far lower", hits[0].Score, answered)
	}
}

func TestRegionPlaces(t *testing.T) {
	tests := []struct {
		region string
		want   []string
	}{
		{"天津市", []string{"天津"}},
		{"津", []string{"天津"}},
		{"北京市海淀区", []string{"海淀", "北京"}},
		{"铁岭市", []string{"铁岭", "辽宁"}},
		{"全国", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := regionPlaces(tt.region); !slices.Equal(got, tt.want) {
			t.Errorf("regionPlaces(%q) = %v, want %v", tt.region, got, tt.want)
		}
	}
}

func TestMentionedPlaces(t *testing.T) {
	tests := []struct {
		q     string
		known []string
		want  []string
	}{
		{"北京市对于复工复产有什么政策", nil, []string{"北京"}},
		{"天津如何优化特种设备检验", nil, []string{"天津"}},
		{"阜阳市如何扩大信贷投放", nil, []string{"阜阳"}},
		{"石景山区有哪些支持措施", []string{"石景山"}, []string{"石景山"}},
		{"小微企业贷款有什么支持", []string{"石景山"}, nil},
	}
	for _, tt := range tests {
		if got := mentionedPlaces(tt.q, tt.known); !slices.Equal(got, tt.want) {
			t.Errorf("mentionedPlaces(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSelectiveTerms(t *testing.T) {
	st := Stats{Clauses: 1000, DF: map[string]int{"企业": 900, "支持": 600, "续贷": 12, "本金": 30, "小微": 40, "首贷": 5}}
	tests := []struct {
		name  string
		terms []string
		want  []string
	}{
		{"RareOnlyRarestFirst", []string{"企业", "续贷", "小微", "本金", "首贷"}, []string{"首贷", "续贷", "本金", "小微"}},
		{"CommonKeptWhenTooFewRare", []string{"企业", "支持", "续贷"}, []string{"续贷", "支持", "企业"}},
		{"AbsentAndDuplicateDropped", []string{"签证", "续贷", "续贷"}, []string{"续贷"}},
		{"Nothing", []string{"签证"}, nil},
	}
	// At a million clauses the rare terms together still select too many:
	// the row budget keeps the rarest that fit; when none fits, the
	// lexical search is skipped (the vector search still proposes).
	big := Stats{Clauses: 1_000_000, DF: map[string]int{"企业": 918_927, "小微企业": 170_169, "续贷": 17_089, "业续": 1_501, "首贷": 3_000}}
	tests = append(tests, []struct {
		name  string
		terms []string
		want  []string
	}{
		{"RowBudget", []string{"小微企业", "业续", "续贷", "企业"}, []string{"业续", "续贷"}},
		{"RowBudgetFits", []string{"首贷", "业续", "续贷"}, []string{"业续", "首贷"}},
		{"RowBudgetNothingFits", []string{"企业", "小微企业"}, nil},
		// corpus-xl's size: the budget is 5,000 rows, not 20,000.
		{"RowBudgetReal", []string{"担保", "续贷", "首贷"}, []string{"首贷"}},
	}...)
	real := Stats{Clauses: 154_000, DF: map[string]int{"担保": 7_000, "续贷": 4_000, "首贷": 2_000}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := st
			if strings.HasPrefix(tt.name, "RowBudget") {
				st = big
			}
			if tt.name == "RowBudgetReal" {
				st = real
			}
			if got := selectiveTerms(tt.terms, st); !slices.Equal(got, tt.want) {
				t.Fatalf("selectiveTerms(%v) = %v, want %v", tt.terms, got, tt.want)
			}
		})
	}
}

// rendezvousStore answers a vector search only once a lexical search has
// started, and the other way round: searches run one after the other never
// meet.
type rendezvousStore struct {
	Store
	vec, lex chan struct{}
}

func (r *rendezvousStore) meet(mine, other chan struct{}) error {
	close(mine)
	select {
	case <-other:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the other search never started")
	}
}

func (r *rendezvousStore) VectorSearch(ctx context.Context, q Query) ([]Candidate, error) {
	return nil, r.meet(r.vec, r.lex)
}

func (r *rendezvousStore) LexicalSearch(ctx context.Context, q Query) ([]Candidate, error) {
	return nil, r.meet(r.lex, r.vec)
}

// Over a store that waits on a database the vector and lexical searches run
// at once.
func TestProposeConcurrently(t *testing.T) {
	st := &rendezvousStore{Store: NewMemoryStore(), vec: make(chan struct{}), lex: make(chan struct{})}
	s := NewSearcher(st, nil, "")
	lists, err := s.propose(context.Background(), []Query{{Terms: []string{"续贷"}, K: 5}})
	if err != nil || len(lists) != 2 {
		t.Fatalf("propose: %v, %d lists", err, len(lists))
	}
}

func TestLimitConcurrency(t *testing.T) {
	s := NewSearcher(NewMemoryStore(), nil, "")
	s.LimitConcurrency(1)
	s.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Search(ctx, SearchRequest{Query: "续贷", K: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a search waiting for a slot must end with its context, got %v", err)
	}
}
