package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"policybot/embeddings"
	"policybot/internal/atomicfile"
	"policybot/policy"
	"policybot/retrieval"
)

// runTrainEmbedder learns a corpus embedder model from documents:
// policybot train-embedder [--dims N] [--out FILE] PATH...
func runTrainEmbedder(ctx context.Context, e *env, args []string) error {
	fs := e.flags("train-embedder")
	dims := fs.Int("dims", embeddings.DefaultCorpusDims, "vector length (8–2000)")
	out := fs.String("out", "corpus-model.pbce", "model file to write")
	vocab := fs.Int("vocab", embeddings.DefaultMaxVocab, "most frequent terms kept")
	window := fs.Int("window", embeddings.DefaultWindow, "terms on each side that count as context")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("train-embedder: name the documents or folders to learn from")
	}
	start := time.Now()
	texts, docs, err := clauseTexts(e, paths)
	if err != nil {
		return err
	}
	model, err := embeddings.Train(ctx, texts, embeddings.TrainConfig{Dims: *dims, MaxVocab: *vocab, Window: *window})
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	emb, err := embeddings.NewCorpus(model)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := model.WriteTo(&b); err != nil {
		return fmt.Errorf("train-embedder: %w", err)
	}
	if err := atomicfile.WriteFile(*out, b.Bytes()); err != nil {
		return fmt.Errorf("train-embedder: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s: %s, %d terms × %d dims, %.1f MB, from %d clauses of %d documents in %s (memory from the OS %d MiB)\n",
		*out, emb.Name(), len(model.Vocab), model.Dims, float64(b.Len())/1e6, len(texts), docs,
		time.Since(start).Round(time.Second), ms.Sys>>20)
	return nil
}

// clauseTexts parses the documents under paths (files or folders, the
// extensions ingestion reads) and returns their clauses' texts, headed by
// their titles, and how many documents they came from. A document that
// does not parse is reported and skipped.
func clauseTexts(e *env, paths []string) ([]string, int, error) {
	files, err := retrieval.DocumentFiles(paths...)
	if err != nil {
		return nil, 0, fmt.Errorf("train-embedder: %w", err)
	}
	slices.Sort(files)
	var texts []string
	docs := 0
	for _, f := range files {
		doc, err := policy.ParseFile(f)
		if err != nil {
			fmt.Fprintf(e.stderr, "train-embedder: skipped %s: %v\n", f, err)
			continue
		}
		docs++
		for _, c := range doc.Clauses {
			texts = append(texts, strings.TrimSpace(c.Title+"\n"+c.Text))
		}
	}
	if len(texts) == 0 {
		return nil, 0, fmt.Errorf("train-embedder: no clauses in %s", strings.Join(paths, ", "))
	}
	return texts, docs, nil
}
