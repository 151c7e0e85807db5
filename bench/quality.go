package bench

import (
	"context"
	"fmt"
	"slices"

	"policybot/bench/synth"
	"policybot/retrieval"
)

// Quality is retrieval quality over one question set with distractors present.
type Quality struct {
	Answerable int
	Hit1, Hit3 float64 // a hit counts only when it is a real (not synthetic) document's clause
	// SyntheticTop counts answerable questions whose first hit is synthetic.
	SyntheticTop int
	// Displaced lists the answerable questions whose first hit is
	// synthetic: the question, then that hit's document title and text.
	Displaced []string
}

func (q Quality) String() string {
	return fmt.Sprintf("answerable %d: hit@1 %.3f hit@3 %.3f (synthetic first hit: %d)", q.Answerable, q.Hit1, q.Hit3, q.SyntheticTop)
}

// Evaluate scores qs like retrieval.Evaluate, except that a synthetic
// clause never counts as the right one: recombined phrases can contain a
// gold substring without being the clause the question is about.
func Evaluate(ctx context.Context, s *retrieval.Searcher, qs []retrieval.EvalQuestion, region string) (Quality, error) {
	var r Quality
	for _, q := range qs {
		if len(q.Gold) == 0 {
			continue
		}
		hits, err := s.Search(ctx, retrieval.SearchRequest{Query: q.Q, Region: region, K: 10})
		if err != nil {
			return r, fmt.Errorf("bench evaluate %q: %w", q.Q, err)
		}
		r.Answerable++
		gold := slices.IndexFunc(hits, func(h retrieval.Hit) bool {
			return !synth.IsSynthetic(h.Document.ID) && retrieval.Relevant(q, h)
		})
		if len(hits) > 0 && synth.IsSynthetic(hits[0].Document.ID) {
			r.SyntheticTop++
			text := []rune(hits[0].Clause.Text)
			where := "not in the top 10"
			if gold >= 0 {
				where = fmt.Sprintf("rank %d, score %.3f", gold+1, hits[gold].Score)
			}
			r.Displaced = append(r.Displaced, fmt.Sprintf("%s → %.3f 《%s》 %s (the real answer: %s)",
				q.Q, hits[0].Score, hits[0].Document.Title, string(text[:min(len(text), 80)]), where))
		}
		for i, h := range hits[:min(3, len(hits))] {
			if !synth.IsSynthetic(h.Document.ID) && retrieval.Relevant(q, h) {
				if i == 0 {
					r.Hit1++
				}
				r.Hit3++
				break
			}
		}
	}
	if r.Answerable > 0 {
		r.Hit1 /= float64(r.Answerable)
		r.Hit3 /= float64(r.Answerable)
	}
	return r, nil
}
