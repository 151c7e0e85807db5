package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"policybot/answer"
	"policybot/config"
	"policybot/embeddings"
	"policybot/enterprise"
	"policybot/llm"
	"policybot/postgres"
	"policybot/retrieval"
	"policybot/seeds"
	"policybot/state"
)

// stateStore is every small shared-state method the answer service, the bot
// and the web pages use: state.Memory in the embedded default, postgres.Store
// in production.
type stateStore interface {
	LoadSession(ctx context.Context, id string) ([]byte, error)
	SaveSession(ctx context.Context, id string, data []byte, ttl time.Duration) error
	KVGet(ctx context.Context, key string) ([]byte, error)
	KVSet(ctx context.Context, key string, data []byte, ttl time.Duration) error
	KVDelete(ctx context.Context, key string) error
	SavePublicAnswer(ctx context.Context, id string, data []byte) error
	PublicAnswer(ctx context.Context, id string) ([]byte, error)
	ClaimMessage(ctx context.Context, key string, ttl time.Duration) (bool, error)
	ClaimMessages(ctx context.Context, ttl time.Duration, keys ...string) ([]state.Claim, error)
	FinishMessage(ctx context.Context, key string, result []byte) error
	MessageResult(ctx context.Context, key string) ([]byte, bool, error)
	RecordUnanswered(ctx context.Context, u state.Unanswered) error
	ListUnanswered(ctx context.Context, limit int) ([]state.Unanswered, error)
	RecordPush(ctx context.Context, e state.PushEntry) error
	PushEntries(ctx context.Context, limit int) ([]state.PushEntry, error)
	PurgeExpired(ctx context.Context) (int64, error)
	MarkHandled(ctx context.Context, key string, h state.Handled) error
	UnmarkHandled(ctx context.Context, key string) error
	HandledQuestions(ctx context.Context) (map[string]state.Handled, error)
}

var (
	_ stateStore = (*state.Memory)(nil)
	_ stateStore = (*postgres.Store)(nil)
)

// stack is the wired application below the transports.
type stack struct {
	cfg       config.Config
	log       *slog.Logger
	store     retrieval.Store
	state     stateStore
	embedder  embeddings.Embedder
	searcher  *retrieval.Searcher
	overrides retrieval.Overrides
	profiles  enterprise.Profiles // enterprise profiles: the postgres store, or a file in data/
	answers   *answer.Service
	// rerun answers the admins' re-runs of unanswered questions: the same
	// service, but neither recording them again nor keeping a conversation.
	rerun *answer.Service
	// schema checks the search database's schema version (nil: memory store).
	schema func(ctx context.Context) error
	close  func()
}

// openStack connects the store and builds searcher and answer service. With
// the memory store the configured corpus is ingested first (loadCorpus false
// skips that, for commands that ingest themselves).
func openStack(ctx context.Context, cfg config.Config, log *slog.Logger, loadCorpus bool) (*stack, error) {
	s := &stack{cfg: cfg, log: log, close: func() {}}
	emb, err := newEmbedder(cfg)
	if err != nil {
		return nil, err
	}
	s.embedder = emb
	switch cfg.Store {
	case "postgres":
		pg, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		s.store, s.state, s.close = pg, pg, pg.Close
	default:
		s.store, s.state = retrieval.NewMemoryStore(), state.NewMemory()
	}
	searchStore := s.store
	if cfg.SearchDBURL != "" {
		// Searches read a replica; ingestion, sessions and claims stay on the primary.
		replica, err := postgres.OpenReplica(ctx, cfg.SearchDBURL)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("open search replica: %w", err)
		}
		primaryClose := s.close
		searchStore, s.close = replica, func() { replica.Close(); primaryClose() }
	}
	s.searcher = retrieval.NewSearcher(searchStore, emb, cfg.Region)
	if pg, ok := searchStore.(*postgres.Store); ok {
		s.schema = pg.CheckSchema
	}
	if cfg.AsOf != "" {
		asOf, _ := time.ParseInLocation(time.DateOnly, cfg.AsOf, time.UTC)       // checked by Validate
		s.searcher.SetClock(func() time.Time { return asOf.Add(4 * time.Hour) }) // midday in China
	}
	if ov, ok := s.store.(retrieval.Overrides); ok {
		s.overrides = ov
	} else if cfg.DataDir != "" {
		s.overrides = retrieval.NewFileOverrides(filepath.Join(cfg.DataDir, "validity_overrides.json"))
	} else {
		s.overrides = &retrieval.MemoryOverrides{}
	}
	s.searcher.SetOverrides(s.overrides)
	if pf, ok := s.store.(enterprise.Profiles); ok {
		s.profiles = pf
	} else {
		path := ""
		if cfg.DataDir != "" {
			path = filepath.Join(cfg.DataDir, "profiles.json")
		}
		fp, err := enterprise.NewFileProfiles(path)
		if err != nil {
			s.close()
			return nil, err
		}
		s.profiles = fp
	}
	cpuBound := 0 // with the memory store, searching and answering are this process's CPU work
	if cfg.Store == "memory" {
		cpuBound = runtime.GOMAXPROCS(0)
		s.searcher.LimitConcurrency(cpuBound)
	}
	gen, err := newGenerator(cfg)
	if err != nil {
		s.close()
		return nil, err
	}
	s.answers = answer.New(answer.Config{
		Searcher:      s.searcher,
		Generator:     gen,
		Sessions:      s.state,
		Recorder:      s.state,
		DefaultRegion: cfg.Region,
		Budget:        cfg.Budget.D(),
		Concurrency:   cpuBound,
		Logger:        log,
	})
	s.rerun = answer.New(answer.Config{
		Searcher:      s.searcher,
		Generator:     gen,
		DefaultRegion: cfg.Region,
		Budget:        cfg.Budget.D(),
		Concurrency:   cpuBound,
		Logger:        log,
	})
	if loadCorpus && cfg.Store == "memory" {
		rep, err := s.ingest(ctx, cfg.Corpus, ingestOptions{})
		if err != nil {
			s.close()
			return nil, err
		}
		log.Info("corpus loaded", "report", rep.String())
	}
	return s, nil
}

