package retrieval

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"policybot/policy"
	"policybot/segment"
)

// MemoryStore is the in-process Store: documents, an inverted index with
// BM25 and exact cosine search over all clause vectors. It is built at
// start-up from the corpus folders (a few thousand clauses fit easily) and is
// safe for concurrent use; a replaced document swaps under the write lock,
// so readers see the old or the new version, never half.
type MemoryStore struct {
	mu       sync.RWMutex
	dims     atomic.Pointer[dimIndex] // nil after a change; see vectorIndex
	dimsMu   sync.Mutex               // one build at a time
	docs     map[string]*memDoc
	slots    []*memClause // by memClause.slot; nil when free
	free     []int
	postings map[string][]posting
	df       map[string]int // active clauses containing each term
	active   int            // active clauses
	totalLen int            // terms in active clauses
	model    Model
	cache    map[string]map[string][]float32 // model name → text hash → vector
}

var _ Store = (*MemoryStore)(nil)

type memDoc struct {
	doc        StoredDocument
	clauses    []*memClause
	titleTerms []string // see Candidate.TitleTerms
}

type memClause struct {
	doc  *memDoc
	c    IndexedClause
	slot int
	norm float64 // L2 norm of the embedding, 0 for none
	// sparse: few of the embedding's dimensions are non-zero (the local
	// embedder's hashed features fill a fraction of them), so the store's
	// dimension index holds it and a search touches only its entries for
	// the question's dimensions.
	sparse    bool
	pathTerms []string // see Candidate.PathTerms
}

// maxSparseShare is the share of non-zero dimensions below which an
// embedding is treated as sparse.
const maxSparseShare = 0.4

func newMemClause(d *memDoc, c IndexedClause) *memClause {
	mc := &memClause{doc: d, c: c, norm: l2(c.Embedding), pathTerms: segment.Terms(strings.Join(c.Path, " "))}
	mc.sparse = isSparse(c.Embedding)
	return mc
}

// isSparse reports whether few enough of v's entries are non-zero (see maxSparseShare).
func isSparse(v []float32) bool {
	return len(v) > 0 && float64(nonZero(v)) <= maxSparseShare*float64(len(v))
}

func nonZero(v []float32) int {
	nz := 0
	for _, x := range v {
		if x != 0 {
			nz++
		}
	}
	return nz
}

// sparseOf returns v's non-zero entries when it is sparse.
func sparseOf(v []float32) (idx []int32, val []float32, ok bool) {
	nz := nonZero(v)
	if len(v) == 0 || float64(nz) > maxSparseShare*float64(len(v)) {
		return nil, nil, false
	}
	idx, val = make([]int32, 0, nz), make([]float32, 0, nz)
	for i, x := range v {
		if x != 0 {
			idx = append(idx, int32(i))
			val = append(val, x)
		}
	}
	return idx, val, true
}

// queryVector is a query embedding with its L2 norm and, when it is sparse,
// its non-zero entries: a question has a few dozen terms, a clause hundreds.
type queryVector struct {
	v      []float32
	norm   float64
	sparse bool
	nzIdx  []int32
	nzVal  []float32
}

func newQueryVector(v []float32) queryVector {
	q := queryVector{v: v, norm: l2(v)}
	q.nzIdx, q.nzVal, q.sparse = sparseOf(v)
	return q
}

// cosine of the clause embedding with q.
func (c *memClause) cosine(q queryVector) float64 {
	if !q.sparse {
		return dot(c.c.Embedding, q.v) / (c.norm * q.norm)
	}
	e := c.c.Embedding
	var d float32
	for i, j := range q.nzIdx {
		d += q.nzVal[i] * e[j]
	}
	return float64(d) / (c.norm * q.norm)
}

// dimIndex holds the sparse clause embeddings by dimension: the dot
// products of a sparse question with every clause then cost the lengths of
// the question's dimensions' lists, instead of a pass over every clause
// (the exact search was a third of a search's CPU on 2,325 clauses).
// It is rebuilt on the first search after a change.
type dimIndex struct {
	post  [][]dimPosting // by dimension
	dense []*memClause   // clauses with an embedding not held sparse
}

type dimPosting struct {
	slot int32
	val  float32
}

// vectorIndex returns the dimension index, building it if a change dropped
// it (s.mu held for reading: the slots cannot change meanwhile).
func (s *MemoryStore) vectorIndex() *dimIndex {
	if idx := s.dims.Load(); idx != nil {
		return idx
	}
	s.dimsMu.Lock()
	defer s.dimsMu.Unlock()
	if idx := s.dims.Load(); idx != nil {
		return idx
	}
	idx := &dimIndex{}
	for _, c := range s.slots {
		if c == nil || c.norm == 0 {
			continue
		}
		if !c.sparse {
			idx.dense = append(idx.dense, c)
			continue
		}
		if n := len(c.c.Embedding); n > len(idx.post) {
			idx.post = append(idx.post, make([][]dimPosting, n-len(idx.post))...)
		}
		for j, x := range c.c.Embedding {
			if x != 0 {
				idx.post[j] = append(idx.post[j], dimPosting{int32(c.slot), x})
			}
		}
	}
	s.dims.Store(idx)
	return idx
}

