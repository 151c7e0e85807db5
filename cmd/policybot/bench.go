package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"policybot/bench"
	"policybot/bench/load"
	"policybot/bench/synth"
	"policybot/embeddings"
	"policybot/postgres"
	"policybot/retrieval"
)

// runBench runs the scale benchmarks of BENCHMARKS.md:
//
//	policybot bench synth   --clauses N --out DIR
//	policybot bench ingest  --clauses N --db NAME
//	policybot bench search  --db NAME
//	policybot bench memory  --clauses N
//	policybot bench quality --db NAME
//	policybot bench load    --url URL --token T
//	policybot bench real    [--xl=false] [--answers]
func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("usage: policybot bench synth|ingest|search|memory|quality|load|real [FLAGS]")
	}
	sub := map[string]func(context.Context, *env, []string) error{
		"synth":   benchSynth,
		"ingest":  benchIngest,
		"search":  benchSearch,
		"memory":  benchMemory,
		"quality": benchQuality,
		"load":    benchLoad,
		"real":    benchReal,
	}[args[0]]
	if sub == nil {
		return usageError("policybot bench: unknown benchmark %q", args[0])
	}
	return sub(ctx, e, args[1:])
}

// benchFlags are the flags every benchmark shares.
type benchFlags struct {
	shared, adminURL, db string
	clauses              int
	seed                 uint64
	dims                 int
	params               string
	embedder, modelFile  string
	seedMaterial         bool
	adapted              bool
}

