package answer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"policybot/retrieval"
)

// Asker answers one question; *Service implements it.
type Asker interface {
	Ask(ctx context.Context, req Request) (Answer, error)
}

// AnswerReport is what `policybot eval --answers` measures of the answers
// themselves (retrieval.EvalReport measures the search under them).
type AnswerReport struct {
	Answerable   int `json:"answerable"`
	Unanswerable int `json:"unanswerable"`
	// Of the answerable questions: refused, answered with low confidence
	// (hedged), answered with high confidence.
	Refused  int `json:"refused"`
	Hedged   int `json:"hedged"`
	Answered int `json:"answered"`
	// GoldInAnswer counts answerable questions answered (hedged or not)
	// whose answer text contains a gold span, compared as the eval sets
	// compare clauses: without whitespace and punctuation.
	GoldInAnswer int `json:"gold_in_answer"`
	// UnanswerableAnswered counts questions without an answer in the corpus
	// that were answered anyway (hedged or not).
	UnanswerableAnswered int `json:"unanswerable_answered"`
	// Lengths of the answers given (runes), and citations per answer.
	MedianRunes  int          `json:"median_runes"`
	P90Runes     int          `json:"p90_runes"`
	MaxRunes     int          `json:"max_runes"`
	CitationsAvg float64      `json:"citations_per_answer"`
	Misses       []AnswerMiss `json:"misses,omitempty"`
}

// AnswerMiss is an answerable question whose answer lacks its gold span, or
// an unanswerable one that was answered.
type AnswerMiss struct {
	Q      string `json:"q"`
	Gold   string `json:"gold,omitempty"`
	Kind   string `json:"kind"` // refused, hedged-without-gold, answered-without-gold, answered-unanswerable
	Answer string `json:"answer"`
}

// EvaluateAnswers asks every question (each on its own, no session) and
// measures the answers.
func EvaluateAnswers(ctx context.Context, a Asker, qs []retrieval.EvalQuestion, region string) (AnswerReport, error) {
	var rep AnswerReport
	var lens []int
	citations := 0
	for _, q := range qs {
		ans, err := a.Ask(ctx, Request{Region: region, Question: q.Q})
		if err != nil {
			return rep, fmt.Errorf("eval answers: %q: %w", q.Q, err)
		}
		if ans.Answered {
			n := utf8.RuneCountInString(ans.Answer)
			lens = append(lens, n)
			citations += len(ans.Citations)
		}
		miss := func(kind string) {
			gold := ""
			if len(q.Gold) > 0 {
				gold = q.Gold[0]
			}
			rep.Misses = append(rep.Misses, AnswerMiss{Q: q.Q, Gold: gold, Kind: kind, Answer: ans.Answer})
		}
		if len(q.Gold) == 0 {
			rep.Unanswerable++
			if ans.Answered {
				rep.UnanswerableAnswered++
				miss("answered-unanswerable")
			}
			continue
		}
		rep.Answerable++
		switch {
		case !ans.Answered:
			rep.Refused++
			miss("refused")
			continue
		case ans.Confidence == ConfidenceLow:
			rep.Hedged++
		default:
			rep.Answered++
		}
		if ContainsGold(ans.Answer, q.Gold) || goldAfterHeading(ans, q.Gold) {
			rep.GoldInAnswer++
		} else if ans.Confidence == ConfidenceLow {
			miss("hedged-without-gold")
		} else {
			miss("answered-without-gold")
		}
	}
	if len(lens) > 0 {
		slices.Sort(lens)
		rep.MedianRunes = lens[len(lens)/2]
		rep.P90Runes = lens[min(len(lens)-1, len(lens)*9/10)]
		rep.MaxRunes = lens[len(lens)-1]
		rep.CitationsAvg = float64(citations) / float64(len(lens))
	}
	return rep, nil
}

// ContainsGold reports whether an answer contains one of the gold spans,
// both without whitespace and punctuation. A span that opens with its
// clause's label (6.建立…) also counts without it: answers quote the text.
func ContainsGold(answer string, gold []string) bool {
	text := retrieval.Squash(answer)
	for _, g := range gold {
		g = retrieval.Squash(g)
		if g == "" {
			continue
		}
		if strings.Contains(text, g) {
			return true
		}
		if rest := strings.TrimLeftFunc(g, func(r rune) bool {
			return unicode.IsDigit(r) || strings.ContainsRune("一二三四五六七八九十第条", r)
		}); rest != g && utf8.RuneCountInString(rest) >= 4 && strings.Contains(text, rest) {
			return true
		}
	}
	return false
}

// goldAfterHeading reports whether a gold span that runs from a cited
// clause's label and heading into its text (the eval sets compare a clause
// as label + heading + text) is in the answer: the heading in the citation
// line, the rest in the quote.
func goldAfterHeading(ans Answer, gold []string) bool {
	text := retrieval.Squash(ans.Answer)
	for _, c := range ans.Citations {
		head := retrieval.Squash(c.Clause.Label + c.Clause.Title)
		if head == "" {
			continue
		}
		for _, g := range gold {
			g = retrieval.Squash(g)
			// The span may start anywhere in the heading: its part in
			// the heading must end it, the rest must be quoted.
			for k := range g {
				if k == 0 {
					continue
				}
				rest := g[k:]
				if strings.HasSuffix(head, g[:k]) && utf8.RuneCountInString(rest) >= 4 && strings.Contains(text, rest) {
					return true
				}
			}
		}
	}
	return false
}

// String summarises the report for `policybot eval --answers`.
func (r AnswerReport) String() string {
	var b strings.Builder
	pct := func(n, d int) string {
		if d == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
	}
	fmt.Fprintf(&b, "answers: answerable %d: refused %d (%s), hedged %d (%s), answered %d; gold span in answer %d (%.3f)\n",
		r.Answerable, r.Refused, pct(r.Refused, r.Answerable), r.Hedged, pct(r.Hedged, r.Answerable), r.Answered,
		r.GoldInAnswer, ratio(r.GoldInAnswer, r.Answerable))
	fmt.Fprintf(&b, "answers: unanswerable %d answered %d (%s); length median %d p90 %d max %d runes; %.2f citations per answer\n",
		r.Unanswerable, r.UnanswerableAnswered, pct(r.UnanswerableAnswered, r.Unanswerable), r.MedianRunes, r.P90Runes, r.MaxRunes, r.CitationsAvg)
	return b.String()
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
