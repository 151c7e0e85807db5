package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"policybot/embeddings"
	"policybot/policy"
	"policybot/segment"
)

// EmbedText is what gets embedded for a clause: the document title, the
// heading path and the clause text, so that a clause is found by what its
// document and section are about, not only by its own sentences.
func EmbedText(c policy.Clause, d policy.Meta) string {
	var b strings.Builder
	b.WriteString(d.Title)
	b.WriteByte('\n')
	for _, p := range c.Path {
		b.WriteString(p)
		b.WriteByte(' ')
	}
	if c.Title != "" && !slices.ContainsFunc(c.Path, func(p string) bool { return strings.Contains(p, c.Title) }) {
		b.WriteString(c.Title)
	}
	b.WriteByte('\n')
	b.WriteString(c.Text)
	return b.String()
}

// ClauseTerms are the lexical terms stored for a clause: those of
// EmbedText, i.e. the document title and heading path count as part of the
// clause (once: repeating them drowned the clause's own words in documents
// whose titles share the question's vocabulary).
func ClauseTerms(c policy.Clause, d policy.Meta) []string {
	return segment.IndexTerms(EmbedText(c, d))
}

// Searcher runs hybrid searches over a Store. It is safe for concurrent use.
type Searcher struct {
	store         Store
	emb           embeddings.Embedder
	defaultRegion string
	lex           *segment.Lexicon

	view atomic.Pointer[corpusView]
	// applicable caches the store's applicable clauses (Applicable).
	applicable applicableCache
	refresh    chan struct{} // held by the one refreshing view
	overrides  Overrides     // nil: no admin overrides
	now        func() time.Time
	fields     sync.Map // document title or heading path → its terms

	embedBudget time.Duration
	degraded    atomic.Int64

	slots chan struct{} // nil: searches run without limit
}

// LimitConcurrency lets at most n searches run at once; the others wait
// their turn. Over the in-memory store a search is pure CPU: with more
// searches than cores they all share the cores and all finish late, while
// waiting in line keeps the slowest replies near the average (measured: 50
// WeChat users back to back on 2 cores, p99 1,055 ms without a limit and 326
// ms with 2 slots). Over PostgreSQL, searches mostly wait for the database
// and need no limit. Call it before the first search.
func (s *Searcher) LimitConcurrency(n int) {
	if n > 0 {
		s.slots = make(chan struct{}, n)
	}
}

// NewSearcher returns a searcher over store embedding questions with emb;
// requests without a region are asked from defaultRegion (empty: nowhere in
// particular, so no jurisdiction preference unless the question names one).
func NewSearcher(store Store, emb embeddings.Embedder, defaultRegion string) *Searcher {
	return &Searcher{store: store, emb: emb, defaultRegion: defaultRegion, lex: segment.Default(),
		refresh: make(chan struct{}, 1), now: time.Now}
}

// DefaultEmbedBudget bounds the embedding of a question: an embeddings
// endpoint slower than this (or failing) leaves the search lexical-only
// rather than the question unanswered.
const DefaultEmbedBudget = 1500 * time.Millisecond

// SetEmbedBudget sets the time a question's embedding may take (0: DefaultEmbedBudget).
func (s *Searcher) SetEmbedBudget(d time.Duration) { s.embedBudget = d }

// Degraded is how many searches went lexical-only because the question
// could not be embedded in time (exported as a metric).
func (s *Searcher) Degraded() int64 { return s.degraded.Load() }

// embedQuery embeds the question within the embed budget. When the
// embedder fails or is late the search goes on lexical-only (nil vector:
// no vector candidates, cosine 0), logged and counted; only the caller's
// own cancellation is an error.
func (s *Searcher) embedQuery(ctx context.Context, q string) ([]float32, error) {
	budget := s.embedBudget
	if budget <= 0 {
		budget = DefaultEmbedBudget
	}
	ectx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	vecs, err := s.emb.Embed(ectx, []string{s.lex.StripFiller(segment.Normalize(q))})
	if err == nil && len(vecs) != 1 {
		err = fmt.Errorf("%d vectors for 1 text", len(vecs))
	}
	if err == nil {
		return vecs[0], nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("search: embed query: %w", ctx.Err())
	}
	s.degraded.Add(1)
	slog.Warn("search: question not embedded, searching lexical-only", "err", err)
	return nil, nil
}