func (e *env) benchFlags(name string) (*flag.FlagSet, *benchFlags) {
	fs := e.flags("bench " + name)
	f := &benchFlags{}
	fs.StringVar(&f.shared, "shared", "", "folder holding corpus/, seeds/ and eval/ (default: found above the working directory)")
	fs.StringVar(&f.adminURL, "admin-url", firstNonEmpty(e.getenv("POLICYBOT_TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/test"),
		"PostgreSQL URL of a role that may create databases (POLICYBOT_TEST_DATABASE_URL)")
	fs.StringVar(&f.db, "db", "", "benchmark database name, e.g. policybot_bench_10k")
	fs.IntVar(&f.clauses, "clauses", 10_000, "synthetic clauses")
	fs.Uint64Var(&f.seed, "seed", 1, "generator seed")
	fs.IntVar(&f.dims, "dims", 0, "local embedder dimensions (0: its default)")
	fs.StringVar(&f.embedder, "embedder", "local", "local or corpus (the learned offline embedder)")
	fs.StringVar(&f.modelFile, "model", "", "corpus embedder model file (default: the built-in model)")
	fs.BoolVar(&f.seedMaterial, "seed-material", false, "recombine the seed document's phrases too (the dev set's own clauses)")
	fs.BoolVar(&f.adapted, "adapted", false, "write each measure as a real clause with some sentences dropped, instead of recombined phrases")
	fs.StringVar(&f.params, "params", "", "run-time parameters added to the database URL, e.g. synchronous_commit=off")
	return fs, f
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// newEmbedder is the embedder the flags name.
func (f *benchFlags) newEmbedder() (embeddings.Embedder, error) {
	switch f.embedder {
	case "local":
		return embeddings.NewLocal(f.dims), nil
	case "corpus":
		if f.modelFile != "" {
			return embeddings.LoadCorpus(f.modelFile)
		}
		return embeddings.DefaultCorpus()
	}
	return nil, usageError("bench: --embedder %q: want local or corpus", f.embedder)
}

func (f *benchFlags) sharedDir() (string, error) {
	if f.shared != "" {
		return f.shared, nil
	}
	return bench.FindShared()
}

// synthetic generates f.clauses synthetic clauses from the real corpus.
func (f *benchFlags) synthetic(e *env) ([]synth.Document, int, error) {
	shared, err := f.sharedDir()
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	dirs := []string{filepath.Join(shared, "corpus")}
	if f.seedMaterial {
		dirs = append(dirs, filepath.Join(shared, "seeds"))
	}
	m, err := synth.LoadMaterial(dirs...)
	if err != nil {
		return nil, 0, err
	}
	g := synth.NewGenerator(m, f.seed)
	if f.adapted {
		g = g.Adapted()
	}
	docs, total := g.Corpus(f.clauses)
	fmt.Fprintf(e.stderr, "generated %d documents, %d clauses from %d real documents in %s\n",
		len(docs), total, m.Documents, time.Since(start).Round(time.Millisecond))
	return docs, total, nil
}

func benchSynth(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("synth")
	out := fs.String("out", "", "folder to write the documents into (required)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError("usage: policybot bench synth --clauses N --out DIR")
	}
	docs, total, err := f.synthetic(e)
	if err != nil {
		return err
	}
	if err := synth.WriteDir(*out, docs); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d documents, %d clauses to %s\n", len(docs), total, *out)
	return nil
}

// openBenchDB creates (or reuses) the benchmark database and opens a store on it.
func openBenchDB(ctx context.Context, f *benchFlags, reuse bool) (*postgres.Store, error) {
	if f.db == "" {
		return nil, usageError("--db NAME is required")
	}
	url, err := bench.CreateDatabase(ctx, f.adminURL, f.db, reuse)
	if err != nil {
		return nil, err
	}
	if f.params != "" {
		url += "?" + f.params
	}
	return postgres.Open(ctx, url, postgres.WithMaxConns(int32(max(4, runtime.NumCPU()))))
}

func benchIngest(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("ingest")
	withReal := fs.Bool("real", true, "ingest the real corpus (seeds + corpus) first and time it")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	store, err := openBenchDB(ctx, f, false)
	if err != nil {
		return err
	}
	defer store.Close()
	emb, err := f.newEmbedder()
	if err != nil {
		return err
	}
	shared, err := f.sharedDir()
	if err != nil {
		return err
	}
	if *withReal {
		start := time.Now()
		in := &retrieval.Ingester{Store: store, Embedder: emb}
		rep, err := in.IngestPaths(ctx, filepath.Join(shared, "seeds"), filepath.Join(shared, "corpus"))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "real corpus: %s in %s\n", rep, time.Since(start).Round(time.Millisecond))
	}
	if f.clauses <= 0 {
		return nil
	}
	docs, _, err := f.synthetic(e)
	if err != nil {
		return err
	}
	res, err := bench.Ingest(ctx, store, emb, docs)
	if err != nil {
		return err
	}
	// A large load runs in the store's bulk mode (postgres.Store.BeginBulk:
	// the HNSW index dropped, then rebuilt, then ANALYZE), timed apart in res.
	fmt.Fprintf(e.stdout, "synthetic: %s\n", res)
	return nil
}

func benchSearch(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("search")
	runs := fs.Int("runs", 5, "timed passes of the HNSW study over the questions (medians are reported; 0: skip it and the exact search)")
	efList := fs.String("ef", "20,40,100,200", "hnsw.ef_search values to study")
	k := fs.Int("k", 10, "neighbours for recall@k")
	explain := fs.Bool("explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the hot queries")
	hybridRuns := fs.Int("hybrid-runs", 1, "timed passes of the whole hybrid search (0: skip)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	store, err := openBenchDB(ctx, f, true)
	if err != nil {
		return err
	}
	defer store.Close()
	_, questions, err := f.questions()
	if err != nil {
		return err
	}
	emb, err := f.newEmbedder()
	if err != nil {
		return err
	}
	vecs, err := emb.Embed(ctx, questions)
	if err != nil {
		return err
	}
	var n int64
	if err := store.Pool().QueryRow(ctx, "SELECT count(*) FROM clauses").Scan(&n); err != nil {
		return fmt.Errorf("bench search: count clauses: %w", err)
	}
	fmt.Fprintf(e.stdout, "%d clauses, %d questions, %d runs\n", n, len(questions), *runs)

	searcher := retrieval.NewSearcher(store, emb, "")
	for _, region := range []string{"", "天津市"} {
		if *hybridRuns <= 0 {
			break
		}
		sums, err := bench.SearchLatency(ctx, searcher, questions, region, *hybridRuns)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "hybrid Search (region %q): %s\n", region, bench.MedianSummary(sums))
	}
	if *runs <= 0 {
		return nil
	}
	start := time.Now()
	exact, err := bench.Exact(ctx, store.Pool(), vecs, *k)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exact search: %s per query\n", (time.Since(start) / time.Duration(len(vecs))).Round(time.Microsecond))
	var efs []int
	for _, s := range strings.Split(*efList, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return usageError("--ef: %v", err)
		}
		efs = append(efs, v)
	}
	study, err := bench.EfStudy(ctx, store.Pool(), vecs, exact, *k, efs, *runs)
	if err != nil {
		return err
	}
	for _, r := range study {
		fmt.Fprintf(e.stdout, "HNSW ef_search=%d: recall@%d %.3f (ties counted: %.3f), %s\n", r.EfSearch, *k, r.Recall, r.TiedRecall, r.Latency)
	}
	if *explain {
		vec, lex, err := bench.Explain(ctx, store.Pool(), vecs[0], []string{"续贷", "小微", "企业"})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nEXPLAIN vector (%s):\n%s\n\nEXPLAIN lexical:\n%s\n", questions[0], vec, lex)
	}
	return nil
}

