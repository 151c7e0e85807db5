// Package bot answers enterprises in a WeChat official account: it verifies
// and decrypts WeChat's pushes (github.com/silenceper/wechat/v2), answers each
// message exactly once across replicas, keeps passive replies within WeChat's
// 5-second and 2048-byte limits, and pushes late answers through the
// customer-service API.
package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"policybot/answer"
	"policybot/enterprise"
	"policybot/state"
)

// maxBody bounds a push from WeChat; real messages are a few KiB at most.
const maxBody = 64 << 10

// Asker answers a question; answer.Service implements it.
type Asker interface {
	Ask(ctx context.Context, req answer.Request) (answer.Answer, error)
}

// State is the shared storage the bot needs; state.Memory and postgres.Store
// implement it, so several replicas agree on message claims and tokens.
type State interface {
	ClaimMessage(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// ClaimMessages claims several different keys in one call.
	ClaimMessages(ctx context.Context, ttl time.Duration, keys ...string) ([]state.Claim, error)
	FinishMessage(ctx context.Context, key string, result []byte) error
	MessageResult(ctx context.Context, key string) (result []byte, done bool, err error)
	KVGet(ctx context.Context, key string) ([]byte, error)
	KVSet(ctx context.Context, key string, data []byte, ttl time.Duration) error
	KVDelete(ctx context.Context, key string) error
	SavePublicAnswer(ctx context.Context, id string, data []byte) error
}

// Config configures a Handler. Zero durations and limits take the defaults noted.
type Config struct {
	Token          string // required: the endpoint is off without it
	AppID          string // needed for safe mode and customer-service pushes
	AppSecret      string // needed for customer-service pushes
	EncodingAESKey string // 43 characters; needed for safe mode
	// AllowPlain keeps plain (unencrypted) pushes accepted while an
	// EncodingAESKey is set: WeChat's compatible mode. Off, only safe-mode
	// pushes are, so a captured query string cannot bypass msg_signature.
	AllowPlain    bool
	Region        string // region passed with every question
	PublicBaseURL string // base of the /a/{id} links to whole answers

	TimestampWindow time.Duration     // default 5 min
	RateLimit       int               // messages a minute per openid; default 10, negative: off
	MenuQuestions   map[string]string // CLICK event key → question
	// AgentHours are when customer-service agents answer ("09:00-17:30",
	// Monday to Friday, China time); empty: always. Outside them "转人工"
	// gets Hotline instead of a transfer nobody picks up.
	AgentHours  string
	Hotline     string        // e.g. "12345 政务服务热线"; default 12345
	ReplyBudget time.Duration // time a delivery waits for a passive reply; default 4.5 s

	// RetryInterval is how long WeChat waits before resending (about 5 s);
	// a claim older than 1.5 intervals means the delivery is the last try.
	RetryInterval time.Duration
	AskBudget     time.Duration // budget handed to the answer service (LLM fallback); default 4 s
	AnswerTimeout time.Duration // bound on one computation, run apart from the request; default 60 s
	MessageTTL    time.Duration // how long claims, results and pending answers live; default 24 h
	PollInterval  time.Duration // how often a delivery polls a result computed elsewhere; default 100 ms
	APITimeout    time.Duration // timeout of WeChat API calls (process-wide, set once); default 10 s

	Asker Asker
	State State
	// Profiles keeps the enterprises' profiles ("设置企业信息"); nil: the
	// profile commands say the service is not open. A profile's region is
	// the asker's region for that user's questions.
	Profiles enterprise.Profiles
	Matcher  enterprise.Policies // "适合我的政策"
	// PushTemplate is the template message sent when a push cannot go as a
	// customer-service message (the user's 48 hours are over); empty ID:
	// such pushes fail and are logged.
	PushTemplate PushTemplate
	// PushLog keeps the admins' log of pushes; nil: pushes are only in the
	// process log and /metrics.
	PushLog interface {
		RecordPush(ctx context.Context, e state.PushEntry) error
	}
	// Now is the clock of the quiet hours and the daily cap; nil: time.Now.
	Now      func() time.Time
	Registry prometheus.Registerer // nil: metrics are kept but not exposed
	Logger   *slog.Logger          // nil: slog.Default()
}

// agentsOnline reports whether t falls within AgentHours.
func (c *Config) agentsOnline(t time.Time) bool {
	if c.AgentHours == "" {
		return true
	}
	from, to, ok := parseHours(c.AgentHours)
	if !ok {
		return true
	}
	t = t.In(time.FixedZone("CST", 8*3600))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= from && m < to
}

func (c *Config) offlineText() string {
	hotline := c.Hotline
	if hotline == "" {
		hotline = "12345 政务服务热线"
	}
	return "人工客服现在不在线（服务时间：工作日 " + c.AgentHours + "）。您可以继续向我提问，或拨打 " + hotline + " 咨询。"
}

// parseHours reads "09:00-17:30" as minutes after midnight.
func parseHours(s string) (from, to int, ok bool) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
		return 0, 0, false
	}
	from, to = h1*60+m1, h2*60+m2
	return from, to, from < to && to <= 24*60
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.TimestampWindow, 5*time.Minute)
	def(&c.ReplyBudget, 4500*time.Millisecond)
	def(&c.RetryInterval, 5*time.Second)
	def(&c.AskBudget, 4*time.Second)
	def(&c.AnswerTimeout, 60*time.Second)
	def(&c.MessageTTL, 24*time.Hour)
	def(&c.PollInterval, 100*time.Millisecond)
	def(&c.APITimeout, 10*time.Second)
	if c.RateLimit == 0 {
		c.RateLimit = 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports configuration errors.
func (c *Config) Validate() error {
	switch {
	case c.Token == "":
		return errors.New("bot config: token is required")
	case c.EncodingAESKey != "" && len(c.EncodingAESKey) != 43:
		return errors.New("bot config: encoding AES key must have 43 characters")
	case c.EncodingAESKey != "" && c.AppID == "":
		return errors.New("bot config: safe mode (encoding AES key) needs the app ID")
	case c.Asker == nil:
		return errors.New("bot config: asker is required")
	case c.State == nil:
		return errors.New("bot config: state is required")
	}
	return nil
}

// Handler serves WeChat's GET verification and POST pushes at /wechat.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	oa       *officialaccount.OfficialAccount
	customer *message.Manager
	template *message.Template
	metrics  *metrics
	limiter  *limiter
	seen     *deliveries

	mu       sync.Mutex
	inflight map[string]*flight // message key → its computation in this process

	ctx    context.Context // parent of background computations; cancelled by Shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var libraryOnce sync.Once

// New builds a Handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	libraryOnce.Do(func() {
		// The library logs whole decrypted messages at debug level through the
		// global logrus logger; keep message bodies out of every log.
		logrus.SetLevel(logrus.WarnLevel)
		logrus.SetOutput(io.Discard)
		// The library's default client is http.DefaultClient, without a timeout.
		util.DefaultHTTPClient = &http.Client{Timeout: cfg.APITimeout}
	})
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "wechat"),
		metrics:  m,
		limiter:  newLimiter(cfg.RateLimit, time.Minute),
		seen:     newDeliveries(time.Minute),
		inflight: map[string]*flight{},
		ctx:      ctx,
		cancel:   cancel,
	}
	h.oa = officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID:          cfg.AppID,
		AppSecret:      cfg.AppSecret,
		Token:          cfg.Token,
		EncodingAESKey: cfg.EncodingAESKey,
		Cache:          &kvCache{state: cfg.State, ctx: ctx, timeout: cfg.APITimeout},
	})
	h.customer = h.oa.GetCustomerMessageManager()
	h.template = h.oa.GetTemplate()
	return h, nil
}

