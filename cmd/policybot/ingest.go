package main

import (
	"context"
	"fmt"
)

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := e.flags("ingest")
	reembed := fs.Bool("reembed", false, "embed every clause again (after changing the embedding model)")
	prune := fs.Bool("prune", false, "remove stored documents that are no longer in the given folders")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	s, err := e.open(ctx, false)
	if err != nil {
		return err
	}
	defer s.close()
	if len(paths) == 0 {
		paths = s.cfg.Corpus
	}
	if s.cfg.Store == "memory" {
		fmt.Fprintln(e.stderr, "note: store is memory: the result is not kept (set POLICYBOT_STORE=postgres)")
	}
	rep, err := s.ingest(ctx, paths, ingestOptions{reembed: *reembed, prune: *prune})
	for _, f := range rep.Failed {
		fmt.Fprintln(e.stderr, "failed:", f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, rep.String())
	if len(rep.Failed) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d documents failed", len(rep.Failed))}
	}
	return nil
}