// SetClock sets what "today" is for validity (default time.Now); call it
// before the first search.
func (s *Searcher) SetClock(now func() time.Time) { s.now = now }

// SetOverrides sets where the admins' validity overrides are kept; call it
// before the first search.
func (s *Searcher) SetOverrides(o Overrides) { s.overrides = o }

// Today is the day validity is decided on when a request names none.
func (s *Searcher) Today() string { return policy.Day(s.now()) }

// Tuning, measured on the dev sets with the local embedder (see the
// integration test for the figures).
const (
	// candidatesK is how many candidates the lexical search proposes.
	candidatesK = 60
	// vectorK is how many the vector search proposes. With the local
	// embedder the vectors hash the same terms the lexical side matches,
	// so its nearest clauses are mostly lexical candidates already: 20
	// instead of 60 gave the same hit@1, hit@3 and MRR on dev,
	// external-dev and xl-dev with corpus-xl (and on the three sets
	// without it; so did 10 and 0), and on PostgreSQL an HNSW search for
	// 20 takes less than half the time of one for 60.
	vectorK = 20
	// lexicalWeight is the share of the lexical score in the blend; the
	// rest is the cosine.
	lexicalWeight = 0.7
	// Jurisdiction factors: a clause of the preferred place (the asker's
	// region and its parents, or the place the question names) keeps its
	// score; national clauses lose a little (a local measure is the more
	// specific answer) and other places' clauses lose more.
	nationalFactor  = 0.85
	elsewhereFactor = 0.6
	// titleWeight is what an occurrence of a question term in the
	// document title counts, relative to one in the clause (see lexScorer).
	titleWeight = 0.6
	// conceptWeight is the concept score's share of the lexical score;
	// the rest is the bag-of-bigrams score (lexScorer), which still
	// rewards a clause for the question's phrases held together (办理时间),
	// evidence the concept split throws away (measured: 0.3 beat 0.5, 0.7
	// and 1 on the three question sets).
	conceptWeight = 0.3
	// conceptLenExp: a concept's weight grows with its term count to this
	// power (0.5 beat 0, 0.75 and 1): a longer concept is more specific,
	// but its bigrams are correlated.
	conceptLenExp = 0.5
	// conceptK1 saturates a concept's repeats more than BM25's k1 does, so
	// a clause covering another concept beats one repeating the same one
	// (0.5 beat 1.2; 0.2 was the same).
	conceptK1 = 0.5
	// pathWeight is the same for the heading path, shared by the
	// section's clauses.
	pathWeight = 0.6
	// preambleFactor and closingFactor discount a numbered document's
	// preamble and closing text (policy.Clause.Role): they repeat the
	// document's topic words (为深入贯彻落实…疫情防控…) without being a
	// measure, so they win only when they state what was asked (a news
	// release's facts above its numbered points). A closing paragraph
	// (本措施由…负责解释，自印发之日起施行) is kept for its dates, which the
	// answer reads as validity, more than to be quoted.
	preambleFactor = 0.8
	closingFactor  = 0.6
	// corpusViewTTL bounds how stale the searcher's view of the documents
	// (the regions used to notice places named in questions, the links
	// between versions, the admins' validity overrides) may be; a change
	// made through this process refreshes it at once (Invalidate).
	corpusViewTTL = time.Minute
	// tieMargin: a hit in force moves above a hit not in force that
	// scores at most this much (relative) better — two versions of one
	// article, or two equally good answers — and no further.
	tieMargin = 0.03
)

// MaxK bounds SearchRequest.K.
const MaxK = 50

