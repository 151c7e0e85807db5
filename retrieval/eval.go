package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"

	"policybot/policy"
	"policybot/segment"
)

// EvalQuestion is one line of an evaluation file (../shared/eval/README.md):
// a question, substrings of the right clause (none: the corpus has no answer)
// and optionally a substring of the right document's title or its ID.
type EvalQuestion struct {
	Q     string   `json:"q"`
	Gold  []string `json:"gold"`
	Doc   string   `json:"doc,omitempty"`
	DocID string   `json:"doc_id,omitempty"`
}

// ReadEval reads an evaluation file: one JSON object a line, blank lines skipped.
func ReadEval(r io.Reader) ([]EvalQuestion, error) {
	var qs []EvalQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q EvalQuestion
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("read eval: line %d: %w", n, err)
		}
		if strings.TrimSpace(q.Q) == "" {
			return nil, fmt.Errorf("read eval: line %d: empty question", n)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read eval: %w", err)
	}
	return qs, nil
}

// LoadEval reads the evaluation file at path.
func LoadEval(path string) ([]EvalQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load eval: %w", err)
	}
	defer f.Close()
	return ReadEval(f)
}

// EvalMiss is an answerable question whose right clause was not ranked first.
type EvalMiss struct {
	Question string   `json:"question"`
	Expected []string `json:"expected"`
	Doc      string   `json:"doc,omitempty"`
	Rank     int      `json:"rank"` // 1-based rank of the first right hit within 10; 0: not found
	Got      []string `json:"got"`  // the top hits: score, document title, label, start of text
}

// EvalReport holds retrieval quality over a question set. Hit@1, Hit@3 and
// MRR@10 are over answerable questions. The best-score figures compare the
// top hit's Score of answerable and unanswerable questions, to choose the
// answer service's refusal threshold.
type EvalReport struct {
	Answerable   int        `json:"answerable"`
	Unanswerable int        `json:"unanswerable"`
	Hit1         float64    `json:"hit1"`
	Hit3         float64    `json:"hit3"`
	MRR10        float64    `json:"mrr10"`
	Misses       []EvalMiss `json:"misses"`
	// Top-hit scores: of answerable questions answered right at rank 1, and
	// of unanswerable questions.
	AnswerableScores   []float64 `json:"answerable_scores"`
	UnanswerableScores []float64 `json:"unanswerable_scores"`
}

// evalDepth is how deep a right clause still counts (MRR@10).
const evalDepth = 10

// Evaluate runs every question through s, asked from region.
func Evaluate(ctx context.Context, s *Searcher, qs []EvalQuestion, region string) (EvalReport, error) {
	var r EvalReport
	for _, q := range qs {
		hits, err := s.Search(ctx, SearchRequest{Query: q.Q, Region: region, K: evalDepth})
		if err != nil {
			return r, fmt.Errorf("evaluate %q: %w", q.Q, err)
		}
		if len(q.Gold) == 0 {
			r.Unanswerable++
			best := 0.0
			if len(hits) > 0 {
				best = hits[0].Score
			}
			r.UnanswerableScores = append(r.UnanswerableScores, best)
			continue
		}
		r.Answerable++
		rank := 0
		for i, h := range hits {
			if Relevant(q, h) {
				rank = i + 1
				break
			}
		}
		if rank > 0 {
			r.MRR10 += 1 / float64(rank)
		}
		if rank == 1 {
			r.Hit1++
			r.AnswerableScores = append(r.AnswerableScores, hits[0].Score)
		} else {
			m := EvalMiss{Question: q.Q, Expected: q.Gold, Doc: q.Doc, Rank: rank}
			for _, h := range hits[:min(3, len(hits))] {
				m.Got = append(m.Got, fmt.Sprintf("%.3f 《%s》 %s %s", h.Score, h.Document.Title, h.Clause.Label, policy.Clip(h.Clause.Text, 40)))
			}
			r.Misses = append(r.Misses, m)
		}
		if rank >= 1 && rank <= 3 {
			r.Hit3++
		}
	}
	if r.Answerable > 0 {
		n := float64(r.Answerable)
		r.Hit1 /= n
		r.Hit3 /= n
		r.MRR10 /= n
	}
	slices.Sort(r.AnswerableScores)
	slices.Sort(r.UnanswerableScores)
	return r, nil
}

// Relevant reports whether h answers q by the eval rule: the clause as
// printed — label, title and text, white space removed, full-width forms
// folded — contains a gold substring and, when q names a document, its title
// contains that. The label counts because a gold span copied from the
// document starts with it (3.对疫情防控…) when the answer is a numbered item.
func Relevant(q EvalQuestion, h Hit) bool {
	if q.Doc != "" && !strings.Contains(h.Document.Title, q.Doc) {
		return false
	}
	if q.DocID != "" && h.Document.ID != q.DocID {
		return false
	}
	text := Squash(h.Clause.Label + h.Clause.Title + h.Clause.Text)
	for _, g := range q.Gold {
		if g = Squash(g); g != "" && strings.Contains(text, g) {
			return true
		}
	}
	return false
}

// Squash is s as the eval sets compare it: normalised, without whitespace
// and punctuation.
func Squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, segment.Normalize(s))
}

// String summarises the report with its misses, for `policybot eval`.
func (r EvalReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "answerable %d: hit@1 %.3f  hit@3 %.3f  MRR@10 %.3f\n", r.Answerable, r.Hit1, r.Hit3, r.MRR10)
	if n := len(r.AnswerableScores); n > 0 {
		fmt.Fprintf(&b, "top score, answered right: min %.3f  median %.3f\n", r.AnswerableScores[0], r.AnswerableScores[n/2])
	}
	if n := len(r.UnanswerableScores); n > 0 {
		fmt.Fprintf(&b, "top score, unanswerable (%d): max %.3f  median %.3f\n", n, r.UnanswerableScores[n-1], r.UnanswerableScores[n/2])
	}
	for _, m := range r.Misses {
		fmt.Fprintf(&b, "miss (rank %d): %s\n  expected %q", m.Rank, m.Question, m.Expected)
		if m.Doc != "" {
			fmt.Fprintf(&b, " in 《%s》", m.Doc)
		}
		b.WriteByte('\n')
		for _, g := range m.Got {
			fmt.Fprintf(&b, "  got %s\n", g)
		}
	}
	return b.String()
}
