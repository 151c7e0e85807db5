package embeddings

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"policybot/segment"
)

// TrainConfig sets how a corpus model is learned. Zero fields take the defaults.
type TrainConfig struct {
	Dims     int // vector length (DefaultCorpusDims)
	MaxVocab int // the most frequent terms kept (DefaultMaxVocab)
	MinCount int // a term seen fewer times is left out (DefaultMinCount)
	Window   int // terms on each side that count as context (DefaultWindow)
}

// Training defaults, measured on seeds + shared/corpus + corpus-xl (see BENCHMARKS.md).
const (
	DefaultCorpusDims = 256
	DefaultMaxVocab   = 40000
	DefaultMinCount   = 3
	DefaultWindow     = 4
	// contextAlpha smooths the context distribution of PMI (Levy et al.
	// 2015): rare contexts get less inflated associations.
	contextAlpha = 0.75
	// oversample and powerIters are the randomized SVD's (Halko et al.):
	// a few extra columns and two power iterations recover the top
	// singular vectors of a sparse matrix closely.
	oversample = 12
	powerIters = 2
	// sifA is the smoothing of SIF weights a/(a+p(w)) (Arora et al. 2017).
	sifA = 1e-3
)

// Train learns term vectors from texts (clauses): positive pointwise mutual
// information of terms within Window of each other, factorised by a
// truncated SVD into Dims dimensions (U·Σ^½, rows unit length); a text's
// vector is then the SIF-weighted mean of its terms' vectors with the
// corpus's common direction removed. It is deterministic: the same texts
// and config give the same model, byte for byte.
func Train(ctx context.Context, texts []string, cfg TrainConfig) (*Model, error) {
	cfg.Dims = cmp.Or(cfg.Dims, DefaultCorpusDims)
	cfg.MaxVocab = cmp.Or(cfg.MaxVocab, DefaultMaxVocab)
	cfg.MinCount = cmp.Or(cfg.MinCount, DefaultMinCount)
	cfg.Window = cmp.Or(cfg.Window, DefaultWindow)
	if cfg.Dims < 8 || cfg.Dims > 2000 {
		return nil, fmt.Errorf("embeddings: train: dims %d out of 8–2000", cfg.Dims)
	}
	lex := segment.Default()
	docs := make([][]string, len(texts))
	counts := map[string]int{}
	for i, t := range texts {
		docs[i] = lex.Terms(t)
		for _, w := range docs[i] {
			counts[w]++
		}
	}
	vocab := make([]string, 0, len(counts))
	for w, n := range counts {
		if n >= cfg.MinCount {
			vocab = append(vocab, w)
		}
	}
	slices.SortFunc(vocab, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	if len(vocab) > cfg.MaxVocab {
		vocab = vocab[:cfg.MaxVocab]
	}
	slices.Sort(vocab)
	if len(vocab) <= cfg.Dims+oversample {
		return nil, fmt.Errorf("embeddings: train: %d terms seen %d times or more, need more than %d: give more text", len(vocab), cfg.MinCount, cfg.Dims+oversample)
	}
	index := make(map[string]int32, len(vocab))
	for i, w := range vocab {
		index[w] = int32(i)
	}
	m, err := ppmi(ctx, docs, index, len(vocab), cfg.Window)
	if err != nil {
		return nil, err
	}
	vecs, err := truncatedSVD(ctx, m, cfg.Dims)
	if err != nil {
		return nil, err
	}
	var total float64
	freq := make([]float64, len(vocab))
	for i, w := range vocab {
		freq[i] = float64(counts[w])
		total += freq[i]
	}
	model := &Model{Dims: cfg.Dims, Vocab: vocab, Weights: make([]float32, len(vocab)), Vectors: vecs}
	for i := range vocab {
		model.Weights[i] = float32(sifA / (sifA + freq[i]/total))
	}
	model.quantize()
	model.index()
	model.Common = commonDirection(model, docs)
	return model, nil
}

// csr is a sparse symmetric matrix in compressed rows.
type csr struct {
	n      int
	rowPtr []int
	col    []int32
	val    []float32
}

// ppmi counts co-occurrences of vocabulary terms within window (nearer
// neighbours count more: 1/distance) and returns their positive PMI.
func ppmi(ctx context.Context, docs [][]string, index map[string]int32, n, window int) (*csr, error) {
	pairs := map[uint64]float32{}
	ids := []int32{}
	for d, terms := range docs {
		if d%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ids = ids[:0]
		for _, t := range terms {
			if i, ok := index[t]; ok {
				ids = append(ids, i)
			} else {
				ids = append(ids, -1) // keeps distances true
			}
		}
		for p, a := range ids {
			if a < 0 {
				continue
			}
			for q := p + 1; q < len(ids) && q <= p+window; q++ {
				b := ids[q]
				if b < 0 || b == a {
					continue
				}
				lo, hi := min(a, b), max(a, b)
				pairs[uint64(lo)<<32|uint64(hi)] += 1 / float32(q-p)
			}
		}
	}
	if len(pairs) == 0 {
		return nil, errors.New("embeddings: train: no terms co-occur")
	}
	row := make([]float64, n)
	var sum float64
	for k, c := range pairs {
		a, b := int(k>>32), int(k&0xffffffff)
		row[a] += float64(c)
		row[b] += float64(c)
		sum += 2 * float64(c)
	}
	ctxw := make([]float64, n)
	var ctxSum float64
	for i, r := range row {
		ctxw[i] = math.Pow(r, contextAlpha)
		ctxSum += ctxw[i]
	}
	type entry struct {
		a, b int32
		v    float32
	}
	entries := make([]entry, 0, len(pairs))
	for k, c := range pairs {
		a, b := int(k>>32), int(k&0xffffffff)
		// PMI(a,b) with the context side smoothed, averaged over both
		// directions so the matrix stays symmetric.
		pab := float64(c) / sum
		v := 0.5 * (math.Log(pab/(row[a]/sum*ctxw[b]/ctxSum)) + math.Log(pab/(row[b]/sum*ctxw[a]/ctxSum)))
		if v > 0 {
			entries = append(entries, entry{int32(a), int32(b), float32(v)}, entry{int32(b), int32(a), float32(v)})
		}
	}
	// Map order is random: sort, so the sums below add in one order and
	// the model is the same on every run.
	slices.SortFunc(entries, func(x, y entry) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	m := &csr{n: n, rowPtr: make([]int, n+1), col: make([]int32, len(entries)), val: make([]float32, len(entries))}
	for i, e := range entries {
		m.rowPtr[e.a+1]++
		m.col[i], m.val[i] = e.b, e.v
	}
	for i := range n {
		m.rowPtr[i+1] += m.rowPtr[i]
	}
	return m, nil
}

// mul returns m·x for x of n rows and l columns (row-major), split over the cores.
func (m *csr) mul(x []float64, l int) []float64 {
	out := make([]float64, m.n*l)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < m.n; i += workers {
				dst := out[i*l : (i+1)*l]
				for k := m.rowPtr[i]; k < m.rowPtr[i+1]; k++ {
					v := float64(m.val[k])
					src := x[int(m.col[k])*l : (int(m.col[k])+1)*l]
					for j, s := range src {
						dst[j] += v * s
					}
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// truncatedSVD returns the top dims left singular vectors of the symmetric
// m scaled by the square roots of their singular values, each row (term)
// then unit length, row-major.
func truncatedSVD(ctx context.Context, m *csr, dims int) ([]float32, error) {
	n, l := m.n, dims+oversample
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, n*l)
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	y = m.mul(y, l)
	orthonormalize(y, n, l)
	for range powerIters {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		y = m.mul(y, l)
		orthonormalize(y, n, l)
	}
	// B = Qᵀ·M is l×n; its small Gram matrix B·Bᵀ = (M·Q)ᵀ(M·Q) has the
	// squared singular values as eigenvalues.
	mq := m.mul(y, l)
	g := make([]float64, l*l)
	for i := range n {
		r := mq[i*l : (i+1)*l]
		for a := range l {
			ra := r[a]
			for b := a; b < l; b++ {
				g[a*l+b] += ra * r[b]
			}
		}
	}
	for a := range l {
		for b := range a {
			g[a*l+b] = g[b*l+a]
		}
	}
	eig, vecs := jacobiEigen(g, l)
	order := make([]int, l)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(eig[b], eig[a]) })
	out := make([]float32, n*dims)
	for i := range n {
		q := y[i*l : (i+1)*l]
		var norm float64
		row := make([]float64, dims)
		for d := range dims {
			c := order[d]
			sigma := math.Sqrt(max(eig[c], 0))
			var u float64
			for a := range l {
				u += q[a] * vecs[a*l+c]
			}
			row[d] = u * math.Sqrt(sigma)
			norm += row[d] * row[d]
		}
		if norm = math.Sqrt(norm); norm > 0 {
			for d := range dims {
				out[i*dims+d] = float32(row[d] / norm)
			}
		}
	}
	return out, nil
}

// orthonormalize makes the l columns of the n×l row-major y orthonormal
// (modified Gram–Schmidt, twice for stability), on a column-major copy so
// that each pass reads memory in order.
func orthonormalize(y []float64, n, l int) {
	cols := make([][]float64, l)
	for c := range l {
		cols[c] = make([]float64, n)
		for i := range n {
			cols[c][i] = y[i*l+c]
		}
	}
	for range 2 {
		for c, col := range cols {
			for _, prev := range cols[:c] {
				var dot float64
				for i, x := range col {
					dot += x * prev[i]
				}
				for i, x := range prev {
					col[i] -= dot * x
				}
			}
			var norm float64
			for _, x := range col {
				norm += x * x
			}
			if norm = math.Sqrt(norm); norm < 1e-12 {
				clear(col)
				continue
			}
			for i := range col {
				col[i] /= norm
			}
		}
	}
	for c, col := range cols {
		for i, x := range col {
			y[i*l+c] = x
		}
	}
}

// jacobiEigen returns the eigenvalues and eigenvectors (columns of an l×l
// row-major matrix) of the symmetric l×l a, by cyclic Jacobi rotations.
func jacobiEigen(a []float64, l int) ([]float64, []float64) {
	a = slices.Clone(a)
	v := make([]float64, l*l)
	for i := range l {
		v[i*l+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for p := range l {
			for q := p + 1; q < l; q++ {
				off += a[p*l+q] * a[p*l+q]
			}
		}
		if off < 1e-22 {
			break
		}
		for p := range l {
			for q := p + 1; q < l; q++ {
				apq := a[p*l+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (a[q*l+q] - a[p*l+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range l {
					akp, akq := a[k*l+p], a[k*l+q]
					a[k*l+p], a[k*l+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range l {
					apk, aqk := a[p*l+k], a[q*l+k]
					a[p*l+k], a[q*l+k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range l {
					vkp, vkq := v[k*l+p], v[k*l+q]
					v[k*l+p], v[k*l+q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	eig := make([]float64, l)
	for i := range l {
		eig[i] = a[i*l+i]
	}
	return eig, v
}

// commonDirection is the first principal direction of the texts' weighted
// mean vectors (power iteration over at most 20,000 of them): SIF removes
// it, since it is what every clause shares (企业, 疫情) and tells none apart.
func commonDirection(m *Model, docs [][]string) []float32 {
	step := max(1, len(docs)/20000)
	var sample [][]float32
	for i := 0; i < len(docs); i += step {
		if v := m.mean(docs[i]); v != nil {
			sample = append(sample, v)
		}
	}
	if len(sample) == 0 {
		return nil
	}
	dir := make([]float64, m.Dims)
	for _, v := range sample {
		for d, x := range v {
			dir[d] += float64(x)
		}
	}
	for range 30 {
		normalize64(dir)
		next := make([]float64, m.Dims)
		for _, v := range sample {
			var dot float64
			for d, x := range v {
				dot += float64(x) * dir[d]
			}
			for d, x := range v {
				next[d] += dot * float64(x)
			}
		}
		dir = next
	}
	normalize64(dir)
	out := make([]float32, m.Dims)
	for d, x := range dir {
		out[d] = float32(x)
	}
	return out
}

func normalize64(v []float64) {
	var n float64
	for _, x := range v {
		n += x * x
	}
	if n = math.Sqrt(n); n > 0 {
		for i := range v {
			v[i] /= n
		}
	}
}
