package answer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"policybot/retrieval"
	"policybot/state"
)

// Searcher finds the clauses for a question; *retrieval.Searcher implements it.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

// Sessions keeps conversation state; state.Memory and postgres.Store implement it.
type Sessions interface {
	LoadSession(ctx context.Context, id string) ([]byte, error)
	SaveSession(ctx context.Context, id string, data []byte, ttl time.Duration) error
}

// Recorder keeps refused and low-confidence questions for the admins.
type Recorder interface {
	RecordUnanswered(ctx context.Context, u state.Unanswered) error
}

var (
	_ Sessions = (*state.Memory)(nil)
	_ Recorder = (*state.Memory)(nil)
)

// Defaults applied by New to zero Config fields.
const (
	DefaultBudget = 3500 * time.Millisecond
	// The evidence an answer needs. A question is refused when its best
	// hit covers less than MinCoverage of the question's concepts
	// (retrieval.Hit.Coverage: what the clause is about, per question,
	// whatever the corpus size) or scores below MinScore; it is answered
	// with a hedge ("未找到完全对应的条款…", confidence low) below
	// HedgeCoverage or LowScore. Measured with the local embedder over
	// seeds + shared/corpus on dev, external-dev, validation (95 answerable)
	// and answer/testdata/out-of-scope (45): the fixed score cut-off of
	// 0.30 alone answered 8 of the 45 out-of-scope questions (快速减肥 on a
	// clause about 快速预审, 汇率, 快递); coverage below 0.28 holds 40 of
	// them and 4 of the 95 answerable ones, whose right clause is mostly not
	// in the top three anyway.
	DefaultMinScore      = 0.25
	DefaultLowScore      = 0.35
	DefaultMinCoverage   = 0.28
	DefaultHedgeCoverage = 0.40
	DefaultRelated       = 0.85
	DefaultK             = 10
	// SessionTTL is how long a conversation is remembered after its last question.
	SessionTTL = 30 * time.Minute
	// maxCitations bounds the clauses one answer cites; the generator
	// chooses them among up to maxCandidates.
	maxCitations  = 3
	maxCandidates = 5
)

// Config configures a Service. Zero fields take the defaults above.
type Config struct {
	Searcher      Searcher  // required
	Generator     Generator // nil: Extractive
	Sessions      Sessions  // nil: every question stands alone
	Recorder      Recorder  // nil: refused questions are only logged
	DefaultRegion string    // region of askers who give none
	// Budget bounds, from the start of Ask, the time a non-extractive
	// generator may take before the extractive answer is used instead.
	Budget time.Duration
	// MinScore: when the best hit scores below it, the question is refused.
	MinScore float64
	// LowScore: answers whose best hit scores below it are hedged and
	// recorded as low-confidence.
	LowScore float64
	// MinCoverage and HedgeCoverage are the same for the best hit's coverage
	// of the question's concepts (retrieval.Hit.Coverage).
	MinCoverage, HedgeCoverage float64
	// Related: a further document is cited only when its hit scores at least
	// Related times the best hit's score.
	Related float64
	K       int // hits fetched per question (follow-ups page through them)
	// Concurrency, when positive, is how many questions are worked on at
	// once; the others wait their turn in arrival order. Set it to the
	// cores when answering is CPU work in this process (memory store and
	// state): a queue keeps each answer's latency near the mean, where
	// answers sharing the cores under load all slow down together and the
	// tail grows (measured with 50 users on /wechat; see BENCHMARKS.md). A
	// question waiting for a non-extractive generator gives its turn up
	// meanwhile.
	Concurrency int
	Logger      *slog.Logger
}

// Service answers questions; it is safe for concurrent use.
type Service struct {
	cfg        Config
	turns      chan struct{} // nil: no limit; see Config.Concurrency
	extractive Extractive
	log        *slog.Logger
	now        func() time.Time
}