// Search returns up to req.K hits, best first.
//
// Hit.Score is in [0, 1] and comparable across questions: it blends the
// share of the question's term weight (IDF-weighted, synonyms counting
// half) that the clause matches, where 1 means every question term occurs
// about as often as in an average clause, with the cosine similarity of
// question and clause embeddings, and multiplies by the jurisdiction
// factor. With the local embedder a score below roughly 0.2 means the corpus
// probably does not answer the question (measured: right answers 0.29–0.9,
// unanswerable dev questions ≤ 0.09; see EvalReport for the
// distributions).
func (s *Searcher) Search(ctx context.Context, req SearchRequest) ([]Hit, error) {
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-ctx.Done():
			return nil, fmt.Errorf("search: %w", ctx.Err())
		}
	}
	k := min(max(req.K, 1), MaxK)
	q := strings.TrimSpace(req.Query)
	if q == "" {
		return nil, errors.New("search: empty query")
	}
	terms := s.lex.Query(q)
	vec, err := s.embedQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	day := req.AsOf
	if day == "" {
		day = s.Today()
	} else if day, err = policy.ParseDay(day); err != nil {
		return nil, fmt.Errorf("search: as_of: %w", err)
	}
	if err := CheckStatus(req.Status); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	view, err := s.corpus(ctx)
	if err != nil {
		return nil, err
	}
	known, regionsOf := view.known, view.regionsOf
	named := mentionedPlaces(q, known)
	places := named
	if len(places) == 0 {
		region := req.Region
		if region == "" {
			region = s.defaultRegion
		}
		places = regionPlaces(region)
	}

	texts := make([]string, len(terms))
	for i, t := range terms {
		texts[i] = t.Text
	}
	concepts := s.lex.Concepts(isolatePlaces(q, named))
	stats, err := s.store.TermStats(ctx, union(texts, conceptTerms(concepts)))
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	lexTerms := selectiveTerms(texts, stats)
	queries := []Query{{Vector: vec, Terms: lexTerms, K: candidatesK}}
	if len(places) > 0 {
		// The preferred places' clauses compete among themselves too, so a
		// local answer is never crowded out of the candidates by other
		// regions' similar clauses.
		regions := []string{policy.RegionNational}
		for _, p := range places {
			regions = append(regions, regionsOf[p]...)
		}
		queries = append(queries, Query{Vector: vec, Terms: lexTerms, K: candidatesK, Regions: regions})
	}
	lists, err := s.propose(ctx, queries)
	if err != nil {
		return nil, err
	}
	// The candidates point into the stores' result slices; a clause both
	// searches propose is scored once.
	var cands []*Candidate
	seen := map[string]bool{}
	for _, l := range lists {
		for i := range l {
			if !seen[l[i].Clause.ID] {
				seen[l[i].Clause.ID] = true
				cands = append(cands, &l[i])
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	counter := newTermCounter()
	byConcept, byBigram := newConceptScorer(concepts, stats, counter), newLexScorer(terms, stats, counter)
	ranked := make([]scored, 0, len(cands))
	for _, c := range cands {
		title, path := c.TitleTerms, c.PathTerms
		if title == nil {
			title = s.fieldTerms(c.Document.Title)
		}
		if path == nil {
			path = s.fieldTerms(strings.Join(c.Clause.Path, " "))
		}
		counter.count(c.Terms, title, path, c.ContextTerms)
		lex := conceptWeight*byConcept.score(counter) + (1-conceptWeight)*byBigram.score(counter)
		score := lexicalWeight*lex + (1-lexicalWeight)*max(c.Cosine, 0)
		score *= jurisdiction(c.Document, c.Clause, places)
		switch c.Clause.Role {
		case policy.RolePreamble:
			score *= preambleFactor
		case policy.RoleClosing:
			score *= closingFactor
		}
		st := view.validity.Status(c.Document.ID, c.Clause.Validity, day)
		ranked = append(ranked, scored{min(max(score, 0), 1), c, st, byConcept.coverage(counter)})
	}
	slices.SortFunc(ranked, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.c.Clause.ID, b.c.Clause.ID)
	})
	preferCurrent(ranked)
	hits := make([]Hit, 0, min(k, len(ranked)))
	for _, r := range ranked {
		if len(hits) == k {
			break
		}
		if req.Status != "" && (r.status == nil || r.status.Status != req.Status) {
			continue
		}
		h := Hit{Score: r.score, Coverage: r.coverage, Document: r.c.Document, Clause: r.c.Clause}
		h.Document.Validity = r.status
		hits = append(hits, h)
	}
	return hits, nil
}