// Shutdown waits for background computations and pushes to finish, and
// cancels them when ctx ends first. Call it after the HTTP server stopped
// delivering requests to the Handler.
func (h *Handler) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		h.cancel()
		return nil
	case <-ctx.Done():
		h.cancel()
		<-done
		return fmt.Errorf("bot shutdown: %w", ctx.Err())
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	if !h.signatureOK(q.Get("signature"), q.Get("timestamp"), q.Get("nonce")) {
		h.reject(w, r, http.StatusForbidden, "bad_signature")
		return
	}
	if !h.fresh(q.Get("timestamp")) {
		h.reject(w, r, http.StatusForbidden, "stale_timestamp")
		return
	}
	if r.Method == http.MethodGet {
		h.verify(w, r)
		return
	}
	if r.ContentLength > maxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "too_large")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "too_large")
			return
		}
		h.reject(w, r, http.StatusBadRequest, "unreadable")
		return
	}
	if q.Get("encrypt_type") == "aes" {
		if status, outcome := h.checkEnvelope(q, body); status != 0 {
			h.reject(w, r, status, outcome)
			return
		}
	} else if h.cfg.EncodingAESKey != "" && !h.cfg.AllowPlain {
		h.reject(w, r, http.StatusForbidden, "plain_refused")
		return
	}
	if status, outcome := h.checkNonce(r.Context(), q.Get("timestamp"), q.Get("nonce"), body); status != 0 {
		h.reject(w, r, status, outcome)
		return
	}
	h.serveMessage(w, r, body)
}