type posting struct {
	cl *memClause
	tf int32
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		docs:     map[string]*memDoc{},
		postings: map[string][]posting{},
		df:       map[string]int{},
		cache:    map[string]map[string][]float32{},
	}
}

// Ping always succeeds: the store is in process.
func (s *MemoryStore) Ping(ctx context.Context) error { return ctx.Err() }

// Documents lists every document, newest (by date) first.
func (s *MemoryStore) Documents(ctx context.Context) ([]StoredDocument, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory documents: %w", err)
	}
	s.mu.RLock()
	out := make([]StoredDocument, 0, len(s.docs))
	for _, d := range s.docs {
		out = append(out, d.doc)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b StoredDocument) int {
		if c := cmp.Compare(b.Date, a.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Document returns one document with its clauses in order.
func (s *MemoryStore) Document(ctx context.Context, id string) (StoredDocument, []policy.Clause, error) {
	if err := ctx.Err(); err != nil {
		return StoredDocument{}, nil, fmt.Errorf("memory document %s: %w", id, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok {
		return StoredDocument{}, nil, fmt.Errorf("memory document %s: %w", id, ErrNotFound)
	}
	cs := make([]policy.Clause, len(d.clauses))
	for i, c := range d.clauses {
		cs[i] = c.c.Clause
	}
	return d.doc, cs, nil
}

// ReplaceDocument stores doc and its clauses, replacing an earlier version,
// and caches each clause embedding under the store's model.
func (s *MemoryStore) ReplaceDocument(ctx context.Context, doc StoredDocument, clauses []IndexedClause) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory replace %s: %w", doc.ID, err)
	}
	if doc.ID == "" {
		return fmt.Errorf("memory replace: document without id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range clauses {
		if s.model.Dimensions > 0 && c.Embedding != nil && len(c.Embedding) != s.model.Dimensions {
			return fmt.Errorf("memory replace %s: clause %d has %d dimensions, the store's model %s has %d",
				doc.ID, i, len(c.Embedding), s.model.Name, s.model.Dimensions)
		}
	}
	if doc.Status == "" {
		doc.Status = StatusActive
	}
	if doc.IngestedAt.IsZero() {
		doc.IngestedAt = time.Now()
	}
	doc.ClauseCount = len(clauses)
	if old, ok := s.docs[doc.ID]; ok {
		s.unindex(old)
	}
	d := &memDoc{doc: doc, clauses: make([]*memClause, len(clauses)), titleTerms: segment.Terms(doc.Title)}
	cache := s.cache[s.model.Name]
	if cache == nil {
		cache = map[string][]float32{}
		s.cache[s.model.Name] = cache
	}
	for i, c := range clauses {
		c.Terms = slices.Clone(c.Terms)
		c.Embedding = slices.Clone(c.Embedding)
		c.Context = slices.Clone(c.Context)
		mc := newMemClause(d, c)
		d.clauses[i] = mc
		if c.TextHash != "" && c.Embedding != nil {
			cache[c.TextHash] = c.Embedding
		}
	}
	s.docs[doc.ID] = d
	s.index(d)
	return nil
}

// RemoveDocument deletes a document and its clauses.
func (s *MemoryStore) RemoveDocument(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory remove %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return fmt.Errorf("memory remove %s: %w", id, ErrNotFound)
	}
	s.unindex(d)
	delete(s.docs, id)
	return nil
}

// SetStatus retires or re-activates a document.
func (s *MemoryStore) SetStatus(ctx context.Context, id, status string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory set status %s: %w", id, err)
	}
	if status != StatusActive && status != StatusRetired {
		return fmt.Errorf("memory set status %s: unknown status %q", id, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return fmt.Errorf("memory set status %s: %w", id, ErrNotFound)
	}
	if d.doc.Status == status {
		return nil
	}
	if status == StatusActive {
		d.doc.Status = status
		s.count(d, +1)
	} else {
		s.count(d, -1)
		d.doc.Status = status
	}
	return nil
}

// Model reports the embedding model of the stored vectors.
func (s *MemoryStore) Model(ctx context.Context) (Model, error) {
	if err := ctx.Err(); err != nil {
		return Model{}, fmt.Errorf("memory model: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.model, nil
}

// SetModel records the embedding model.
func (s *MemoryStore) SetModel(ctx context.Context, m Model) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory set model: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model = m
	return nil
}

// CachedEmbeddings returns the cached embeddings of model for the hashes it has.
func (s *MemoryStore) CachedEmbeddings(ctx context.Context, model string, textHashes []string) (map[string][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory cached embeddings: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]float32{}
	cache := s.cache[model]
	for _, h := range textHashes {
		if v, ok := cache[h]; ok {
			out[h] = slices.Clone(v)
		}
	}
	return out, nil
}

// VectorSearch returns the K active clauses of highest cosine with q.Vector.
func (s *MemoryStore) VectorSearch(ctx context.Context, q Query) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory vector search: %w", err)
	}
	qv := newQueryVector(q.Vector)
	if qv.norm == 0 || q.K <= 0 {
		return nil, nil
	}
	regions := regionSet(q.Regions)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var top topK
	top.k = q.K
	consider := func(c *memClause, cos float64) {
		if c != nil && c.norm != 0 && s.searchable(c, regions) && len(c.c.Embedding) == len(q.Vector) {
			top.push(c, cos)
		}
	}
	if !qv.sparse {
		for _, c := range s.slots {
			if c != nil && c.norm != 0 {
				consider(c, c.cosine(qv))
			}
		}
		return s.candidates(top.sorted(), true), nil
	}
	idx := s.vectorIndex()
	accp := dotPool.Get().(*[]float32)
	acc := slices.Grow((*accp)[:0], len(s.slots))[:len(s.slots)]
	clear(acc)
	for i, j := range qv.nzIdx {
		if int(j) >= len(idx.post) {
			continue
		}
		w := qv.nzVal[i]
		for _, p := range idx.post[j] {
			acc[p.slot] += w * p.val
		}
	}
	for slot, d := range acc {
		if d != 0 {
			c := s.slots[slot]
			consider(c, float64(d)/(c.norm*qv.norm))
		}
	}
	for _, c := range idx.dense {
		consider(c, c.cosine(qv))
	}
	if len(top.items) < top.k {
		// Too few clauses share a dimension with the question: the rest
		// follow at cosine 0, as an exact search orders them.
		for slot, d := range acc {
			if c := s.slots[slot]; d == 0 && c != nil && c.sparse {
				consider(c, 0)
			}
		}
	}
	*accp = acc
	dotPool.Put(accp)
	return s.candidates(top.sorted(), true), nil
}

// dotPool and bm25Pool recycle the searches' per-slot accumulators.
var (
	dotPool  = sync.Pool{New: func() any { return new([]float32) }}
	bm25Pool = sync.Pool{New: func() any { return new([]float64) }}
)

// BM25 parameters. The length normalisation is weaker than the usual 0.75:
// policy measures often pack several provisions in one long clause, and
// penalising length hid them (measured: b 0.2 beat 0.3, 0.5 and 0.75).
const (
	bm25K1 = 1.2
	bm25B  = 0.2
)

// LexicalSearch returns the K active clauses of highest BM25 for the
// distinct q.Terms, with their cosine to q.Vector when it is set (the
// searcher blends both for every candidate).
func (s *MemoryStore) LexicalSearch(ctx context.Context, q Query) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory lexical search: %w", err)
	}
	if q.K <= 0 || len(q.Terms) == 0 {
		return nil, nil
	}
	regions := regionSet(q.Regions)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.active == 0 {
		return nil, nil
	}
	scoresp := bm25Pool.Get().(*[]float64)
	scores := slices.Grow((*scoresp)[:0], len(s.slots))[:len(s.slots)]
	clear(scores)
	defer func() { *scoresp = scores; bm25Pool.Put(scoresp) }()
	avg := float64(s.totalLen) / float64(s.active)
	seen := make(map[string]bool, len(q.Terms))
	for _, t := range q.Terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		df := s.df[t]
		if df == 0 {
			continue
		}
		idf := BM25IDF(s.active, df)
		for _, p := range s.postings[t] {
			if !s.searchable(p.cl, regions) {
				continue
			}
			scores[p.cl.slot] += idf * BM25TF(float64(p.tf), float64(len(p.cl.c.Terms)), avg)
		}
	}
	var top topK
	top.k = q.K
	for slot, sc := range scores {
		if sc > 0 {
			top.push(s.slots[slot], sc)
		}
	}
	cands := s.candidates(top.sorted(), false)
	if qv := newQueryVector(q.Vector); qv.norm > 0 {
		for i, sc := range top.items {
			if sc.c.norm > 0 && len(sc.c.c.Embedding) == len(q.Vector) {
				cands[i].Cosine = sc.c.cosine(qv)
			}
		}
	}
	return cands, nil
}

