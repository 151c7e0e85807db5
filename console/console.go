// Package console serves the web pages people use: the hotline console where
// agents search the corpus and copy ready answers, and the admin pages where
// admins upload, replace, retire and re-ingest documents and work through the
// questions policybot could not answer. It runs sign-in (bcrypt passwords,
// cookie sessions, CSRF tokens, lockout) and records admin changes; the
// accounts, sessions and audit log themselves are package staff's.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"policybot/answer"
	"policybot/enterprise"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
	"policybot/state"
	"policybot/upload"
)

// Searcher finds clauses; *retrieval.Searcher implements it.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

// Asker answers a question with citations; *answer.Service implements it.
type Asker interface {
	Ask(ctx context.Context, req answer.Request) (answer.Answer, error)
}

// DocumentStore is the part of retrieval.Store the pages read and change.
type DocumentStore interface {
	Documents(ctx context.Context) ([]retrieval.StoredDocument, error)
	Document(ctx context.Context, id string) (retrieval.StoredDocument, []policy.Clause, error)
	SetStatus(ctx context.Context, id, status string) error
}

// UnansweredLister lists refused and low-confidence questions; state.Memory
// and postgres.Store implement it.
type UnansweredLister interface {
	ListUnanswered(ctx context.Context, limit int) ([]state.Unanswered, error)
}

// HandledStore keeps which unanswered questions admins have dealt with;
// state.Memory and postgres.Store implement it.
type HandledStore interface {
	MarkHandled(ctx context.Context, key string, h state.Handled) error
	UnmarkHandled(ctx context.Context, key string) error
	HandledQuestions(ctx context.Context) (map[string]state.Handled, error)
}

// PushLister is the log of policy pushes (/admin/pushes).
type PushLister interface {
	PushEntries(ctx context.Context, limit int) ([]state.PushEntry, error)
}

var (
	_ DocumentStore    = retrieval.Store(nil)
	_ UnansweredLister = (*state.Memory)(nil)
	_ HandledStore     = (*state.Memory)(nil)
)

// DefaultMaxUpload bounds an uploaded document (the largest of the 78 real
// policy documents is well under 200 KiB).
const DefaultMaxUpload = 2 << 20

// Config wires a Console. Searcher, Asker, Store, Users, Sessions and Audit
// are required; Ingest is required for uploads.
type Config struct {
	Searcher   Searcher
	Asker      Asker
	Store      DocumentStore
	Unanswered UnansweredLister
	Pushes     PushLister // nil hides /admin/pushes
	// Handled keeps the questions marked handled; nil hides the buttons.
	Handled HandledStore
	// Rerun answers a re-run of an unanswered question: an Asker that does
	// not record the question again (nil: Asker, which does).
	Rerun    Asker
	Users    staff.UserStore
	Sessions staff.SessionStore
	Audit    staff.AuditLog
	// LoginAttempts counts login attempts; nil: in this process only
	// (replicas sharing a database pass postgres.Store).
	LoginAttempts staff.LoginAttempts
	// Ingest parses, embeds and stores one uploaded document in one store
	// transaction, replacing the document of the same ID, and summarises
	// what it did; IngestFunc builds it from a retrieval.Ingester. An error
	// wrapping ErrSourceNotSaved means the document was stored all the same.
	Ingest func(ctx context.Context, name string, data []byte) (string, error)
	// Reingest reads a stored document again from its source and stores it
	// anew; nil hides the re-ingest button. ReingestFunc builds it.
	Reingest func(ctx context.Context, id string) (string, error)
	// Parse previews an upload; nil means policy.Parse, the parser Ingest uses.
	Parse func(name string, data []byte) (*policy.Document, error)
	// Validity gives documents' statuses (badges, the admin's list) and is
	// told of changes; nil shows none. Overrides keeps the admins'
	// corrections; nil hides the form.
	Validity  ValidityView
	Overrides retrieval.Overrides
	// Corrections keeps admins' corrections of an upload's metadata, made
	// in its preview; nil hides the fields. Ingest and Reingest must store
	// through upload.Corrected over the same store for them to apply.
	Corrections upload.CorrectionStore
	// Region is the region searched when the agent picks none (empty: the searcher's default).
	Region string
	// Matcher lists the policies that apply to a caller's enterprise
	// (/console/match, as /api/match); nil hides the page.
	Matcher enterprise.Policies
	// Profiles keeps callers' profiles entered on the match page (nil: the
	// page matches without keeping them).
	Profiles enterprise.Profiles
	// SecureCookies marks the session cookie Secure; set it whenever the
	// console is served over HTTPS (directly or behind a proxy).
	SecureCookies bool
	// MaxUpload bounds an uploaded file; 0 means DefaultMaxUpload.
	MaxUpload int64
	// SessionTTL is how long a sign-in lasts; 0 means 12 hours (a working day).
	SessionTTL time.Duration
	Logger     *slog.Logger
}

