package postgres

import (
	"sync"
	"time"

	"policybot/retrieval"
)

// Under load most of an answer's database time went to sending and decoding
// the same clauses again and again: each search returned 60 clauses with
// their text, terms and heading path (about 2 KB each; decoding the text
// arrays was a third of the server's CPU) and read each one's 4 KB
// embedding out of line (TOAST) for its cosine, and the corpus statistics
// were read in a transaction of their own. The store therefore keeps what does
// not change between two writes of the corpus in memory, each entry checked
// against the database so a change made by another replica is never
// missed: clauses by their row versions, read back only when new or
// changed, with their embeddings (the cosine is worked out here), and term
// statistics by the corpus_stats row's version.

// clauseCacheSize bounds the clauses kept: about 2.5 KB each and 4 KB of
// embedding (with the local embedder's 1,024 dimensions), so ~65 MB at
// most — every clause of a corpus like seeds + corpus (2,392), the clauses
// questions actually reach in a larger one.
const clauseCacheSize = 10_000

// clauseVersion identifies one committed state of a clause as a search
// sees it: the xmin of its row and of its document's row. Any update of
// either (new text, new validity facts, a changed title or region) writes a
// new row version with a new xmin.
type clauseVersion struct{ clause, document int64 }

type cachedClause struct {
	version clauseVersion
	c       retrieval.Candidate // Cosine unset: it belongs to a query
	vec     []float32           // the embedding; nil: none
	norm    float64             // its length; 0: no similarity
}

// clauseCache maps clause ids to the candidate columns of one version.
type clauseCache struct {
	mu sync.RWMutex
	m  map[string]cachedClause
}

// get returns the cached clause id if it is at version v.
func (cc *clauseCache) get(id string, v clauseVersion) (cachedClause, bool) {
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if !ok || e.version != v {
		return cachedClause{}, false
	}
	return e, true
}

// put keeps c at version v. When the cache is full a tenth of it is dropped
// (in map order, which is arbitrary): cheaper than keeping a recency list
// on every hit, and a dropped clause costs one read when next proposed.
func (cc *clauseCache) put(e cachedClause) {
	e.c.Cosine = 0
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil {
		cc.m = make(map[string]cachedClause)
	}
	if _, ok := cc.m[e.c.Clause.ID]; !ok && len(cc.m) >= clauseCacheSize {
		drop := clauseCacheSize / 10
		for id := range cc.m {
			delete(cc.m, id)
			if drop--; drop == 0 {
				break
			}
		}
	}
	cc.m[e.c.Clause.ID] = e
}

// statsTTL is how long the cached corpus statistics are used without
// asking whether the corpus changed. A write through this store clears them
// at once; a write by another replica is seen within statsTTL. The figures
// only weigh terms (IDF, average length), so a second's lag costs nothing
// a user could notice, and it spares a query per question.
const statsTTL = time.Second

// statsCacheTerms bounds the document frequencies kept.
const statsCacheTerms = 100_000

// statsCache holds the corpus statistics of one version of corpus_stats
// and the document frequencies read at that version (0 for a term no active
// clause has).
type statsCache struct {
	mu      sync.Mutex
	version int64 // xmin of the corpus_stats row; 0: nothing cached
	checked time.Time
	clauses int64
	terms   int64
	df      map[string]int
}

// lookup returns the statistics of terms when the cache is fresh and knows
// every one of them.
func (sc *statsCache) lookup(terms []string, now time.Time) (retrieval.Stats, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.version == 0 || now.Sub(sc.checked) >= statsTTL {
		return retrieval.Stats{}, false
	}
	st := sc.stats(len(terms))
	for _, t := range terms {
		df, ok := sc.df[t]
		if !ok {
			return retrieval.Stats{}, false
		}
		if df > 0 {
			st.DF[t] = df
		}
	}
	return st, true
}

func (sc *statsCache) stats(n int) retrieval.Stats {
	st := retrieval.Stats{Clauses: int(sc.clauses), DF: make(map[string]int, n)}
	if sc.clauses > 0 {
		st.AvgLen = float64(sc.terms) / float64(sc.clauses)
	}
	return st
}

// update records statistics read in one snapshot at version: the corpus
// figures and the document frequency of every one of terms (absent: 0).
// A new version replaces everything cached.
func (sc *statsCache) update(version int64, st retrieval.Stats, totalTerms int64, terms []string, now time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if version != sc.version || sc.df == nil || len(sc.df)+len(terms) > statsCacheTerms {
		sc.version, sc.clauses, sc.terms = version, int64(st.Clauses), totalTerms
		sc.df = make(map[string]int, len(terms))
	}
	sc.checked = now
	for _, t := range terms {
		sc.df[t] = st.DF[t]
	}
}

// invalidate makes the next lookup ask the database.
func (sc *statsCache) invalidate() {
	sc.mu.Lock()
	sc.version = 0
	sc.mu.Unlock()
}