// TermStats returns the corpus statistics of the active clauses for terms.
func (s *MemoryStore) TermStats(ctx context.Context, terms []string) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, fmt.Errorf("memory term stats: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Clauses: s.active, DF: make(map[string]int, len(terms))}
	if s.active > 0 {
		st.AvgLen = float64(s.totalLen) / float64(s.active)
	}
	for _, t := range terms {
		st.DF[t] = s.df[t]
	}
	return st, nil
}

// BM25IDF is the (non-negative) BM25 inverse document frequency.
func BM25IDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// BM25TF is BM25's saturated, length-normalised term frequency, in [0, k1+1).
func BM25TF(tf, length, avgLen float64) float64 {
	if avgLen <= 0 {
		avgLen = 1
	}
	return tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*length/avgLen))
}

func (s *MemoryStore) searchable(c *memClause, regions map[string]bool) bool {
	return c.doc.doc.Status == StatusActive && (regions == nil || regions[c.doc.doc.Region])
}

func regionSet(rs []string) map[string]bool {
	if rs == nil {
		return nil
	}
	m := make(map[string]bool, len(rs))
	for _, r := range rs {
		m[r] = true
	}
	return m
}

func (s *MemoryStore) candidates(scored []scoredClause, withCosine bool) []Candidate {
	out := make([]Candidate, len(scored))
	for i, sc := range scored {
		out[i] = Candidate{
			Document:     sc.c.doc.doc.Meta,
			Clause:       sc.c.c.Clause,
			Terms:        sc.c.c.Terms, // never mutated after ReplaceDocument
			TitleTerms:   sc.c.doc.titleTerms,
			PathTerms:    sc.c.pathTerms,
			ContextTerms: sc.c.c.Context,
		}
		if withCosine {
			out[i].Cosine = sc.score
		}
	}
	return out
}

