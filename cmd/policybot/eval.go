package main

import (
	"context"
	"fmt"
	"strings"

	"policybot/answer"
	"policybot/policy"
	"policybot/retrieval"
)

// evalResult is what `policybot eval --json` prints: retrieval quality and
// what the answer service made of the same questions.
type evalResult struct {
	retrieval.EvalReport
	CorrectRefusals  int `json:"correct_refusals"`   // unanswerable questions refused
	FalseRefusals    int `json:"false_refusals"`     // answerable questions refused
	FirstCitationHit int `json:"first_citation_hit"` // answerable questions whose first citation is right
	// Answers measures the answers themselves (--answers).
	Answers *answer.AnswerReport `json:"answers,omitempty"`
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := e.flags("eval")
	region := fs.String("region", "", "asker region for every question (default: none)")
	asJSON := fs.Bool("json", false, "print JSON")
	answers := fs.Bool("answers", false, "measure the answers too: refused, hedged, gold span in the answer, length (see answer.AnswerReport)")
	misses := fs.Bool("misses", false, "with --answers, print the questions whose answer lacks the gold span")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: policybot eval FILE.jsonl [--region R] [--answers [--misses]] [--json]")
	}
	qs, err := retrieval.LoadEval(pos[0])
	if err != nil {
		return err
	}
	s, err := e.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.close()
	rep, err := retrieval.Evaluate(ctx, s.searcher, qs, *region)
	if err != nil {
		return err
	}
	res := evalResult{EvalReport: rep}
	if *answers {
		ar, err := answer.EvaluateAnswers(ctx, s.answers, qs, *region)
		if err != nil {
			return err
		}
		res.Answers = &ar
	}
	for _, q := range qs {
		ans, err := s.answers.Ask(ctx, answer.Request{Region: *region, Question: q.Q})
		if err != nil {
			return fmt.Errorf("eval: ask %q: %w", q.Q, err)
		}
		switch {
		case len(q.Gold) == 0 && !ans.Answered:
			res.CorrectRefusals++
		case len(q.Gold) > 0 && !ans.Answered:
			res.FalseRefusals++
		case len(q.Gold) > 0 && len(ans.Citations) > 0 && retrieval.Relevant(q, ans.Citations[0]):
			res.FirstCitationHit++
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprint(e.stdout, rep.String())
	fmt.Fprintf(e.stdout, "answers: first citation right %d/%d, answerable refused %d/%d, unanswerable refused %d/%d\n",
		res.FirstCitationHit, rep.Answerable, res.FalseRefusals, rep.Answerable, res.CorrectRefusals, rep.Unanswerable)
	if res.Answers != nil {
		fmt.Fprint(e.stdout, res.Answers.String())
		if *misses {
			for _, m := range res.Answers.Misses {
				fmt.Fprintf(e.stdout, "  %s: %s [gold %s]\n    %s\n", m.Kind, m.Q, policy.Clip(m.Gold, 30),
					strings.ReplaceAll(policy.Clip(m.Answer, 160), "\n", " "))
			}
		}
	}
	return nil
}
