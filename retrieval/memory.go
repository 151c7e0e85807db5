package retrieval

import (
	"cmp"
	"context"
	"fmt"
	"maps"
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
// start-up from the corpus folders and is safe for concurrent use; a
// replaced document swaps under the write lock, so readers see the old or
// the new version, never half.
//
// It is laid out for a corpus of thousands of documents in a server's
// memory: terms are numbered once for the whole store (a clause holds 4-byte
// term numbers, not strings), postings hold clause slots, and embeddings
// that are mostly zeros (the local embedder's hashed features) are held as
// their non-zero entries only. With seeds + corpus + corpus-xl (154k
// clauses) that took the live heap from 1.54 GB to the figure in
// BENCHMARKS.md.
type MemoryStore struct {
	mu       sync.RWMutex
	dims     atomic.Pointer[dimIndex] // nil after a change; see vectorIndex
	dimsMu   sync.Mutex               // one build at a time
	docs     map[string]*memDoc
	slots    []*memClause // by memClause.slot; nil when free
	free     []int
	dict     termDict
	postings [][]posting // by term number
	df       []int32     // active clauses containing each term, by term number
	active   int         // active clauses
	totalLen int         // terms in active clauses
	model    Model
	cache    map[string]map[string]vector // model name → text hash → vector
	scratch  termScratch                  // counting a clause's distinct terms (s.mu held for writing)
}

var _ Store = (*MemoryStore)(nil)

// termDict numbers terms.
type termDict struct {
	ids   map[string]uint32
	terms []string
}

// id returns t's number, numbering it if new.
func (d *termDict) id(t string) uint32 {
	if i, ok := d.ids[t]; ok {
		return i
	}
	i := uint32(len(d.terms))
	d.ids[t] = i
	d.terms = append(d.terms, t)
	return i
}

// numbers numbers every term of ts.
func (d *termDict) numbers(ts []string) []uint32 {
	if len(ts) == 0 {
		return nil
	}
	out := make([]uint32, len(ts))
	for i, t := range ts {
		out[i] = d.id(t)
	}
	return out
}

// strings returns the terms of numbers.
func (d *termDict) strings(ns []uint32) []string {
	if len(ns) == 0 {
		return nil
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = d.terms[n]
	}
	return out
}

// termScratch counts the distinct terms of one clause without a map.
type termScratch struct {
	tf      []int32
	touched []uint32
}

// each calls f once for each distinct term of ns with its count.
func (sc *termScratch) each(ns []uint32, size int, f func(id uint32, tf int32)) {
	if len(sc.tf) < size {
		sc.tf = append(sc.tf, make([]int32, size-len(sc.tf))...)
	}
	sc.touched = sc.touched[:0]
	for _, n := range ns {
		if sc.tf[n] == 0 {
			sc.touched = append(sc.touched, n)
		}
		sc.tf[n]++
	}
	for _, n := range sc.touched {
		f(n, sc.tf[n])
		sc.tf[n] = 0
	}
}

// vector is a clause embedding: dense, or as its non-zero entries when few
// are non-zero (see maxSparseShare).
type vector struct {
	dense []float32
	idx   []uint16
	val   []float32
	dims  int
}

func newVector(v []float32) vector {
	if idx, val, ok := sparseOf(v); ok && len(v) <= math.MaxUint16+1 {
		idx16 := make([]uint16, len(idx))
		for i, j := range idx {
			idx16[i] = uint16(j)
		}
		return vector{idx: idx16, val: val, dims: len(v)}
	}
	return vector{dense: slices.Clone(v), dims: len(v)}
}

func (v vector) sparse() bool { return v.dense == nil && v.dims > 0 }

// full returns the vector with every entry (a new slice for a sparse one).
func (v vector) full() []float32 {
	if !v.sparse() {
		return v.dense
	}
	out := make([]float32, v.dims)
	for i, j := range v.idx {
		out[j] = v.val[i]
	}
	return out
}

func (v vector) norm() float64 {
	if v.sparse() {
		return l2(v.val)
	}
	return l2(v.dense)
}

type memDoc struct {
	doc        StoredDocument
	clauses    []*memClause
	titleTerms []string // see Candidate.TitleTerms
}

type memClause struct {
	doc       *memDoc
	c         policy.Clause
	textHash  string
	terms     []uint32 // IndexedClause.Terms, numbered
	context   []uint32 // IndexedClause.Context, numbered
	pathTerms []uint32 // see Candidate.PathTerms
	vec       vector
	slot      int
	norm      float64 // L2 norm of the embedding, 0 for none
}

// maxSparseShare is the share of non-zero dimensions below which an
// embedding is held sparse: the store's dimension index holds it and a
// search touches only its entries for the question's dimensions.
const maxSparseShare = 0.4

func (s *MemoryStore) newMemClause(d *memDoc, c IndexedClause, paths map[string][]uint32) *memClause {
	mc := &memClause{doc: d, c: c.Clause, textHash: c.TextHash, terms: s.dict.numbers(c.Terms), context: s.dict.numbers(c.Context)}
	key := strings.Join(c.Path, " ")
	pt, ok := paths[key]
	if !ok {
		// Siblings share their heading path's terms.
		pt = s.dict.numbers(segment.Terms(key))
		paths[key] = pt
	}
	mc.pathTerms = pt
	if c.Embedding != nil {
		mc.vec = newVector(c.Embedding)
		mc.norm = mc.vec.norm()
	}
	return mc
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
	if c.vec.sparse() {
		var d float32
		for i, j := range c.vec.idx {
			d += c.vec.val[i] * q.v[j]
		}
		return float64(d) / (c.norm * q.norm)
	}
	if !q.sparse {
		return dot(c.vec.dense, q.v) / (c.norm * q.norm)
	}
	e := c.vec.dense
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
	counts := map[int]int{}
	for _, c := range s.slots {
		if c == nil || c.norm == 0 || !c.vec.sparse() {
			continue
		}
		for _, j := range c.vec.idx {
			counts[int(j)]++
		}
	}
	for _, c := range s.slots {
		if c == nil || c.norm == 0 {
			continue
		}
		if !c.vec.sparse() {
			idx.dense = append(idx.dense, c)
			continue
		}
		if n := c.vec.dims; n > len(idx.post) {
			idx.post = append(idx.post, make([][]dimPosting, n-len(idx.post))...)
		}
		for i, j := range c.vec.idx {
			if idx.post[j] == nil {
				idx.post[j] = make([]dimPosting, 0, counts[int(j)])
			}
			idx.post[j] = append(idx.post[j], dimPosting{int32(c.slot), c.vec.val[i]})
		}
	}
	s.dims.Store(idx)
	return idx
}

type posting struct {
	slot int32
	tf   int32
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		docs:  map[string]*memDoc{},
		dict:  termDict{ids: map[string]uint32{}},
		cache: map[string]map[string]vector{},
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
		cs[i] = c.c
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
		cache = map[string]vector{}
		s.cache[s.model.Name] = cache
	}
	paths := map[string][]uint32{}
	for i, c := range clauses {
		mc := s.newMemClause(d, c, paths)
		d.clauses[i] = mc
		if c.TextHash != "" && c.Embedding != nil {
			cache[c.TextHash] = mc.vec
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
			out[h] = slices.Clone(v.full())
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
		// Whether the clause would make the top K is the cheap test, so
		// it comes first: most clauses share a dimension with the question.
		if c != nil && c.norm != 0 && top.admits(c, cos) && s.searchable(c, regions) && c.vec.dims == len(q.Vector) {
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
			if c := s.slots[slot]; d == 0 && c != nil && c.vec.sparse() {
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
		id, ok := s.dict.ids[t]
		if !ok || s.df[id] == 0 {
			continue
		}
		idf := BM25IDF(s.active, int(s.df[id]))
		for _, p := range s.postings[id] {
			cl := s.slots[p.slot]
			if !s.searchable(cl, regions) {
				continue
			}
			scores[p.slot] += idf * BM25TF(float64(p.tf), float64(len(cl.terms)), avg)
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
			if sc.c.norm > 0 && sc.c.vec.dims == len(q.Vector) {
				cands[i].Cosine = sc.c.cosine(qv)
			}
		}
	}
	return cands, nil
}

// Applicable returns the clauses of active documents that name whom they
// are for, document by document in ID order.
func (s *MemoryStore) Applicable(ctx context.Context) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory applicable: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Candidate
	for _, id := range slices.Sorted(maps.Keys(s.docs)) {
		d := s.docs[id]
		if d.doc.Status != StatusActive {
			continue
		}
		for _, c := range d.clauses {
			if c.c.Applicability != nil {
				out = append(out, Candidate{Document: d.doc.Meta, Clause: c.c})
			}
		}
	}
	return out, nil
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
		if id, ok := s.dict.ids[t]; ok {
			st.DF[t] = int(s.df[id])
		} else {
			st.DF[t] = 0
		}
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
			Clause:       sc.c.c,
			Terms:        s.dict.strings(sc.c.terms),
			TitleTerms:   sc.c.doc.titleTerms,
			PathTerms:    s.dict.strings(sc.c.pathTerms),
			ContextTerms: s.dict.strings(sc.c.context),
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
		if n := len(s.dict.terms); n > len(s.postings) {
			s.postings = append(s.postings, make([][]posting, n-len(s.postings))...)
			s.df = append(s.df, make([]int32, n-len(s.df))...)
		}
		s.scratch.each(c.terms, len(s.dict.terms), func(id uint32, tf int32) {
			s.postings[id] = append(s.postings[id], posting{slot: int32(c.slot), tf: tf})
		})
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
	terms := map[uint32]bool{}
	slots := make(map[int32]bool, len(d.clauses))
	for _, c := range d.clauses {
		for _, t := range c.terms {
			terms[t] = true
		}
		slots[int32(c.slot)] = true
	}
	for t := range terms {
		ps := slices.DeleteFunc(s.postings[t], func(p posting) bool { return slots[p.slot] })
		if len(ps) == 0 {
			ps = nil
		}
		s.postings[t] = ps
	}
	for _, c := range d.clauses {
		s.slots[c.slot] = nil
		s.free = append(s.free, c.slot)
	}
}

// count adds (sign +1) or subtracts (-1) d's clauses to the active statistics.
func (s *MemoryStore) count(d *memDoc, sign int) {
	for _, c := range d.clauses {
		s.active += sign
		s.totalLen += sign * len(c.terms)
		s.scratch.each(c.terms, len(s.dict.terms), func(id uint32, _ int32) {
			s.df[id] += int32(sign)
		})
	}
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

// admits reports whether c scored score would enter the top K now.
func (t *topK) admits(c *memClause, score float64) bool {
	if len(t.items) < t.k {
		return true
	}
	return byScore(scoredClause{c, score}, t.items[len(t.items)-1]) < 0
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
