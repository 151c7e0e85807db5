package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"policybot/bench"
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
func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("usage: policybot bench synth|ingest|search|memory|quality|load [FLAGS]")
	}
	sub := map[string]func(context.Context, *env, []string) error{
		"synth":  benchSynth,
		"ingest": benchIngest,
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
	m, err := synth.LoadMaterial(filepath.Join(shared, "corpus"), filepath.Join(shared, "seeds"))
	if err != nil {
		return nil, 0, err
	}
	docs, total := synth.NewGenerator(m, f.seed).Corpus(f.clauses)
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
	real := fs.Bool("real", true, "ingest the real corpus (seeds + corpus) first and time it")
	deferIndex := fs.Bool("defer-index", false, "drop the HNSW index for the synthetic load and build it after (bulk-load mode)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	store, err := openBenchDB(ctx, f, false)
	if err != nil {
		return err
	}
	defer store.Close()
	emb := embeddings.NewLocal(f.dims)
	shared, err := f.sharedDir()
	if err != nil {
		return err
	}
	if *real {
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
	if *deferIndex {
		if err := bench.DropVectorIndex(ctx, store.Pool()); err != nil {
			return err
		}
	}
	res, err := bench.Ingest(ctx, store, emb, docs)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "synthetic: %s\n", res)
	if *deferIndex {
		took, err := bench.BuildVectorIndex(ctx, store.Pool())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "HNSW index built in %s: %.0f clauses/s including the build\n",
			took.Round(time.Millisecond), float64(res.Clauses)/(res.Elapsed+took).Seconds())
	}
	return nil
}
