package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"policybot/answer"
	"policybot/bench"
	"policybot/retrieval"
)

// evalSet is one question file of ../shared/eval and the region it is asked from.
type evalSet struct{ file, region string }

// realSets are the development sets, each with its region (dev is asked from Tianjin).
var realSets = []evalSet{{"dev.jsonl", "天津市"}, {"external-dev.jsonl", ""}, {"xl-dev.jsonl", ""}}

// benchReal loads the real corpus the way serve does (seeds + corpus, and
// corpus-xl unless --xl=false) into the configured store, then prints the
// start-up time, the resident memory, search latency over every question of
// the development sets and their quality:
//
//	policybot bench real [--xl=false] [--answers] [--misses]
//
// With POLICYBOT_STORE=postgres it ingests into POLICYBOT_DATABASE_URL first
// (timed, index builds included) and then searches the database.
func benchReal(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("real")
	xl := fs.Bool("xl", true, "load corpus-xl beside seeds and corpus")
	answers := fs.Bool("answers", false, "ask every question through the answer service too and count refusals")
	misses := fs.Bool("misses", false, "print the questions missed at rank 3")
	runs := fs.Int("runs", 3, "timed passes over the questions for latency (medians are reported)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile after the load to this file")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	shared, err := f.sharedDir()
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	cfg.Corpus = []string{filepath.Join(shared, "seeds"), filepath.Join(shared, "corpus")}
	if *xl {
		cfg.Corpus = append(cfg.Corpus, filepath.Join(shared, "corpus-xl"))
	}
	if e.getenv("POLICYBOT_LOG_LEVEL") == "" {
		cfg.LogLevel = "warn"
	}
	log := newLogger(cfg, e.stderr)
	before := bench.RSS()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	s, err := openStack(ctx, cfg, log, true)
	defer pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	defer s.close()
	if cfg.Store == "postgres" {
		rep, err := s.ingest(ctx, cfg.Corpus, ingestOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "ingest: %s in %s\n", rep, time.Since(start).Round(time.Millisecond))
		for _, f := range rep.Failed {
			fmt.Fprintf(e.stdout, "  failed: %v\n", f)
		}
	}
	docs, err := s.store.Documents(ctx)
	if err != nil {
		return err
	}
	clauses := 0
	for _, d := range docs {
		clauses += d.ClauseCount
	}
	fmt.Fprintf(e.stdout, "store %s: %d documents, %d clauses, ready in %s\n", cfg.Store, len(docs), clauses, time.Since(start).Round(time.Millisecond))
	// As serve does once the corpus is loaded.
	if cfg.Store == "memory" {
		if limit, ok := fitMemory(); ok {
			fmt.Fprintf(e.stdout, "memory limit %d MiB\n", limit>>20)
		}
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		err = pprof.WriteHeapProfile(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "RSS %d MiB (%d MiB before loading)\n", bench.RSS()>>20, before>>20)

	var all []string
	for _, set := range realSets {
		if set.file == "xl-dev.jsonl" && !*xl {
			continue
		}
		qs, err := retrieval.LoadEval(filepath.Join(shared, "eval", set.file))
		if err != nil {
			return err
		}
		rep, err := retrieval.Evaluate(ctx, s.searcher, qs, set.region)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%-20s region %-6q answerable %3d: hit@1 %.3f hit@3 %.3f MRR@10 %.3f",
			set.file, set.region, rep.Answerable, rep.Hit1, rep.Hit3, rep.MRR10)
		if *answers {
			ar, err := answer.EvaluateAnswers(ctx, s.answers, qs, set.region)
			if err != nil {
				return err
			}
			line += "\n" + strings.TrimRight(ar.String(), "\n")
		}
		fmt.Fprintln(e.stdout, line)
		if *misses {
			for _, m := range rep.Misses {
				if m.Rank == 0 || m.Rank > 3 {
					got := ""
					if len(m.Got) > 0 {
						got = m.Got[0]
					}
					fmt.Fprintf(e.stdout, "  miss (rank %d): %s → %s\n", m.Rank, m.Question, got)
				}
			}
		}
		for _, q := range qs {
			all = append(all, q.Q)
		}
	}
	sums, err := bench.SearchLatency(ctx, s.searcher, all, "", *runs)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "search (%d questions, one at a time): %s\n", len(all), bench.MedianSummary(sums))
	fmt.Fprintf(e.stdout, "RSS after the searches %d MiB, peak %d MiB\n", bench.RSS()>>20, bench.PeakRSS()>>20)
	return nil
}
