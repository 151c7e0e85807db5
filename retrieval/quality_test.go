package retrieval

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"policybot/testenv"
	"slices"
	"sync"
	"testing"
	"time"

	"policybot/embeddings"
	"policybot/seeds"
	"policybot/segment"
)

// evalDay is "today" for the tests over the real corpus.
var evalDay = time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)

// corpusOverrides are the validity overrides of the shared corpus searcher
// (the tests that set one remove it again).
var corpusOverrides = &MemoryOverrides{}

// evalDims is the local embedder's dimension the figures below were measured with.
const evalDims = 1024

var (
	corpusOnce     sync.Once
	corpusSearcher *Searcher
	corpusReport   Report
	corpusErr      error
)

// corpus loads the embedded seeds and all of shared/corpus into a
// MemoryStore once per test binary.
func corpus(tb testing.TB) (*Searcher, Report) {
	tb.Helper()
	shared := testenv.Shared(tb)
	corpusOnce.Do(func() {
		ctx := context.Background()
		store := NewMemoryStore()
		emb := embeddings.NewLocal(evalDims)
		in := &Ingester{Store: store, Embedder: emb}
		r1, err := in.IngestFS(ctx, seeds.Documents, ".")
		if err != nil {
			corpusErr = err
			return
		}
		r2, err := in.IngestPaths(ctx, filepath.Join(shared, "corpus"))
		if err != nil {
			corpusErr = err
			return
		}
		corpusReport = Report{
			Documents: r1.Documents + r2.Documents, Clauses: r1.Clauses + r2.Clauses,
			Embedded: r1.Embedded + r2.Embedded, Failed: append(r1.Failed, r2.Failed...),
		}
		corpusSearcher = NewSearcher(store, emb, "")
		// Validity reorders near-ties: the figures are measured as of a fixed day.
		corpusSearcher.SetClock(func() time.Time { return evalDay })
		corpusSearcher.SetOverrides(corpusOverrides)
	})
	if corpusErr != nil {
		tb.Fatal(corpusErr)
	}
	return corpusSearcher, corpusReport
}

func TestQuality(t *testing.T) {
	s, rep := corpus(t)
	t.Logf("corpus: %s", rep)
	for _, err := range rep.Failed {
		t.Errorf("ingest: %v", err)
	}
	shared := testenv.Shared(t)
	tests := []struct {
		name             string
		path             string
		region           string // asker's region for lines that name none
		minHit1, minHit3 float64
	}{
		// Issue 3's targets: dev 0.90/0.97 (met: 0.929/1.000); external-dev
		// 0.80/0.93 (met: 0.800/0.933 since the section context; 0.900
		// before).
		{"dev", filepath.Join(shared, "eval", "dev.jsonl"), "天津市", 0.90, 0.97},
		{"external-dev", filepath.Join(shared, "eval", "external-dev.jsonl"), "", 0.80, 0.93},
		// Our own questions over documents the dev sets do not cover
		// (testdata/validation.jsonl, 37 answerable, 4 not); measured
		// 0.838/0.973 (0.676/0.865 before the concept scorer), floors a
		// question under.
		{"validation", filepath.Join("testdata", "validation.jsonl"), "", 0.81, 0.94},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := loadRegional(tt.path, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			var total EvalReport
			for region, qs := range groups {
				r, err := Evaluate(context.Background(), s, qs, region)
				if err != nil {
					t.Fatal(err)
				}
				total = mergeReports(total, r)
			}
			t.Logf("%s:\n%s", tt.name, total)
			if total.Hit1 < tt.minHit1 || total.Hit3 < tt.minHit3 {
				t.Errorf("hit@1 %.3f hit@3 %.3f, want ≥ %.2f and ≥ %.2f", total.Hit1, total.Hit3, tt.minHit1, tt.minHit3)
			}
			if total.Unanswerable > 0 && len(total.AnswerableScores) > 0 {
				// The answer service refuses below a fixed score: the
				// unanswerable questions must stay under what right answers
				// usually get (measured: ≤ 0.25 against a 0.64 median).
				if worst := total.UnanswerableScores[len(total.UnanswerableScores)-1]; worst >= 0.3 {
					t.Errorf("an unanswerable question scores %.3f", worst)
				}
			}
		})
	}
}

// regionalQuestion is an evaluation line that may name the asker's region,
// as the validation set's lines do ("region": "天津市").
type regionalQuestion struct {
	EvalQuestion
	Region string `json:"region"`
}