// index adds d's clauses to the slots and postings (s.mu held).
func (s *MemoryStore) index(d *memDoc) {
	s.dims.Store(nil)
	for _, c := range d.clauses {
		if n := len(s.free); n > 0 {
			c.slot = s.free[n-1]
			s.free = s.free[:n-1]
			s.slots[c.slot] = c
		} else {
			c.slot = len(s.slots)
			s.slots = append(s.slots, c)
		}
		for t, n := range termCounts(c.c.Terms) {
			s.postings[t] = append(s.postings[t], posting{cl: c, tf: int32(n)})
		}
	}
	if d.doc.Status == StatusActive {
		s.count(d, +1)
	}
}

// unindex removes d's clauses from the slots and postings (s.mu held).
func (s *MemoryStore) unindex(d *memDoc) {
	s.dims.Store(nil)
	if d.doc.Status == StatusActive {
		s.count(d, -1)
	}
	terms := map[string]bool{}
	for _, c := range d.clauses {
		for _, t := range c.c.Terms {
			terms[t] = true
		}
		s.slots[c.slot] = nil
		s.free = append(s.free, c.slot)
	}
	for t := range terms {
		ps := slices.DeleteFunc(s.postings[t], func(p posting) bool { return p.cl.doc == d })
		if len(ps) == 0 {
			delete(s.postings, t)
		} else {
			s.postings[t] = ps
		}
	}
}

// count adds (sign +1) or subtracts (-1) d's clauses to the active statistics.
func (s *MemoryStore) count(d *memDoc, sign int) {
	for _, c := range d.clauses {
		s.active += sign
		s.totalLen += sign * len(c.c.Terms)
		for t := range termCounts(c.c.Terms) {
			s.df[t] += sign
			if s.df[t] <= 0 {
				delete(s.df, t)
			}
		}
	}
}

func termCounts(terms []string) map[string]int {
	m := make(map[string]int, len(terms))
	for _, t := range terms {
		m[t]++
	}
	return m
}

func dot(a, b []float32) float64 {
	var d float32
	for i, x := range a {
		d += x * b[i]
	}
	return float64(d)
}

func l2(v []float32) float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	return math.Sqrt(n)
}

type scoredClause struct {
	c     *memClause
	score float64
}

// topK keeps the k best-scored clauses; ties go to the earlier document
// order so results are deterministic.
type topK struct {
	k     int
	items []scoredClause
}

func (t *topK) push(c *memClause, score float64) {
	if len(t.items) < t.k {
		t.items = append(t.items, scoredClause{c, score})
		if len(t.items) == t.k {
			slices.SortFunc(t.items, byScore)
		}
		return
	}
	last := t.items[len(t.items)-1]
	if byScore(scoredClause{c, score}, last) >= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(t.items, scoredClause{c, score}, byScore)
	copy(t.items[i+1:], t.items[i:len(t.items)-1])
	t.items[i] = scoredClause{c, score}
}

func (t *topK) sorted() []scoredClause {
	slices.SortFunc(t.items, byScore)
	return t.items
}

func byScore(a, b scoredClause) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.c.c.ID, b.c.c.ID)
}