// Console serves the console and admin pages.
type Console struct {
	cfg      Config
	log      *slog.Logger
	pages    map[string]*template.Template
	static   http.Handler
	attempts staff.LoginAttempts
	now      func() time.Time
	// sleep delays failed logins; tests replace it.
	sleep func(context.Context, time.Duration)

	mu      sync.Mutex
	pending map[string]pendingUpload // upload token → previewed upload
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pageNames = []string{"login", "logout", "console", "clause", "match", "documents", "preview", "unanswered", "pushes", "settings", "error"}

// New returns a Console; it panics when the embedded templates do not parse,
// which a test catches before any release.
func New(cfg Config) *Console {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Parse == nil {
		cfg.Parse = policy.Parse
	}
	c := &Console{cfg: cfg, log: cfg.Logger, now: time.Now, pending: map[string]pendingUpload{}, sleep: sleepCtx}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.attempts = cfg.LoginAttempts
	if c.attempts == nil {
		c.attempts = newLimiter(func() time.Time { return c.now() })
	}
	c.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.New("layout.html").Funcs(funcs)
		c.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	c.static = http.StripPrefix("/console/static/", http.FileServerFS(sub))
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Mount registers the routes on mux.
func (c *Console) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", c.handle(c.loginForm))
	mux.HandleFunc("POST /login", c.handle(c.login))
	mux.HandleFunc("GET /logout", c.handle(c.require(staff.RoleAgent, c.logoutForm)))
	mux.HandleFunc("POST /logout", c.handle(c.require(staff.RoleAgent, c.logout)))
	mux.Handle("GET /console/static/", c.staticHandler())

	mux.HandleFunc("GET /console", c.handle(c.require(staff.RoleAgent, c.search)))
	mux.HandleFunc("GET /console/clause/{id}", c.handle(c.require(staff.RoleAgent, c.clause)))
	mux.HandleFunc("GET /console/answer", c.handle(c.require(staff.RoleAgent, c.answer)))
	mux.HandleFunc("GET /console/settings", c.handle(c.require(staff.RoleAgent, c.settings)))
	mux.HandleFunc("POST /console/settings", c.handle(c.require(staff.RoleAgent, c.saveSettings)))
	if c.cfg.Matcher != nil {
		mux.HandleFunc("GET /console/match", c.handle(c.require(staff.RoleAgent, c.match)))
		mux.HandleFunc("POST /console/match", c.handle(c.require(staff.RoleAgent, c.match)))
	}

	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/documents", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /admin/documents", c.handle(c.require(staff.RoleAdmin, c.documents)))
	mux.HandleFunc("POST /admin/documents/preview", c.handle(c.require(staff.RoleAdmin, c.preview)))
	mux.HandleFunc("POST /admin/documents/commit", c.handle(c.require(staff.RoleAdmin, c.commit)))
	mux.HandleFunc("POST /admin/documents/{id}/retire", c.handle(c.require(staff.RoleAdmin, c.setStatus(retrieval.StatusRetired))))
	mux.HandleFunc("POST /admin/documents/{id}/activate", c.handle(c.require(staff.RoleAdmin, c.setStatus(retrieval.StatusActive))))
	mux.HandleFunc("POST /admin/documents/{id}/reingest", c.handle(c.require(staff.RoleAdmin, c.reingest)))
	mux.HandleFunc("POST /admin/documents/{id}/validity", c.handle(c.require(staff.RoleAdmin, c.setValidity)))
	mux.HandleFunc("GET /admin/unanswered", c.handle(c.require(staff.RoleAdmin, c.unanswered)))
	mux.HandleFunc("GET /admin/unanswered.csv", c.handle(c.require(staff.RoleAdmin, c.unansweredCSV)))
	mux.HandleFunc("POST /admin/unanswered/handled", c.handle(c.require(staff.RoleAdmin, c.markHandled)))
	mux.HandleFunc("POST /admin/unanswered/reopen", c.handle(c.require(staff.RoleAdmin, c.reopen)))
	if c.cfg.Pushes != nil {
		mux.HandleFunc("GET /admin/pushes", c.handle(c.require(staff.RoleAdmin, c.pushes)))
	}
}

func (c *Console) staticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		c.static.ServeHTTP(w, r)
	})
}

// httpError is an error with a status and a message safe to show.
type httpError struct {
	status int
	msg    string // Chinese, shown to the user
	cause  error  // logged only
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.msg, e.cause)
	}
	return fmt.Sprintf("%d %s", e.status, e.msg)
}

func (e *httpError) Unwrap() error { return e.cause }

func userError(status int, msg string) error { return &httpError{status: status, msg: msg} }

var (
	errNotFound  = userError(http.StatusNotFound, "页面或条款不存在。")
	errForbidden = userError(http.StatusForbidden, "您的账号无权访问此页面。")
	errBadCSRF   = userError(http.StatusForbidden, "表单已过期或来源不明，请刷新页面后重试。")
)

// statusOf maps an error to its status and safe message, in one place.
func statusOf(err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.Is(err, retrieval.ErrNotFound):
		return http.StatusNotFound, "文件或条款不存在。"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "处理超时，请稍后重试。"
	case unreachable(err):
		return http.StatusServiceUnavailable, "服务暂时不可用，请稍后重试。"
	}
	return http.StatusInternalServerError, "服务暂时出错，请稍后重试。"
}

// unreachable reports whether err is a store that cannot be reached (a
// refused or broken connection): the service is unavailable, not broken.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handler that returns an error: it logs the cause and shows
// a safe page (or plain text to scripts that asked for it).
func (c *Console) handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		err := fn(w, r)
		if err == nil {
			return
		}
		status, msg := statusOf(err)
		if status >= 500 {
			c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		} else {
			c.log.Info("console request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		}
		if wantsText(r) {
			http.Error(w, msg, status)
			return
		}
		w.WriteHeader(status)
		sess, _ := sessionFrom(r.Context())
		if rerr := c.render(w, r, "error", sess, page{Title: "出错了", Message: msg, Status: status}); rerr != nil {
			c.log.Warn("render error page", "err", rerr)
		}
	}
}

// wantsText reports whether the request came from the page's own script.
func wantsText(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") == "fetch" || strings.HasPrefix(r.URL.Path, "/console/answer")
}

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	// Only our own script and style run; templates carry no inline script.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
}
