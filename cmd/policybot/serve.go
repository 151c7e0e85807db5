package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"policybot/bot"
	"policybot/console"
	"policybot/postgres"
	"policybot/retrieval"
	"policybot/seeds"
	"policybot/staff"
	"policybot/upload"
	"policybot/web"
)

// newConsole builds the agents' console and the admin pages: accounts, web
// sessions and the audit log live in PostgreSQL in postgres mode, in the data
// folder (sessions in memory) in the embedded default.
func newConsole(ctx context.Context, s *stack, log *slog.Logger) (*console.Console, error) {
	cfg := console.Config{
		Searcher:      s.searcher,
		Asker:         s.answers,
		Store:         s.store,
		Unanswered:    s.state,
		Handled:       s.state,
		Rerun:         s.rerun,
		Validity:      s.searcher,
		Matcher:       s.searcher,
		Pushes:        s.state,
		Profiles:      s.profiles,
		Overrides:     s.overrides,
		Region:        s.cfg.Region,
		SecureCookies: strings.HasPrefix(s.cfg.PublicBaseURL, "https://"),
		Logger:        log,
	}
	// Uploads' original bytes are kept beside the documents: in PostgreSQL,
	// or in memory for as long as the memory store keeps the documents.
	var (
		sources     upload.SourceStore
		corrections upload.CorrectionStore
	)
	if pg, ok := s.store.(*postgres.Store); ok {
		cfg.Users, cfg.Sessions, cfg.Audit, cfg.LoginAttempts = pg, pg, pg, pg
		sources, corrections = pg, pg
	} else {
		fstore, err := staff.NewFileStore(s.cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("console accounts: %w", err)
		}
		cfg.Users, cfg.Audit, cfg.Sessions = fstore, fstore, staff.NewMemorySessions()
		sources, corrections = upload.NewMemorySources(), &upload.MemoryCorrections{}
	}
	// Uploads and re-ingests store through the admins' metadata corrections.
	ing := &retrieval.Ingester{Store: upload.Corrected(s.store, corrections), Embedder: s.embedder}
	cfg.Corrections = corrections
	cfg.Ingest = console.IngestFunc(ing, sources)
	cfg.Reingest = console.ReingestFunc(ing, s.store, sources, seeds.Documents)
	if users, err := cfg.Users.Users(ctx); err == nil && len(users) == 0 {
		log.Warn("no console accounts yet: create the first admin with `policybot user add NAME --role admin`")
	}
	return console.New(cfg), nil
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := e.flags("serve")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	if os.Getenv("GOGC") == "" && cfg.Store != "memory" {
		// Answering allocates briskly (candidates, JSON, XML) over a heap
		// of 100-400 MB; collecting at 200% growth instead of 100% took
		// /wechat from about 900 to 1,160 answers a second on 2 cores
		// (BENCHMARKS.md). GOGC still overrides it.
		debug.SetGCPercent(serveGCPercent)
	}
	s, err := openStack(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer s.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "policybot_search_lexical_only_total",
		Help: "Searches answered lexical-only because the question could not be embedded in time.",
	}, func() float64 { return float64(s.searcher.Degraded()) }))
	var wechat http.Handler
	var botH *bot.Handler
	if cfg.WeChat.Token != "" {
		botH, err = bot.New(bot.Config{
			Token:           cfg.WeChat.Token,
			AppID:           cfg.WeChat.AppID,
			AppSecret:       cfg.WeChat.AppSecret,
			EncodingAESKey:  cfg.WeChat.EncodingAESKey,
			AllowPlain:      cfg.WeChat.AllowPlain,
			AgentHours:      cfg.WeChat.AgentHours,
			Hotline:         cfg.WeChat.Hotline,
			Region:          cfg.Region,
			PublicBaseURL:   cfg.PublicBaseURL,
			TimestampWindow: cfg.WeChat.TimestampWindow.D(),
			RateLimit:       cfg.WeChat.RateLimit,
			MenuQuestions:   cfg.WeChat.Menu,
			PushTemplate:    bot.PushTemplate{ID: cfg.WeChat.PushTemplateID, Fields: cfg.WeChat.PushFields},
			PushLog:         s.state,
			Asker:           s.answers,
			State:           s.state,
			Profiles:        s.profiles,
			Matcher:         s.searcher,
			Registry:        reg,
			Logger:          log,
		})
		if err != nil {
			return fmt.Errorf("wechat: %w", err)
		}
		wechat = botH
	} else {
		log.Info("wechat endpoint off: no POLICYBOT_WECHAT_TOKEN")
	}

	con, err := newConsole(ctx, s, log)
	if err != nil {
		return err
	}
	srv := web.New(web.Config{
		Searcher: s.searcher,
		Asker:    s.answers,
		Matcher:  s.searcher,
		Store:    s.store,
		Schema:   s.schema,
		Corpus: func(ctx context.Context) (int, error) {
			ix, err := s.searcher.Validity(ctx)
			return ix.Len(), err
		},
		Answers:   s.state,
		APITokens: cfg.APITokens,
		WeChat:    wechat,
		ProfilePage: func() http.Handler {
			if botH == nil {
				return nil
			}
			return http.HandlerFunc(botH.ServeProfilePage)
		}(),
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Extra:   con.Mount,
		Logger:  log,
	})
	if err := srv.Open(cfg.Listen); err != nil {
		return err
	}
	log.Info("listening", "addr", srv.Addr(), "store", cfg.Store, "embedder", s.embedder.Name())
	fmt.Fprintf(e.stderr, "policybot: serving on http://%s\n", srv.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()

	// The corpus loads after the port is open, so /healthz answers at once and
	// /readyz turns 200 when the clauses are searchable.
	if cfg.Store == "memory" {
		rep, err := s.ingest(ctx, cfg.Corpus, ingestOptions{})
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
		for _, f := range rep.Failed {
			log.Warn("document not loaded", "err", f)
		}
		log.Info("corpus loaded", "report", rep.String())
		if os.Getenv("GOGC") == "" {
			// Set after the load: while loading, collecting at 200% let
			// the heap reach three times the corpus.
			debug.SetGCPercent(serveGCPercent)
		}
		if limit, ok := fitMemory(); ok {
			log.Info("memory limit set", "bytes", limit)
		}
	}
	// Once ready, say what is served.
	s.searcher.Invalidate()
	if ix, err := s.searcher.Validity(ctx); err != nil {
		log.Warn("cannot list documents", "err", err)
	} else {
		m, _ := s.store.Model(ctx)
		clauses := 0
		if docs, err := s.store.Documents(ctx); err == nil {
			for _, d := range docs {
				if d.Status == retrieval.StatusActive {
					clauses += d.ClauseCount
				}
			}
		}
		log.Info("serving", "documents", ix.Len(), "clauses", clauses, "store", cfg.Store, "model", m.Name, "dimensions", m.Dimensions)
		if ix.Len() == 0 {
			log.Warn("the store holds no documents: run `policybot ingest`; /readyz says 503 until there are some")
		}
	}
	srv.SetReady(true)
	go purgeExpired(ctx, s.state, purgeEvery, log)
	if botH != nil {
		// New documents: in PostgreSQL those ingested in the last three
		// days (an ingest job or an upload); in memory, those uploaded
		// since the start — the corpus just loaded is not news, and its
		// push claims do not outlive the process.
		since := func() time.Time { return time.Now().Add(-pushWindow) }
		if cfg.Store == "memory" {
			loaded := time.Now()
			since = func() time.Time { return loaded }
		}
		go pushNew(ctx, botH, s.store, since, cfg.WeChat.PushInterval.D(), log)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	srv.SetReady(false)
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if botH != nil {
		if err := botH.Shutdown(shutCtx); err != nil { // finish in-flight WeChat answers and pushes
			log.Warn("wechat shutdown", "err", err)
		}
	}
	return nil
}

// fitMemory hands the memory the corpus load used and no longer needs back
// to the system and, unless GOMEMLIMIT is set, sets a soft memory limit of
// 1.5 times the live heap plus 256 MiB: with GOGC 200 the heap may
// otherwise grow to three times the corpus (about 1.6 GB with corpus-xl),
// while near the limit the collector simply runs sooner.
func fitMemory() (int64, bool) {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := int64(ms.HeapAlloc)*3/2 + 256<<20
	debug.SetMemoryLimit(limit)
	return limit, true
}

// serveGCPercent is serve's garbage collection target (see runServe).
const serveGCPercent = 200

// purgeEvery is how often serve deletes expired sessions, cached values and
// message claims: reads ignore them, but without a purge every WeChat
// message's claim would stay (measured: 300 MB more after 70,000 messages
// in memory).
const purgeEvery = 5 * time.Minute

// purgeExpired calls st.PurgeExpired every interval until ctx ends.
func purgeExpired(ctx context.Context, st interface {
	PurgeExpired(context.Context) (int64, error)
}, every time.Duration, log *slog.Logger) {
	tick(ctx, every, func() {
		n, err := st.PurgeExpired(ctx)
		if err != nil {
			log.Warn("purge expired state", "err", err)
			return
		}
		log.Debug("purged expired state", "rows", n)
	})
}

// tick calls fn every interval until ctx ends.
func tick(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// pushWindow is how far back a document counts as new for the pushes.
const pushWindow = 72 * time.Hour

// pushNew runs the policy pushes every interval (10 minutes by default) over
// the active documents ingested since since(); each run is safe to repeat
// (bot.Handler.PushNew).
func pushNew(ctx context.Context, h *bot.Handler, store retrieval.Store, since func() time.Time, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = 10 * time.Minute
	}
	tick(ctx, every, func() {
		docs, err := store.Documents(ctx)
		if err != nil {
			log.Warn("push: list documents", "err", err)
			return
		}
		var ids []string
		from := since()
		for _, d := range docs {
			if d.Status == retrieval.StatusActive && d.IngestedAt.After(from) {
				ids = append(ids, d.ID)
			}
		}
		if len(ids) == 0 {
			return
		}
		rep, err := h.PushNew(ctx, ids)
		if err != nil {
			log.Warn("push new policies", "err", err, "report", rep.String())
			return
		}
		log.Info("pushed new policies", "documents", len(ids), "report", rep.String())
	})
}