// ingest loads corpus entries: "seeds" is the corpus embedded in the binary,
// anything else a file or folder.
func (s *stack) ingest(ctx context.Context, corpus []string, opts ingestOptions) (retrieval.Report, error) {
	ing := &retrieval.Ingester{Store: s.store, Embedder: s.embedder, Reembed: opts.reembed, Prune: opts.prune}
	if dir := corpusCacheDir(s.cfg); dir != "" && s.cfg.Store == "memory" {
		// The memory store is rebuilt at every start: unchanged documents
		// come back from the cache instead of being parsed and embedded.
		ing.Cache = retrieval.NewFileCache(dir)
	}
	var paths []string
	var total retrieval.Report
	for _, c := range corpus {
		if c == "seeds" {
			rep, err := ing.IngestFS(ctx, seeds.Documents, ".")
			// One re-embedding pass covers every stored document; the next
			// sources then find their new vectors in the embedding cache.
			ing.Reembed = false
			addReport(&total, rep)
			if err != nil {
				return total, fmt.Errorf("ingest embedded seeds: %w", err)
			}
			continue
		}
		paths = append(paths, c)
	}
	if len(paths) > 0 {
		rep, err := ing.IngestPaths(ctx, paths...)
		addReport(&total, rep)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

type ingestOptions struct{ reembed, prune bool }

// corpusCacheDir is where the memory store's documents are cached, "" for nowhere.
func corpusCacheDir(cfg config.Config) string {
	switch {
	case cfg.CorpusCache == "off":
		return ""
	case cfg.CorpusCache != "":
		return cfg.CorpusCache
	case cfg.DataDir != "":
		return filepath.Join(cfg.DataDir, "cache")
	}
	return ""
}

func addReport(t *retrieval.Report, r retrieval.Report) {
	t.Documents += r.Documents
	t.Clauses += r.Clauses
	t.Embedded += r.Embedded
	t.Unchanged += r.Unchanged
	t.Shared += r.Shared
	t.Removed += r.Removed
	t.Failed = append(t.Failed, r.Failed...)
}

func newEmbedder(cfg config.Config) (embeddings.Embedder, error) {
	switch cfg.Embedder {
	case "openai":
		return embeddings.NewOpenAI(embeddings.OpenAIConfig{
			BaseURL:    cfg.Embeddings.BaseURL,
			APIKey:     cfg.Embeddings.APIKey,
			Model:      cfg.Embeddings.Model,
			Dimensions: cfg.Embeddings.Dimensions,
			Timeout:    cfg.Embeddings.Timeout.D(),
		})
	case "local":
		return embeddings.NewLocal(cfg.Embeddings.Dimensions), nil
	case "corpus":
		if cfg.Embeddings.ModelFile != "" {
			return embeddings.LoadCorpus(cfg.Embeddings.ModelFile)
		}
		return embeddings.DefaultCorpus()
	}
	return nil, errors.New("unknown embedder " + cfg.Embedder)
}

func newGenerator(cfg config.Config) (answer.Generator, error) {
	if cfg.Generator != "llm" {
		return nil, nil // the service's extractive default
	}
	g, err := llm.New(llm.Config{BaseURL: cfg.LLM.BaseURL, APIKey: cfg.LLM.APIKey, Model: cfg.LLM.Model, Timeout: cfg.LLM.Timeout.D()})
	if err != nil {
		return nil, fmt.Errorf("llm generator: %w", err)
	}
	return g, nil
}