// New returns a Service; cfg.Searcher must be set.
func New(cfg Config) *Service {
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.MinScore <= 0 {
		cfg.MinScore = DefaultMinScore
	}
	if cfg.LowScore < cfg.MinScore {
		cfg.LowScore = max(DefaultLowScore, cfg.MinScore)
	}
	if cfg.MinCoverage <= 0 {
		cfg.MinCoverage = DefaultMinCoverage
	}
	if cfg.HedgeCoverage < cfg.MinCoverage {
		cfg.HedgeCoverage = max(DefaultHedgeCoverage, cfg.MinCoverage)
	}
	if cfg.Related <= 0 || cfg.Related > 1 {
		cfg.Related = DefaultRelated
	}
	if cfg.K <= 0 {
		cfg.K = DefaultK
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{cfg: cfg, log: log, now: time.Now}
	if cfg.Concurrency > 0 {
		s.turns = make(chan struct{}, cfg.Concurrency)
	}
	return s
}

// acquire waits for a turn (see Config.Concurrency).
func (s *Service) acquire(ctx context.Context) error {
	if s.turns == nil {
		return nil
	}
	select {
	case s.turns <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("answer: waiting for a turn: %w", ctx.Err())
	}
}

func (s *Service) release() {
	if s.turns != nil {
		<-s.turns
	}
}

// ErrNoSearcher is returned by Ask when the service was built without a Searcher.
var ErrNoSearcher = errors.New("answer: no searcher configured")

// Ask answers one question, resolving follow-ups against the session's
// previous question. Errors are the searcher's or the context's; a refusal is
// an Answer with Answered false, not an error.
func (s *Service) Ask(ctx context.Context, req Request) (Answer, error) {
	if s.cfg.Searcher == nil {
		return Answer{}, ErrNoSearcher
	}
	start := s.now()
	q := strings.TrimSpace(req.Question)
	region := strings.TrimSpace(req.Region)
	if region == "" {
		region = s.cfg.DefaultRegion
	}
	budget := req.Budget
	if budget <= 0 {
		budget = s.cfg.Budget
	}
	if q == "" {
		return Answer{Answered: false, Answer: askFullQuestion, Citations: []retrieval.Hit{}}, nil
	}

	if err := s.acquire(ctx); err != nil {
		return Answer{}, err
	}
	defer s.release()
	sess := s.loadSession(ctx, req.Session)
	t := &turn{svc: s, req: req, question: q, region: region, sess: sess, deadline: start.Add(budget)}
	ans, err := t.run(ctx)
	if err != nil {
		return Answer{}, err
	}
	if ans.Citations == nil {
		ans.Citations = []retrieval.Hit{}
	}
	if ans.Confidence == "" {
		ans.Confidence = ConfidenceLow
		if ans.Answered {
			ans.Confidence = ConfidenceHigh
		}
	}
	s.saveSession(ctx, req.Session, t.sess)
	return ans, nil
}

// turn is one question being answered.
type turn struct {
	svc      *Service
	req      Request
	question string
	region   string
	sess     *session // never nil; empty without a session
	deadline time.Time
}

func (t *turn) run(ctx context.Context) (Answer, error) {
	if reply := smallTalk(t.question); reply != "" {
		return Answer{Answer: reply}, nil
	}
	kind := classify(t.question)
	if kind != followNone {
		return t.followUp(ctx, kind), nil
	}
	query, topic := t.question, t.question
	if t.sess.Topic != "" && isElliptical(t.question) {
		query = t.sess.Topic + " " + t.question
		topic = t.sess.Topic
	}
	return t.answer(ctx, query, topic)
}

// answer searches for query and composes a cited answer or a refusal.
func (t *turn) answer(ctx context.Context, query, topic string) (Answer, error) {
	s := t.svc
	hits, err := s.cfg.Searcher.Search(ctx, t.searchRequest(query, s.cfg.K))
	if err != nil {
		return Answer{}, fmt.Errorf("answer: search: %w", err)
	}
	best, coverage, bestDoc := 0.0, 0.0, ""
	if len(hits) > 0 {
		best, coverage, bestDoc = hits[0].Score, hits[0].Coverage, hits[0].Document.ID
	}
	*t.sess = session{Question: query, Topic: topic, Region: t.region, Hits: hits}

	hedged := best < s.cfg.LowScore || coverage < s.cfg.HedgeCoverage
	var cands []retrieval.Hit
	if len(hits) > 0 {
		cands = candidates(hits, t.question, t.region, s.cfg.Related, maxCandidates)
	}
	// Partial evidence that does not state the kind of fact asked for
	// answers nothing (多少 of a clause with no number); nor does any
	// clause tell the asker how far their own parcel or application has
	// got unless it says where to look (快递到哪里了 of 快递暂行条例).
	if !hasContent(query) || len(hits) == 0 || best < s.cfg.MinScore || coverage < s.cfg.MinCoverage ||
		coverage < s.cfg.HedgeCoverage && unmet(query, cands) || reAsksStatus.MatchString(query) && unmet(query, cands) {
		s.record(ctx, t.question, t.region, best, bestDoc, true)
		t.sess.Hits = nil
		return Answer{Answered: false, Answer: refusal}, nil
	}
	recorded := hedged
	if recorded {
		s.record(ctx, t.question, t.region, best, bestDoc, false)
	}

	cands, notice := t.preferCurrent(ctx, query, cands, hits)
	cited, body, extractive := t.generate(ctx, query, cands)
	t.sess.markShown(cited)
	opening := ""
	switch {
	case notice != "": // said whoever writes the body
		opening = notice
		if !current(cited[0]) {
			opening += "以下为该政策的相关条款，仅供参考："
			// Only a policy no longer in force answers it: a gap the
			// admins should see.
			if !recorded {
				s.record(ctx, t.question, t.region, best, cited[0].Document.ID, false)
			}
		}
	case extractive: // an LLM writes its own opening
		opening = lead(cited)
	}
	confidence := ConfidenceHigh
	if hedged {
		confidence = ConfidenceLow
		switch {
		case notice != "":
			opening = leadHedge + opening
		case extractive:
			opening = leadHedge + "以下规定可能相关："
		default:
			opening = leadHedge
		}
	}
	return Answer{Answered: true, Confidence: confidence, Answer: compose(opening, body, cited), Citations: cited}, nil
}

// searchRequest is the search for query on the turn's region, day and status filter.
func (t *turn) searchRequest(query string, k int) retrieval.SearchRequest {
	return retrieval.SearchRequest{Query: query, Region: t.region, K: k, AsOf: t.req.AsOf, Status: t.req.Status}
}

// generate writes the answer body for hits with the configured generator,
// falling back to the extractive one when it fails, is late or cites badly.
// It returns the cited hits, the body with markers renumbered to them, and
// whether the extractive generator wrote it.
func (t *turn) generate(ctx context.Context, question string, hits []retrieval.Hit) ([]retrieval.Hit, string, bool) {
	s := t.svc
	if s.cfg.Generator != nil {
		// The generator's wait is not this process's work: give the turn
		// up meanwhile. Taking it back ignores ctx: the turn is released
		// by Ask in any case, and the fallback must still be written.
		s.release()
		draft, err := t.callGenerator(ctx, question, hits)
		if s.turns != nil {
			s.turns <- struct{}{}
		}
		if err == nil {
			err = verify(draft, hits)
		}
		if err == nil {
			cited := pick(hits, draft.Cited)
			return cited, renumber(draft.Text, draft.Cited), false
		}
		s.log.Warn("answer: generator failed, using extractive answer", "err", err)
	}
	draft, _ := s.extractive.Generate(ctx, question, hits) // never fails
	return pick(hits, draft.Cited), renumber(draft.Text, draft.Cited), true
}

// callGenerator runs the generator within the turn's deadline. It returns at
// the deadline even when the generator ignores its context.
func (t *turn) callGenerator(ctx context.Context, question string, hits []retrieval.Hit) (Draft, error) {
	ctx, cancel := context.WithDeadline(ctx, t.deadline)
	defer cancel()
	type result struct {
		d   Draft
		err error
	}
	ch := make(chan result, 1) // buffered: a late generator must not block forever
	go func() {
		d, err := t.svc.cfg.Generator.Generate(ctx, question, hits)
		ch <- result{d, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return Draft{}, fmt.Errorf("generate: %w", r.err)
		}
		return r.d, nil
	case <-ctx.Done():
		return Draft{}, fmt.Errorf("generate: %w", ctx.Err())
	}
}

func (s *Service) record(ctx context.Context, question, region string, best float64, doc string, refused bool) {
	s.log.Info("answer: unanswered question", "region", region, "best_score", best, "refused", refused)
	if s.cfg.Recorder == nil {
		return
	}
	u := state.Unanswered{Question: question, Region: region, BestScore: best, Refused: refused, At: s.now(), Document: doc}
	if err := s.cfg.Recorder.RecordUnanswered(ctx, u); err != nil {
		s.log.Warn("answer: record unanswered", "err", err)
	}
}