type scored struct {
	score    float64
	c        *Candidate
	status   *policy.ValidityStatus
	coverage float64
}

// currency orders statuses for preferCurrent: in force (or not known
// otherwise: an undated page is not evidence of an old one) first, then not
// yet in force, then what no longer applies. (Ranking unknown below in
// force cost xl-dev hit@3 0.789 → 0.781: undated 2020 news pages lost
// near-ties to dated notices of the same weeks.)
func currency(st *policy.ValidityStatus) int {
	switch {
	case st == nil || st.Status == policy.StatusInForce || st.Status == policy.StatusUnknown:
		return 0
	case st.Status == policy.StatusNotYetInForce:
		return 1
	}
	return 2
}

// preferCurrent moves each hit above the hits of a less current status that
// score at most tieMargin better: validity reorders only near-ties, so it
// never costs an answer that is clearly better (retrieval quality is the
// same), but of two versions of one article the one in force comes first.
func preferCurrent(ranked []scored) {
	for i := 1; i < len(ranked); i++ {
		for j := i; j > 0; j-- {
			up, down := ranked[j-1], ranked[j]
			if currency(down.status) >= currency(up.status) || up.score-down.score > tieMargin*up.score {
				break
			}
			ranked[j-1], ranked[j] = down, up
		}
	}
}

