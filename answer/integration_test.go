package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"policybot/testenv"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"policybot/embeddings"
	"policybot/retrieval"
	"policybot/seeds"
	"policybot/segment"
	"policybot/state"
)

var (
	stackOnce sync.Once
	stackErr  error
	stackSrch *retrieval.Searcher
)

// realSearcher ingests the seed corpus and shared/corpus into a memory store
// with the local embedder, once per test binary.
func realSearcher(t *testing.T) *retrieval.Searcher {
	t.Helper()
	shared := testenv.Shared(t)
	if testing.Short() {
		t.Skip("ingests the whole corpus")
	}
	stackOnce.Do(func() {
		ctx := context.Background()
		store := retrieval.NewMemoryStore()
		emb := embeddings.NewLocal(0)
		in := &retrieval.Ingester{Store: store, Embedder: emb}
		if _, stackErr = in.IngestFS(ctx, seeds.Documents, "."); stackErr != nil {
			return
		}
		if _, stackErr = in.IngestPaths(ctx, filepath.Join(shared, "corpus")); stackErr != nil {
			return
		}
		// No default region: each request names its own.
		stackSrch = retrieval.NewSearcher(store, emb, "")
		stackSrch.SetClock(func() time.Time { return time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC) })
	})
	if stackErr != nil {
		t.Fatalf("build stack: %v", stackErr)
	}
	return stackSrch
}

type evalCase struct {
	Q    string   `json:"q"`
	Gold []string `json:"gold"`
	Doc  string   `json:"doc"`
}

func readEval(t *testing.T, path string) []evalCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []evalCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// isGold applies eval/README.md: the clause text, whitespace removed,
// contains a gold substring, and the title contains doc. Both sides are
// normalised so that （ and ( compare equal.
func (c evalCase) isGold(h retrieval.Hit) bool {
	text := segment.Normalize(strings.Join(strings.Fields(h.Clause.Text), ""))
	if c.Doc != "" && !strings.Contains(h.Document.Title, c.Doc) {
		return false
	}
	for _, g := range c.Gold {
		if strings.Contains(text, segment.Normalize(strings.Join(strings.Fields(g), ""))) {
			return true
		}
	}
	return false
}

func TestIntegrationExample(t *testing.T) {
	srch := realSearcher(t)
	st := state.NewMemory()
	svc := New(Config{Searcher: srch, Sessions: st, Recorder: st, DefaultRegion: "天津市", Logger: quietLogger()})

	ans := mustAsk(t, svc, "openid-1", "小微企业续贷怎么办")
	if !ans.Answered || len(ans.Citations) == 0 {
		t.Fatalf("not answered:\n%s", ans.Answer)
	}
	c := ans.Citations[0].Clause
	assertContains(t, ans.Answer, "无还本续贷", "天津市提升中小企业竞争力若干措施》", "津中小企组〔2022〕2号", "加强信贷支持",
		"人民银行天津分行、天津银保监局、市金融局、市财政局、市工业和信息化局、市知识产权局、国家开发银行天津分行")
	if !strings.Contains(segment.Normalize(c.Label), "(四)") || len(c.Agencies) != 7 {
		t.Errorf("first citation %q %q with %d agencies, want （四） with 7", c.Label, c.Title, len(c.Agencies))
	}
	assertContains(t, ans.Answer, c.Label+c.Title)
	t.Logf("小微企业续贷怎么办 →\n%s", ans.Answer)

	follow := mustAsk(t, svc, "openid-1", "那找哪个部门办理？")
	if !follow.Answered {
		t.Fatalf("follow-up not answered:\n%s", follow.Answer)
	}
	assertContains(t, follow.Answer, strings.Join(c.Agencies, "、"), "天津市提升中小企业竞争力若干措施", c.Label+c.Title)
	t.Logf("那找哪个部门办理？ →\n%s", follow.Answer)
}

// evalFigures are the measured rates of one question set.
type evalFigures struct {
	answerable, unanswerable int
	searchHit1, citeHit1     int
	searchHit3, citeAny      int // gold in the top 3 hits; gold among the answer's citations
	citations                int // in all answers to answerable questions
	refusedAnswerable        int
	refusedUnanswerable      int
	unanswerableBest         []float64 // best hit scores of the unanswerable questions
	answerableMinBest        float64   // lowest best hit score of an answerable question
}