// loadRegional reads an evaluation file and groups its questions by the
// region they are asked from (def for lines naming none).
func loadRegional(path, def string) (map[string][]EvalQuestion, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	qs, err := ReadEval(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	groups := map[string][]EvalQuestion{}
	i := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rq regionalQuestion
		if err := json.Unmarshal(line, &rq); err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		region := cmp.Or(rq.Region, def)
		groups[region] = append(groups[region], qs[i])
		i++
	}
	return groups, nil
}

// mergeReports combines the reports of two disjoint question sets.
func mergeReports(a, b EvalReport) EvalReport {
	n := a.Answerable + b.Answerable
	out := EvalReport{
		Answerable:         n,
		Unanswerable:       a.Unanswerable + b.Unanswerable,
		Misses:             append(slices.Clip(a.Misses), b.Misses...),
		AnswerableScores:   append(slices.Clip(a.AnswerableScores), b.AnswerableScores...),
		UnanswerableScores: append(slices.Clip(a.UnanswerableScores), b.UnanswerableScores...),
	}
	if n > 0 {
		wa, wb := float64(a.Answerable), float64(b.Answerable)
		out.Hit1 = (a.Hit1*wa + b.Hit1*wb) / float64(n)
		out.Hit3 = (a.Hit3*wa + b.Hit3*wb) / float64(n)
		out.MRR10 = (a.MRR10*wa + b.MRR10*wb) / float64(n)
	}
	slices.Sort(out.AnswerableScores)
	slices.Sort(out.UnanswerableScores)
	return out
}

func BenchmarkSearch(b *testing.B) {
	s, _ := corpus(b)
	qs, err := LoadEval(filepath.Join(testenv.Shared(b), "eval", "dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	ext, err := LoadEval(filepath.Join(testenv.Shared(b), "eval", "external-dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	qs = append(qs, ext...)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Search(ctx, SearchRequest{Query: qs[i%len(qs)].Q, Region: "天津市", K: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConceptScorer pins the concept score's properties on hand-made
// statistics: distinct concepts beat repeats, junk bigrams across concept
// boundaries earn nothing, title and path matches count partially, a
// synonym counts half.
func TestConceptScorer(t *testing.T) {
	lex := segment.Default()
	concepts := lex.Concepts("企业社保方面有哪些减免措施")
	var terms []string
	for _, c := range concepts {
		terms = append(terms, c.Terms...)
		for _, syn := range c.Synonyms {
			terms = append(terms, syn...)
		}
	}
	st := Stats{Clauses: 1000, AvgLen: 20, DF: map[string]int{}}
	for _, term := range terms {
		st.DF[term] = 50
	}
	st.DF["业社"] = 2 // a rare bigram across two concepts
	tc := newTermCounter()
	sc := newConceptScorer(concepts, st, tc)
	score := func(text, title, path, context string) float64 {
		tc.count(segment.Terms(title+"\n"+path+"\n"+text), segment.Terms(title), segment.Terms(path), segment.Terms(context))
		return sc.score(tc)
	}
	tests := []struct {
		name          string
		better, worse [4]string // clause text, document title, heading path, section context
	}{
		{"distinct concepts beat repeats", [4]string{"企业社保减免措施", "", ""}, [4]string{"社保社保社保社保社保", "", ""}},
		{"own text beats title only", [4]string{"社保减免", "", ""}, [4]string{"减免", "社保通知", ""}},
		{"title beats nothing", [4]string{"减免", "社保通知", ""}, [4]string{"减免", "通知", ""}},
		{"own text beats path only", [4]string{"社保减免", "", ""}, [4]string{"减免", "", "社保"}},
		{"own text beats context only", [4]string{"社保减免", "", ""}, [4]string{"减免", "", "", "社保"}},
		{"context beats nothing", [4]string{"减免", "", "", "社保"}, [4]string{"减免", "", ""}},
		{"word beats its synonym", [4]string{"社保减免", "", ""}, [4]string{"社会保险费减免", "", ""}},
		{"synonym beats nothing", [4]string{"社会保险费减免", "", ""}, [4]string{"住房减免", "", ""}},
		{"junk bigram earns nothing", [4]string{"企业，社保", "", ""}, [4]string{"业社", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, w := score(tt.better[0], tt.better[1], tt.better[2], tt.better[3]), score(tt.worse[0], tt.worse[1], tt.worse[2], tt.worse[3])
			if b <= w || b < 0 || b > 1 || w < 0 {
				t.Errorf("score %v ≤ %v, want more, both in [0, 1]", b, w)
			}
		})
	}
	if got := score("业社", "", "", ""); got != 0 {
		t.Errorf("a clause holding only the cross-concept bigram scores %v, want 0", got)
	}
}
