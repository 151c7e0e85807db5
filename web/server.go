// Package web serves policybot over HTTP: health and readiness, the JSON API
// (/api/search, /api/ask), the WeChat endpoint, metrics and the public answer
// pages. Handlers return errors; one function maps them to status codes and
// safe messages, and logs the cause.
package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"policybot/answer"
	"policybot/enterprise"
	"policybot/retrieval"
)

// Searcher is what /api/search needs.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

// Asker is what /api/ask needs.
type Asker interface {
	Ask(ctx context.Context, req answer.Request) (answer.Answer, error)
}

// Pinger reports whether the store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PublicAnswers serves the answers behind /a/{id} links.
type PublicAnswers interface {
	PublicAnswer(ctx context.Context, id string) ([]byte, error)
}

// Config wires a Server. Nil WeChat or Metrics handlers leave those routes off.
type Config struct {
	Searcher Searcher
	Asker    Asker
	Matcher  enterprise.Policies // nil: /api/match is off
	Store    Pinger
	// Corpus reports how many active documents are searchable (nil: not
	// checked); /readyz is 503 while there are none.
	Corpus func(ctx context.Context) (int, error)
	// Schema reports whether the database is at this binary's schema
	// version (nil: not checked); /readyz is 503 while it is not.
	Schema    func(ctx context.Context) error
	Answers   PublicAnswers
	APITokens []string
	// RequestTimeout bounds each request but /wechat's; 0: RequestTimeout.
	RequestTimeout time.Duration
	WeChat         http.Handler
	// ProfilePage serves /p/{token}, the profile form linked from the chat.
	ProfilePage http.Handler
	Metrics     http.Handler
	// Extra mounts more routes (the console and admin pages) on the same mux.
	Extra  func(mux *http.ServeMux)
	Logger *slog.Logger
}

// Server is policybot's HTTP server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ready atomic.Bool
	mux   *http.ServeMux
	http  *http.Server
	ln    net.Listener
}

// New returns a server that is not ready until SetReady(true).
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.routes()
	return s
}

// SetReady marks the corpus as loaded (or not).
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

// Handler returns the root handler with logging and panic recovery.
func (s *Server) Handler() http.Handler { return s.recoverer(s.deadline(s.mux)) }

// RequestTimeout bounds a request's work (its store and model calls see the
// deadline through the request context): a hung database costs a 503, not
// a client waiting for ever. /wechat keeps its own budget (WeChat's 5 s).
const RequestTimeout = 15 * time.Second

func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wechat" {
			next.ServeHTTP(w, r)
			return
		}
		d := s.cfg.RequestTimeout
		if d <= 0 {
			d = RequestTimeout
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.handle(s.readyz))
	s.mux.HandleFunc("GET /api/search", s.api(s.search))
	s.mux.HandleFunc("GET /api/ask", s.api(s.ask))
	s.mux.HandleFunc("POST /api/ask", s.api(s.ask))
	if s.cfg.Matcher != nil {
		s.mux.HandleFunc("POST /api/match", s.api(s.match))
	}
	s.mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return errNotFound
	}))
	s.mux.HandleFunc("GET /a/{id}", s.handle(s.publicAnswer))
	if s.cfg.WeChat != nil {
		s.mux.Handle("/wechat", s.cfg.WeChat)
	}
	if s.cfg.ProfilePage != nil {
		s.mux.Handle("/p/", s.cfg.ProfilePage)
	}
	if s.cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	if s.cfg.Extra != nil {
		s.cfg.Extra(s.mux)
	}
}

// Open listens on addr, so that a busy port fails at once; Serve then serves.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

// Error kinds mapped to HTTP status in one place (statusOf).
type apiError struct {
	status int
	msg    string // safe for clients
	cause  error  // logged only
	field  string // the request field at fault, when one is
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}
func (e *apiError) Unwrap() error { return e.cause }

var (
	errNotFound     = &apiError{status: http.StatusNotFound, msg: "not found"}
	errUnauthorized = &apiError{status: http.StatusUnauthorized, msg: "missing or invalid bearer token"}
)

func badRequest(format string, a ...any) error {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, a...)}
}

func unavailable(msg string, cause error) error {
	return &apiError{status: http.StatusServiceUnavailable, msg: msg, cause: cause}
}

func statusOf(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "timed out"
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled"
	default:
		return http.StatusInternalServerError, "internal error"
	}
}

// api wraps a JSON handler: bearer-token check, JSON errors.
func (s *Server) api(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := s.authorize(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeJSONError(w, r, err)
		}
	}
}

// handle wraps a plain handler: errors become a short text response.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status, msg := statusOf(err)
			s.logError(r, status, err)
			http.Error(w, msg, status)
		}
	}
}

func (s *Server) authorize(r *http.Request) error {
	if len(s.cfg.APITokens) == 0 {
		return nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return errUnauthorized
	}
	for _, t := range s.cfg.APITokens {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(t)) == 1 {
			return nil
		}
	}
	return errUnauthorized
}

func (s *Server) writeJSONError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	s.logError(r, status, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="policybot"`)
	}
	body := map[string]string{"error": msg}
	if ae := (*apiError)(nil); errors.As(err, &ae) && ae.field != "" {
		body["field"] = ae.field
	}
	writeJSON(w, status, body)
}

func (s *Server) logError(r *http.Request, status int, err error) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "loading", "error": "corpus not loaded yet"})
		return nil
	}
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Store.Ping(ctx); err != nil {
			s.log.Warn("readyz: store unreachable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "store unreachable"})
			return nil
		}
	}
	if s.cfg.Schema != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Schema(ctx); err != nil {
			s.log.Warn("readyz: schema", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "schema",
				"error": "the database is not at this binary's schema version: migrate it (policybot ingest or serve on the primary)"})
			return nil
		}
	}
	if s.cfg.Corpus != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		n, err := s.cfg.Corpus(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "documents not readable"})
			return nil
		}
		if n == 0 {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "empty",
				"error": "the store holds no active documents: run policybot ingest (or upload one at /admin/documents)"})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
