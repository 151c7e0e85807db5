package embeddings

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sync"

	"policybot/segment"
)

// localVersion changes whenever the features below change, so that stores
// holding vectors of an older version are detected as a model mismatch.
const localVersion = 1

// Local is the offline embedder: a hashed bag of segment terms (CJK
// bigrams, domain words, ASCII words) plus one feature per synonym group
// present, so 续贷 and 展期 share a dimension. Term counts are damped
// (1 + ln tf), each feature goes to one of Dimensions buckets with a hashed
// sign (collisions cancel out rather than pile up), and the vector is
// L2-normalised. It needs no model download and is deterministic: the same
// text gives the same vector on every machine.
type Local struct {
	dims int
	lex  *segment.Lexicon
}

var _ Embedder = (*Local)(nil)

// NewLocal returns a local embedder of dims dimensions (1024 when dims <= 0:
// on the dev sets 1024 beat 512 by 0.03 hit@1, fewer hash collisions).
func NewLocal(dims int) *Local {
	if dims <= 0 {
		dims = 1024
	}
	return &Local{dims: dims, lex: segment.Default()}
}

// Dimensions returns the vector length.
func (l *Local) Dimensions() int { return l.dims }

// Name identifies features and dimension, e.g. "local-v1-512".
func (l *Local) Name() string { return fmt.Sprintf("local-v%d-%d", localVersion, l.dims) }

// Embed embeds each text. A text without any term gets the zero vector,
// whose cosine with anything is 0.
//
// A large batch is split over the cores: ingestion embeds thousands of
// clauses, and this is CPU work.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts)/minTextsPerWorker)
	if workers <= 1 {
		if err := l.embedRange(ctx, texts, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	per := (len(texts) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(texts))
		wg.Go(func() { errs[w] = l.embedRange(ctx, texts[lo:hi], out[lo:hi]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// minTextsPerWorker: below this many texts per core, one goroutine does it all.
const minTextsPerWorker = 16

func (l *Local) embedRange(ctx context.Context, texts []string, out [][]float32) error {
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("local embed: %w", err)
			}
		}
		out[i] = l.embed(t)
	}
	return nil
}

// synonymWeight damps the shared synonym-group feature: it should pull
// synonyms together without outweighing the words actually written.
const synonymWeight = 0.7

func (l *Local) embed(text string) []float32 {
	tf := map[string]float64{}
	for _, t := range l.lex.Terms(text) {
		tf[t]++
		if c, ok := l.lex.Synonym(t); ok {
			tf["~"+c] += synonymWeight
		}
	}
	v := make([]float64, l.dims)
	for f, n := range tf {
		h := fnv.New64a()
		h.Write([]byte(f))
		x := h.Sum64()
		w := 1 + math.Log(n)
		if n < 1 {
			w = n // a synonym feature seen once
		}
		if x>>63 == 1 {
			w = -w
		}
		v[(x&math.MaxUint32)%uint64(l.dims)] += w
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, l.dims)
	if norm == 0 {
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}