func benchMemory(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("memory")
	runs := fs.Int("runs", 5, "timed passes over the questions (medians are reported)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	shared, questions, err := f.questions()
	if err != nil {
		return err
	}
	emb, err := f.newEmbedder()
	if err != nil {
		return err
	}
	store := retrieval.NewMemoryStore()
	before := bench.RSS()
	start := time.Now()
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	rep, err := in.IngestPaths(ctx, filepath.Join(shared, "seeds"), filepath.Join(shared, "corpus"))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "real corpus: %s in %s\n", rep, time.Since(start).Round(time.Millisecond))
	if f.clauses > 0 {
		docs, _, err := f.synthetic(e)
		if err != nil {
			return err
		}
		res, err := bench.Ingest(ctx, store, emb, docs)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "synthetic: %s\n", res)
	}
	runtime.GC()
	fmt.Fprintf(e.stdout, "RSS %d MiB (before loading %d MiB)\n", bench.RSS()>>20, before>>20)
	searcher := retrieval.NewSearcher(store, emb, "")
	for _, region := range []string{"", "天津市"} {
		sums, err := bench.SearchLatency(ctx, searcher, questions, region, *runs)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "hybrid Search in memory (region %q): %s\n", region, bench.MedianSummary(sums))
	}
	return nil
}

// benchQuality scores the evaluation sets on the benchmark database (real
// corpus plus synthetic distractors), or with --db empty on a memory store
// holding the real corpus and --clauses synthetic ones.
func benchQuality(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("quality")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	shared, err := f.sharedDir()
	if err != nil {
		return err
	}
	emb, err := f.newEmbedder()
	if err != nil {
		return err
	}
	var store retrieval.Store
	if f.db != "" {
		pg, err := openBenchDB(ctx, f, true)
		if err != nil {
			return err
		}
		defer pg.Close()
		store = pg
	} else {
		mem := retrieval.NewMemoryStore()
		in := &retrieval.Ingester{Store: mem, Embedder: emb}
		if _, err := in.IngestPaths(ctx, filepath.Join(shared, "seeds"), filepath.Join(shared, "corpus")); err != nil {
			return err
		}
		if f.clauses > 0 {
			docs, _, err := f.synthetic(e)
			if err != nil {
				return err
			}
			if _, err := bench.Ingest(ctx, mem, emb, docs); err != nil {
				return err
			}
		}
		store = mem
	}
	docs, err := store.Documents(ctx)
	if err != nil {
		return err
	}
	clauses := 0
	for _, d := range docs {
		clauses += d.ClauseCount
	}
	fmt.Fprintf(e.stdout, "%d documents, %d clauses\n", len(docs), clauses)
	searcher := retrieval.NewSearcher(store, emb, "")
	for _, set := range []struct{ file, region string }{{"dev.jsonl", "天津市"}, {"external-dev.jsonl", ""}} {
		qs, err := retrieval.LoadEval(filepath.Join(shared, "eval", set.file))
		if err != nil {
			return err
		}
		q, err := bench.Evaluate(ctx, searcher, qs, set.region)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (region %q): %s\n", set.file, set.region, q)
		for _, d := range q.Displaced {
			fmt.Fprintf(e.stdout, "  displaced: %s\n", d)
		}
	}
	return nil
}

// benchLoad plays WeChat against a running `policybot serve` on loopback.
func benchLoad(ctx context.Context, e *env, args []string) error {
	fs, f := e.benchFlags("load")
	target := fs.String("url", "http://127.0.0.1:8080/wechat", "the /wechat endpoint (loopback only)")
	token := fs.String("token", e.getenv("POLICYBOT_WECHAT_TOKEN"), "the official account token (POLICYBOT_WECHAT_TOKEN)")
	users := fs.Int("users", 50, "concurrent simulated users")
	duration := fs.Duration("duration", 30*time.Second, "how long to send")
	maxMessages := fs.Int("max", 100_000, "upper bound on messages")
	think := fs.Duration("think", 0, "pause between a reply and the user's next message (0: back to back, saturating the server)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	_, questions, err := f.questions()
	if err != nil {
		return err
	}
	res, err := load.Run(ctx, load.Config{URL: *target, Token: *token, Users: *users, Duration: *duration, Max: *maxMessages, Questions: questions, Think: *think})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d users (think %s) for %s: %d sent, %d replies (%.0f/s), errors %v\nreply time: %s\n",
		*users, *think, res.Elapsed.Round(time.Millisecond), res.Sent, res.OK, float64(res.OK)/res.Elapsed.Seconds(), res.Errors, bench.Summarize(res.Latencies))
	if n := res.Sent - res.OK; n > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d messages failed", n, res.Sent)}
	}
	return nil
}

// questions finds the shared folder and reads the benchmark questions from its eval sets.
func (f *benchFlags) questions() (shared string, questions []string, err error) {
	if shared, err = f.sharedDir(); err != nil {
		return "", nil, err
	}
	questions, err = bench.Questions(shared)
	return shared, questions, err
}
