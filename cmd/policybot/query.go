package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"policybot/answer"
	"policybot/retrieval"
	"policybot/web"
)

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := e.flags("search")
	asJSON := fs.Bool("json", false, "print JSON as /api/search does")
	k := fs.Int("k", web.DefaultK, "number of hits (1..50)")
	region := fs.String("region", "", "asker region (default: POLICYBOT_REGION)")
	q, s, err := e.openForQuestion(ctx, fs, args, "usage: policybot search [--json] [-k N] [--region R] QUERY")
	if err != nil {
		return err
	}
	defer s.close()
	hits, err := s.searcher.Search(ctx, retrieval.SearchRequest{Query: q, Region: *region, K: min(max(*k, 1), web.MaxK)})
	if err != nil {
		return err
	}
	if *asJSON {
		if hits == nil {
			hits = []retrieval.Hit{}
		}
		return writeJSON(e.stdout, map[string]any{"query": q, "hits": hits})
	}
	if len(hits) == 0 {
		fmt.Fprintln(e.stdout, "no matching clause")
	}
	for i, h := range hits {
		printHit(e.stdout, i+1, h)
	}
	return nil
}

// openForQuestion parses the flags, takes the positional arguments as the
// question (usage when there is none) and opens the stack with the corpus.
func (e *env) openForQuestion(ctx context.Context, fs *flag.FlagSet, args []string, usage string) (string, *stack, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", nil, err
	}
	q := strings.TrimSpace(strings.Join(pos, " "))
	if q == "" {
		return "", nil, usageError("%s", usage)
	}
	s, err := e.open(ctx, true)
	if err != nil {
		return "", nil, err
	}
	return q, s, nil
}

func printHit(w io.Writer, n int, h retrieval.Hit) {
	num := ""
	if h.Document.Number != "" {
		num = " " + h.Document.Number
	}
	fmt.Fprintf(w, "%d. [%.3f] 《%s》%s %s\n", n, h.Score, h.Document.Title, num, h.Document.Region)
	fmt.Fprintf(w, "   %s\n", strings.Join(h.Clause.Path, " › "))
	text := []rune(h.Clause.Text)
	if len(text) > 160 {
		text = append(text[:160], '…')
	}
	fmt.Fprintf(w, "   %s\n", string(text))
	if len(h.Clause.Agencies) > 0 {
		fmt.Fprintf(w, "   责任单位：%s\n", strings.Join(h.Clause.Agencies, "、"))
	}
}

func runAsk(ctx context.Context, e *env, args []string) error {
	fs := e.flags("ask")
	asJSON := fs.Bool("json", false, "print JSON as /api/ask does")
	session := fs.String("session", "", "conversation id (follow-ups need the same one)")
	region := fs.String("region", "", "asker region (default: POLICYBOT_REGION)")
	q, s, err := e.openForQuestion(ctx, fs, args, "usage: policybot ask [--json] [--session S] [--region R] QUESTION")
	if err != nil {
		return err
	}
	defer s.close()
	ans, err := s.answers.Ask(ctx, answer.Request{Session: *session, Region: *region, Question: q})
	if err != nil {
		return err
	}
	if *asJSON {
		if ans.Citations == nil {
			ans.Citations = []retrieval.Hit{}
		}
		return writeJSON(e.stdout, ans)
	}
	fmt.Fprintln(e.stdout, ans.Answer)
	return nil
}

// open loads the configuration, the logger and the stack.
func (e *env) open(ctx context.Context, loadCorpus bool) (*stack, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	// Commands print their results on stdout; logs go to stderr, quiet unless asked.
	if e.getenv("POLICYBOT_LOG_LEVEL") == "" {
		cfg.LogLevel = "warn"
	}
	return openStack(ctx, cfg, newLogger(cfg, e.stderr), loadCorpus)
}