// propose runs the vector and the lexical search of each query and returns
// their results in that order (vector, lexical, for each query). Over a
// store that waits on a database (no concurrency limit set) the searches
// run at once, so a question costs the slowest of them rather than their
// sum (measured on PostgreSQL with corpus-xl: p50 101 → 81 ms, p99 226 →
// 171 ms);
// over the in-memory store they are CPU work and run one after the other.
func (s *Searcher) propose(ctx context.Context, queries []Query) ([][]Candidate, error) {
	lists := make([][]Candidate, 2*len(queries))
	run := func(i int) error {
		var err error
		if q := queries[i/2]; i%2 == 0 {
			q.K = min(q.K, vectorK)
			lists[i], err = s.store.VectorSearch(ctx, q)
		} else {
			lists[i], err = s.store.LexicalSearch(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		return nil
	}
	if s.slots != nil || len(lists) == 1 {
		for i := range lists {
			if err := run(i); err != nil {
				return nil, err
			}
		}
		return lists, nil
	}
	errs := make([]error, len(lists))
	var wg sync.WaitGroup
	for i := range lists {
		wg.Go(func() { errs[i] = run(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return lists, nil
}

// isolatePlaces sets the places a question names (with their
// administrative suffix: 北京市, 石景山区) apart by spaces, so that each is a
// concept of its own: 北京市采取 would otherwise be one concept whose
// cross-word bigram 市采 is rare and so dominates it.
func isolatePlaces(q string, places []string) string {
	for _, p := range places {
		i := strings.Index(q, p)
		if i < 0 {
			continue
		}
		end := i + len(p)
		for _, suf := range []string{"自治区", "自治州", "省", "市", "区", "县", "州"} {
			if strings.HasPrefix(q[end:], suf) {
				end += len(suf)
				break
			}
		}
		q = q[:i] + " " + q[i:end] + " " + q[end:]
	}
	return q
}

// Lexical candidate selection. A term found in a large share of clauses (企业,
// 支持) selects most of the corpus and costs a full scan in PostgreSQL (the
// GIN index is useless for it) while proposing nothing specific; the
// candidates are re-scored with every term afterwards anyway.
const (
	maxCommonShare = 0.05 // terms in more clauses than this share are not used to select candidates…
	minSelective   = 3    // …unless fewer selective terms than this remain: then the rarest are kept
	maxLexTerms    = 16   // at most this many terms, the rarest, select candidates
	// maxLexRows bounds the clauses the chosen terms select together (the
	// sum of their document frequencies); when even the rarest term is in
	// more clauses, there is no lexical search and the vector search
	// proposes alone. In PostgreSQL every selected clause is read and
	// ranked: at 1M clauses the three rarest terms of 小微企业续贷怎么办
	// selected 184k clauses and took 8 s, the rarest alone 1,501 clauses
	// and 87 ms. Measured at 1M (bench quality, 58 questions): no bound
	// 4.3 s a question, external-dev hit@3 0.633; 20,000 0.58 s, 0.600;
	// 5,000 0.21 s, 0.500. Below 25,000 clauses it never binds (16 terms
	// of at most 5 % each).
	maxLexRows = 20000
	// lexRowsShare: on real corpora the bound is this share of the
	// clauses, never under minLexRows, so that PostgreSQL reads fewer rows
	// where fewer suffice. Measured with corpus-xl (154k clauses): a bound
	// of 5,000 instead of 20,000 gave the same dev and external-dev
	// figures, xl-dev hit@3 0.791 instead of 0.789, and a quarter of the
	// rows to rank.
	lexRowsShare = 0.02
	minLexRows   = 5000
)

// lexRowBound is the maxLexRows bound for a corpus of n clauses.
func lexRowBound(n int) int {
	return min(max(int(lexRowsShare*float64(n)), minLexRows), maxLexRows)
}

// selectiveTerms picks the terms that select lexical candidates: those the
// corpus has, rarest first, common ones only when too few rare ones remain.
func selectiveTerms(terms []string, st Stats) []string {
	var present []string
	for _, t := range terms {
		if st.DF[t] > 0 && !slices.Contains(present, t) {
			present = append(present, t)
		}
	}
	slices.SortStableFunc(present, func(a, b string) int { return cmp.Compare(st.DF[a], st.DF[b]) })
	n := 0
	for n < len(present) && float64(st.DF[present[n]]) <= maxCommonShare*float64(st.Clauses) {
		n++
	}
	n = min(max(n, min(minSelective, len(present))), maxLexTerms)
	rows, bound := 0, lexRowBound(st.Clauses)
	for i, t := range present[:n] {
		if rows += st.DF[t]; rows > bound {
			n = i
			break
		}
	}
	if n == 0 {
		return nil
	}
	return present[:n]
}

// jurisdiction is the factor a clause's score is multiplied by. A document
// whose region the parser could not tell (a news release, a notice without
// an issuer line: a tenth of corpus-xl) is not another place's: its clause
// counts as the place's when it names the place, else as elsewhere
// (measured: counting it as national, 0.85, lifted xl-dev hit@3 to 0.807
// but let a national guide displace 重庆's answer in external-dev, 0.933 →
// 0.900; 0.72 did the same; 0.6 lifts xl-dev hit@3 0.784 → 0.789 alone).
func jurisdiction(d policy.Meta, c policy.Clause, places []string) float64 {
	switch {
	case len(places) == 0:
		return 1
	case inPlace(d, places):
		return 1
	case d.Region == policy.RegionNational:
		return nationalFactor
	case d.Region == "":
		for _, p := range places {
			if strings.Contains(c.Text, p) || slices.ContainsFunc(c.Path, func(h string) bool { return strings.Contains(h, p) }) {
				return 1
			}
		}
		return elsewhereFactor
	default:
		return elsewhereFactor
	}
}

// fieldTerms returns the terms of a document title or heading path,
// cached: every candidate of a document or section needs them.
func (s *Searcher) fieldTerms(text string) []string {
	if v, ok := s.fields.Load(text); ok {
		return v.([]string)
	}
	ts := s.lex.Terms(text)
	s.fields.Store(text, ts)
	return ts
}

// corpusView is what the searcher knows of the whole corpus: the core names
// of the places its documents belong to and, for each, the exact region
// strings of those documents (for region-filtered candidate searches), and
// the documents' validity.
type corpusView struct {
	known     []string
	regionsOf map[string][]string
	validity  *ValidityIndex
	at        time.Time
}

// corpus returns the view, refreshed when older than corpusViewTTL. One
// search refreshes it while the others go on with the stale view, so a
// slow store holds up one search, not all of them; only the first view is
// waited for (within ctx).
func (s *Searcher) corpus(ctx context.Context) (*corpusView, error) {
	v := s.view.Load()
	if v != nil && time.Since(v.at) < corpusViewTTL && v.validity.Len() > 0 {
		return v, nil // an empty view is reloaded each time: the first documents count at once
	}
	if v != nil {
		select {
		case s.refresh <- struct{}{}:
		default:
			return v, nil // another search is refreshing it
		}
	} else {
		select {
		case s.refresh <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("search: list documents: %w", ctx.Err())
		}
		if v := s.view.Load(); v != nil && time.Since(v.at) < corpusViewTTL {
			<-s.refresh
			return v, nil
		}
	}
	defer func() { <-s.refresh }()
	nv, err := s.loadView(ctx)
	if err != nil {
		if v != nil {
			return v, nil // keep answering from what was known
		}
		return nil, err
	}
	s.view.Store(nv)
	return nv, nil
}

// Invalidate makes the next search reload the corpus view (after an
// ingest, a retirement or a validity override made in this process).
func (s *Searcher) Invalidate() {
	if v := s.view.Load(); v != nil {
		stale := *v
		stale.at = time.Time{}
		s.view.Store(&stale)
	}
}

// Validity returns the searcher's validity index (refreshed as searches refresh it).
func (s *Searcher) Validity(ctx context.Context) (*ValidityIndex, error) {
	v, err := s.corpus(ctx)
	if err != nil {
		return nil, err
	}
	return v.validity, nil
}

func (s *Searcher) loadView(ctx context.Context) (*corpusView, error) {
	docs, err := s.store.Documents(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: list documents: %w", err)
	}
	var over map[string]ValidityOverride
	if s.overrides != nil {
		if over, err = s.overrides.ValidityOverrides(ctx); err != nil {
			return nil, fmt.Errorf("search: validity overrides: %w", err)
		}
	}
	regionsOf := map[string][]string{}
	seen := map[string]bool{}
	for _, d := range docs {
		if d.Region == "" || d.Region == policy.RegionNational || seen[d.Region] {
			continue
		}
		seen[d.Region] = true
		for _, p := range regionPlaces(d.Region) {
			regionsOf[p] = append(regionsOf[p], d.Region)
		}
	}
	known := make([]string, 0, len(regionsOf))
	for p := range regionsOf {
		known = append(known, p)
	}
	slices.Sort(known)
	return &corpusView{known: known, regionsOf: regionsOf, validity: NewValidityIndex(docs, over), at: time.Now()}, nil
}

// conceptScorer scores a clause by the question's concepts it covers
// (see segment.Concepts). Each concept weighs the mean IDF of its terms
// times its term count raised to conceptLenExp (a longer concept is more
// specific, but not proportionally: its inner bigrams are correlated). A
// clause covers a concept by the IDF-weighted share of the concept's terms
// it contains — or of a synonym's terms, at segment.SynonymWeight — and
// repeats of a covered concept add a little (conceptK1 saturation), so a
// clause covering three concepts beats one repeating a single concept.
// Terms matched only in the document title or the heading path, which all
// siblings share, count titleWeight or pathWeight.
type conceptScorer struct {
	concepts []scoredConcept
	ideal    float64 // sum of the concepts' weights
	avgLen   float64
}

type scoredConcept struct {
	weight float64
	known  float64   // the share of the concept's IDF in terms some clause has
	forms  []termSet // the concept's own terms first, then each synonym's
}

// termSet is a set of terms (numbered by a termCounter) with their share
// of the set's IDF.
type termSet struct {
	terms  []int
	shares []float64
	factor float64 // 1 for the concept's own terms, segment.SynonymWeight for a synonym's
}

// union returns the distinct strings of a and b, in order.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	seen := make(map[string]bool, len(a)+len(b))
	for _, l := range [][]string{a, b} {
		for _, t := range l {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// conceptTerms lists every term the concepts need statistics for.
func conceptTerms(cs []segment.Concept) []string {
	var out []string
	seen := map[string]bool{}
	add := func(ts []string) {
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	for _, c := range cs {
		add(c.Terms)
		for _, syn := range c.Synonyms {
			add(syn)
		}
	}
	return out
}

func newConceptScorer(cs []segment.Concept, st Stats, tc *termCounter) *conceptScorer {
	sc := &conceptScorer{avgLen: st.AvgLen}
	for _, c := range cs {
		var sum float64
		for _, t := range c.Terms {
			sum += BM25IDF(st.Clauses, st.DF[t])
		}
		w := sum / float64(len(c.Terms)) * math.Pow(float64(len(c.Terms)), conceptLenExp)
		sc.ideal += w
		own, ok := newTermSet(c.Terms, 1, st, tc)
		// The share of the concept's IDF in terms no clause has: what no
		// clause can cover (减肥 of 快速减肥), for coverage.
		var unseen float64
		for _, t := range c.Terms {
			if st.DF[t] == 0 {
				unseen += BM25IDF(st.Clauses, 0)
			}
		}
		if !ok {
			// No clause has any of its terms: the question asks about
			// something the corpus does not mention, which counts against
			// every clause alike.
			continue
		}
		k := scoredConcept{weight: w, forms: []termSet{own}, known: 1 - unseen/(sum+1e-12)}
		for _, syn := range c.Synonyms {
			if ts, ok := newTermSet(syn, segment.SynonymWeight, st, tc); ok {
				k.forms = append(k.forms, ts)
			}
		}
		sc.concepts = append(sc.concepts, k)
	}
	return sc
}

// newTermSet keeps the terms some clause has, each with its share of their
// IDF; ok is false when no clause has any.
func newTermSet(terms []string, factor float64, st Stats, tc *termCounter) (termSet, bool) {
	ts := termSet{factor: factor}
	var sum float64
	for _, t := range terms {
		if df := st.DF[t]; df > 0 {
			idf := BM25IDF(st.Clauses, df)
			ts.terms = append(ts.terms, tc.id(t))
			ts.shares = append(ts.shares, idf)
			sum += idf
		}
	}
	if sum == 0 {
		return ts, false
	}
	for i := range ts.shares {
		ts.shares[i] /= sum
	}
	return ts, true
}

// score is in [0, 1]: the covered share of the concepts' weight, capped,
// for the clause tc last counted.
func (sc *conceptScorer) score(tc *termCounter) float64 {
	if sc.ideal == 0 {
		return 0
	}
	all, title, path, length := tc.all, tc.title, tc.path, tc.length
	var sum float64
	for _, c := range sc.concepts {
		best := 0.0
		for _, f := range c.forms {
			var cov, rep float64
			for i, t := range f.terms {
				n := all[t]
				if n == 0 {
					if tc.context[t] > 0 {
						cov += f.shares[i] * contextWeight
						rep += f.shares[i] * contextWeight
					}
					continue
				}
				// Occurrences outside the title and path are the clause's own.
				nt, np := title[t], path[t]
				own := n - nt - np
				present := 1.0
				if own <= 0 {
					present = 0
					if nt > 0 {
						present = titleWeight
					}
					if np > 0 {
						present = max(present, pathWeight)
					}
				}
				cov += f.shares[i] * present
				rep += f.shares[i] * (max(own, 0) + titleWeight*nt + pathWeight*np)
			}
			if cov > 0 {
				best = max(best, f.factor*cov*conceptTF(rep/cov, length, sc.avgLen))
			}
		}
		sum += c.weight * best
	}
	return min(sum/sc.ideal, 1)
}

// coverage is in [0, 1]: the share of the question's concept weight the
// clause tc last counted covers at all (title and path at their weights,
// synonyms at theirs), however often it repeats them. Concepts no clause
// has count against it. It is the evidence that the clause is about what
// was asked, as the answer service reads it (Hit.Coverage).
func (sc *conceptScorer) coverage(tc *termCounter) float64 {
	if sc.ideal == 0 {
		return 0
	}
	var sum float64
	for _, c := range sc.concepts {
		best := 0.0
		for _, f := range c.forms {
			var cov float64
			for i, t := range f.terms {
				n := tc.all[t]
				if n == 0 {
					if tc.context[t] > 0 {
						cov += f.shares[i] * contextWeight
					}
					continue
				}
				present := 1.0
				if n-tc.title[t]-tc.path[t] <= 0 {
					present = 0
					if tc.title[t] > 0 {
						present = titleWeight
					}
					if tc.path[t] > 0 {
						present = max(present, pathWeight)
					}
				}
				cov += f.shares[i] * present
			}
			best = max(best, f.factor*cov)
		}
		sum += c.weight * best * c.known
	}
	return min(sum/sc.ideal, 1)
}

// conceptTF saturates a concept's mean occurrence count m: 1 for one
// occurrence in a clause of average length, at most conceptK1+1.
func conceptTF(m, length, avgLen float64) float64 {
	if avgLen <= 0 {
		avgLen = 1
	}
	return m * (conceptK1 + 1) / (m + conceptK1*(1-bm25B+bm25B*length/avgLen))
}

// lexScorer scores a clause's terms against the weighted question terms.
type lexScorer struct {
	terms  []int     // the question's terms some clause has, numbered by a termCounter
	weight []float64 // each term's question weight × IDF
	ideal  float64   // the question's own terms, each matched once in an average clause
	avgLen float64
}

func newLexScorer(terms []segment.Term, st Stats, tc *termCounter) *lexScorer {
	ls := &lexScorer{avgLen: st.AvgLen}
	for _, t := range terms {
		df := st.DF[t.Text]
		if df == 0 {
			// A term no clause has still counts against the ideal: the
			// question asks about something the corpus does not mention.
			if t.Weight == 1 {
				ls.ideal += BM25IDF(st.Clauses, 0)
			}
			continue
		}
		w := t.Weight * BM25IDF(st.Clauses, df)
		ls.terms = append(ls.terms, tc.id(t.Text))
		ls.weight = append(ls.weight, w)
		if t.Weight == 1 {
			ls.ideal += w
		}
	}
	return ls
}

// score is in [0, 1]: the matched share of the ideal, capped. Occurrences
// in the document title (which every clause of the document repeats) count
// titleWeight each: the title tells what the document is about, the clause
// must still say it to win over its siblings.
// The clause is the one tc last counted.
func (ls *lexScorer) score(tc *termCounter) float64 {
	if ls.ideal == 0 {
		return 0
	}
	var sum float64
	for i, t := range ls.terms {
		n := tc.all[t]
		if n == 0 {
			if tc.context[t] > 0 {
				sum += ls.weight[i] * BM25TF(contextWeight, tc.length, ls.avgLen)
			}
			continue
		}
		n -= (1 - titleWeight) * tc.title[t]
		sum += ls.weight[i] * BM25TF(n, tc.length, ls.avgLen)
	}
	return min(sum/ls.ideal, 1)
}

// termCounter numbers the terms the scorers look for, so that counting a
// candidate's terms costs one map lookup per term into reused slices
// (string-keyed maps per candidate were a third of a search's CPU).
type termCounter struct {
	index            map[string]int
	filter           [filterWords]uint64 // a bit per hashed numbered term: most clause terms miss it and skip the map
	all, title, path []float64
	context          []float64
	length           float64 // the clause's term count
}

func newTermCounter() *termCounter {
	return &termCounter{index: map[string]int{}}
}

// id returns t's number, numbering it if new. Call it before count.
func (tc *termCounter) id(t string) int {
	if i, ok := tc.index[t]; ok {
		return i
	}
	i := len(tc.index)
	tc.index[t] = i
	h := termHash(t) % (filterWords * 64)
	tc.filter[h/64] |= 1 << (h % 64)
	return i
}

const filterWords = 64

// termHash is FNV-1a: a term is a few bytes (a CJK bigram is six).
func termHash(t string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(t); i++ {
		h ^= uint32(t[i])
		h *= 16777619
	}
	return h
}

// count takes a clause's terms (title and path included, as the stores keep
// them), its document title's, its heading path's and its section context.
func (tc *termCounter) count(clauseTerms, titleTerms, pathTerms, contextTerms []string) {
	n := len(tc.index)
	if len(tc.all) != n {
		tc.all, tc.title, tc.path, tc.context = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	} else {
		clear(tc.all)
		clear(tc.title)
		clear(tc.path)
		clear(tc.context)
	}
	tc.tally(tc.all, clauseTerms)
	tc.tally(tc.title, titleTerms)
	tc.tally(tc.path, pathTerms)
	tc.tally(tc.context, contextTerms)
	tc.length = float64(len(clauseTerms))
}

func (tc *termCounter) tally(dst []float64, terms []string) {
	for _, t := range terms {
		h := termHash(t) % (filterWords * 64)
		if tc.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		if i, ok := tc.index[t]; ok {
			dst[i]++
		}
	}
}