// verify answers the GET WeChat sends when the URL is configured.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	if _, ok := r.URL.Query()["echostr"]; !ok {
		h.reject(w, r, http.StatusBadRequest, "no_echostr")
		return
	}
	srv := h.oa.GetServer(r, w)
	if err := srv.Serve(); err != nil { // cannot happen: the signature was checked
		h.log.Error("wechat verification", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	h.metrics.messages.WithLabelValues("verify", "ok").Inc()
}

// checkEnvelope checks a safe-mode body before the library sees it: the
// library reports a bad msg_signature and a malformed body with the same kind
// of error, and they need different statuses.
func (h *Handler) checkEnvelope(q map[string][]string, body []byte) (int, string) {
	if h.cfg.EncodingAESKey == "" {
		return http.StatusBadRequest, "safe_mode_off"
	}
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil || env.EncryptedMsg == "" {
		return http.StatusBadRequest, "malformed"
	}
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	want := util.Signature(h.cfg.Token, get("timestamp"), get("nonce"), env.EncryptedMsg)
	if subtle.ConstantTimeCompare([]byte(get("msg_signature")), []byte(want)) != 1 {
		return http.StatusForbidden, "bad_msg_signature"
	}
	return 0, ""
}

// checkNonce refuses a timestamp and nonce seen before with another body:
// a signed query string captured and replayed with a message of the
// attacker's. WeChat's own retries resend the same body and pass (the
// message id dedupes them). Both claims are atomic in the shared state, so
// replicas agree; a state failure lets the message through (the signature
// and the timestamp window still hold) rather than refusing every user.
func (h *Handler) checkNonce(ctx context.Context, timestamp, nonce string, body []byte) (int, string) {
	sum := sha256.Sum256(body)
	ttl := 2 * h.cfg.TimestampWindow
	key := "nonce:" + timestamp + ":" + nonce
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	claims, err := h.cfg.State.ClaimMessages(ctx, ttl, key+":"+hex.EncodeToString(sum[:8]), key)
	if err != nil {
		h.log.Warn("wechat nonce check", "err", err)
		return 0, ""
	}
	if newBody, newNonce := claims[0].Won, claims[1].Won; newBody && !newNonce {
		return http.StatusForbidden, "replayed_nonce"
	}
	return 0, ""
}

// stateTimeout bounds one shared-state call made while WeChat waits.
const stateTimeout = 2 * time.Second

func (h *Handler) signatureOK(signature, timestamp, nonce string) bool {
	want := util.Signature(h.cfg.Token, timestamp, nonce)
	return subtle.ConstantTimeCompare([]byte(signature), []byte(want)) == 1
}

// fresh refuses timestamps outside the window, so a captured request cannot be replayed later.
func (h *Handler) fresh(timestamp string) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := time.Since(time.Unix(ts, 0))
	return d <= h.cfg.TimestampWindow && d >= -h.cfg.TimestampWindow
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, status int, outcome string) {
	h.metrics.messages.WithLabelValues("unknown", outcome).Inc()
	// Only the outcome and the peer: query strings carry signatures, bodies carry messages.
	h.log.Warn("wechat request refused", "outcome", outcome, "status", status, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// serveMessage lets the library parse (and decrypt) the message, computes the
// reply, and has the library encode (and encrypt) it.
// stripXMLControl drops invalid UTF-8 and the control characters XML 1.0 forbids (a user's
// message may carry them): refusing the push would make WeChat retry and
// then show its own error to the user.
func stripXMLControl(b []byte) []byte {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, nil)
	}
	if !bytes.ContainsFunc(b, xmlForbidden) {
		return b
	}
	return bytes.Map(func(r rune) rune {
		if xmlForbidden(r) {
			return -1
		}
		return r
	}, b)
}

func xmlForbidden(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r'
}

func (h *Handler) serveMessage(w http.ResponseWriter, r *http.Request, body []byte) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(stripXMLControl(body)))
	// The library writes as it goes; buffer, so that an error still gets its own status.
	buf := newBufferedWriter()
	srv := h.oa.GetServer(req, buf)
	var (
		reached bool
		d       delivery
	)
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		reached = true
		d = h.handle(r.Context(), m)
		return d.reply
	})
	if err := srv.Serve(); err != nil {
		if !reached {
			h.reject(w, r, http.StatusBadRequest, "malformed")
			return
		}
		h.log.Error("wechat serve", "err", err, "msg", d.key, "openid", hashID(d.openid))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if d.malformed {
		h.reject(w, r, http.StatusBadRequest, "malformed")
		return
	}
	h.metrics.messages.WithLabelValues(d.typ, d.outcome).Inc()
	if d.reply == nil {
		// Safe mode would send an encrypted empty message; WeChat wants "success".
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
		return
	}
	if err := srv.Send(); err != nil {
		h.log.Error("wechat send reply", "err", err, "msg", d.key, "openid", hashID(d.openid))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	buf.copyTo(w)
}

// hashID keeps openids out of logs while letting one user's lines be correlated.
func hashID(openid string) string {
	if openid == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(openid))
	return hex.EncodeToString(sum[:])[:12]
}

// bufferedWriter collects what the library writes.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }

func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status != 0 {
		w.WriteHeader(b.status)
	}
	w.Write(b.body.Bytes())
}