func runEval(t *testing.T, svc *Service, srch *retrieval.Searcher, cases []evalCase, region string) evalFigures {
	t.Helper()
	ctx := context.Background()
	var f evalFigures
	for _, c := range cases {
		hits, err := srch.Search(ctx, retrieval.SearchRequest{Query: c.Q, Region: region, K: DefaultK})
		if err != nil {
			t.Fatal(err)
		}
		ans, err := svc.Ask(ctx, Request{Region: region, Question: c.Q})
		if err != nil {
			t.Fatal(err)
		}
		best := 0.0
		if len(hits) > 0 {
			best = hits[0].Score
		}
		if len(c.Gold) == 0 {
			f.unanswerable++
			f.unanswerableBest = append(f.unanswerableBest, best)
			if !ans.Answered {
				f.refusedUnanswerable++
			} else {
				t.Errorf("unanswerable %q answered (best %.3f):\n%s", c.Q, best, ans.Answer)
			}
			continue
		}
		if f.answerable == 0 || best < f.answerableMinBest {
			f.answerableMinBest = best
		}
		f.answerable++
		if len(hits) > 0 && c.isGold(hits[0]) {
			f.searchHit1++
		}
		if slices.ContainsFunc(hits[:min(3, len(hits))], c.isGold) {
			f.searchHit3++
		}
		if !ans.Answered {
			f.refusedAnswerable++
			t.Logf("refused answerable %q (best %.3f)", c.Q, best)
			continue
		}
		f.citations += len(ans.Citations)
		if slices.ContainsFunc(ans.Citations, c.isGold) {
			f.citeAny++
		}
		if g := ans.Citations[0]; c.isGold(g) {
			f.citeHit1++
			for _, w := range append([]string{g.Document.Title, g.Document.Number}, g.Clause.Agencies...) {
				if !strings.Contains(ans.Answer, w) {
					t.Errorf("%q: answer lacks %q of the gold clause", c.Q, w)
					break
				}
			}
		} else {
			t.Logf("first citation not gold for %q: %s %s (%.3f)", c.Q, g.Document.Title, clauseRef(g.Clause), g.Score)
		}
	}
	return f
}

func TestIntegrationEval(t *testing.T) {
	srch := realSearcher(t)
	shared := testenv.Shared(t)
	// minCited: answers citing the gold clause, a question under the
	// measured 27, 24 and 32 (26, 22 and 29 when an answer cited one clause
	// per document).
	tests := []struct {
		file, region string
		minCited     int
	}{
		{"dev.jsonl", "天津市", 26},
		{"external-dev.jsonl", "", 23},
		// Our own questions over documents the dev sets do not cover, with
		// out-of-corpus topics that share generic words with the corpus.
		{"validation.jsonl", "", 31},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			svc := New(Config{Searcher: srch, Recorder: state.NewMemory(), DefaultRegion: tt.region, Logger: quietLogger()})
			f := runEval(t, svc, srch, readEval(t, evalPath(shared, tt.file)), tt.region)
			t.Logf("%s: %d answerable: search hit@1 %d, first citation gold %d, search hit@3 %d, gold cited %d (%d citations), refused %d, lowest best score %.3f; %d of %d unanswerable refused (best scores %.3f)",
				tt.file, f.answerable, f.searchHit1, f.citeHit1, f.searchHit3, f.citeAny, f.citations, f.refusedAnswerable, f.answerableMinBest,
				f.refusedUnanswerable, f.unanswerable, f.unanswerableBest)
			if f.citeAny < tt.minCited {
				t.Errorf("gold clause cited in %d answers, want ≥ %d", f.citeAny, tt.minCited)
			}
			if f.citeHit1 < f.searchHit1 {
				t.Errorf("first citation gold %d times, search hit@1 %d", f.citeHit1, f.searchHit1)
			}
			if f.refusedUnanswerable != f.unanswerable {
				t.Errorf("refused %d of %d unanswerable", f.refusedUnanswerable, f.unanswerable)
			}
			if float64(f.refusedAnswerable) > 0.05*float64(f.answerable) {
				t.Errorf("refused %d of %d answerable (> 5%%)", f.refusedAnswerable, f.answerable)
			}
		})
	}
}

// evalPath finds a question file: the repo's own validation set, or a shared dev set.
func evalPath(shared, file string) string {
	if file == "validation.jsonl" {
		return filepath.Join("..", "retrieval", "testdata", file)
	}
	return filepath.Join(shared, "eval", file)
}
