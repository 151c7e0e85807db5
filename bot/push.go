package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"policybot/state"
)

// errNoCredentials: without an app ID and secret there is no access token.
var errNoCredentials = errors.New("no app ID or secret configured")

// push sends a late answer through the customer-service API. When it cannot,
// the answer stays with its message and the user's "继续" fetches it.
func (h *Handler) push(ctx context.Context, key, openid string, res result) {
	err := h.sendText(ctx, openid, res.Text)
	if err == nil {
		h.metrics.asyncSends.WithLabelValues("ok").Inc()
		h.log.Info("wechat pushed answer", "msg", key, "openid", hashID(openid))
		return
	}
	label := "error"
	if cannotPush(err) {
		label = "cannot_push"
	}
	h.metrics.asyncSends.WithLabelValues(label).Inc()
	h.log.Warn("wechat push answer", "err", redact(err), "result", label, "msg", key, "openid", hashID(openid))
	if err := h.cfg.State.KVSet(ctx, pendingKey(openid), []byte(key), h.cfg.MessageTTL); err != nil {
		h.log.Error("wechat keep pending answer", "err", err, "msg", key, "openid", hashID(openid))
	}
}

// sendText sends one customer-service text message (the library's call takes
// no context; util.DefaultHTTPClient's timeout bounds it). WeChat answers 40001 when
// the cached token was replaced (another process fetched a new one, or the
// secret was reset); the library keeps using it, so drop it and retry once.
func (h *Handler) sendText(ctx context.Context, openid, text string) error {
	if h.cfg.AppID == "" || h.cfg.AppSecret == "" {
		return errNoCredentials
	}
	msg := message.NewCustomerTextMessage(openid, text)
	err := h.customer.Send(msg)
	if code := errCode(err); code == 40001 || code == 42001 {
		if derr := h.cfg.State.KVDelete(ctx, h.tokenKey()); derr != nil {
			return fmt.Errorf("customer send: drop access token: %w", derr)
		}
		err = h.customer.Send(msg)
	}
	if err != nil {
		return fmt.Errorf("customer send: %w", err)
	}
	return nil
}

// tokenKey is where the library caches the access token.
func (h *Handler) tokenKey() string {
	return fmt.Sprintf("%s_access_token_%s", credential.CacheKeyOfficialAccountPrefix, h.cfg.AppID)
}

var errCodeRE = regexp.MustCompile(`errcode\s*=\s*(\d+)`)

// errCode extracts WeChat's errcode: the library reports it only inside error text.
func errCode(err error) int {
	if err == nil {
		return 0
	}
	m := errCodeRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// cannotPush: the account may not send this user a customer-service message
// now (outside the 48 h window, over the quota, or not authorised at all).
func cannotPush(err error) bool {
	if errors.Is(err, errNoCredentials) {
		return true
	}
	switch errCode(err) {
	case 45015, 45047, 48001:
		return true
	}
	return false
}

var secretRE = regexp.MustCompile(`(secret|access_token)=[^&\s"]*`)

// redact removes the app secret and access token the library puts in error
// texts (they quote the request URL).
func redact(err error) string {
	return secretRE.ReplaceAllString(err.Error(), "$1=REDACTED")
}

// kvCache is the library's token cache on the shared KV store, so replicas
// share one access token (each fetch invalidates the previous token).
type kvCache struct {
	state   State
	ctx     context.Context
	timeout time.Duration
}

var _ cache.ContextCache = (*kvCache)(nil)

func (c *kvCache) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

func (c *kvCache) Get(key string) interface{} { return c.GetContext(c.ctx, key) }
func (c *kvCache) IsExist(key string) bool    { return c.IsExistContext(c.ctx, key) }
func (c *kvCache) Delete(key string) error    { return c.DeleteContext(c.ctx, key) }
func (c *kvCache) Set(key string, val interface{}, timeout time.Duration) error {
	return c.SetContext(c.ctx, key, val, timeout)
}

// GetContext returns the value as a string (the library asserts one), or nil.
func (c *kvCache) GetContext(ctx context.Context, key string) interface{} {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	data, err := c.state.KVGet(ctx, key)
	if err != nil {
		return nil // missing or unreadable: the library fetches a new token
	}
	return string(data)
}

// SetContext stores string values; the library caches nothing else here.
func (c *kvCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	s, ok := val.(string)
	if !ok {
		return fmt.Errorf("token cache set %q: unsupported value type %T", key, val)
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := c.state.KVSet(ctx, key, []byte(s), timeout); err != nil {
		return fmt.Errorf("token cache set: %w", err)
	}
	return nil
}

// IsExistContext reports whether key holds a value.
func (c *kvCache) IsExistContext(ctx context.Context, key string) bool {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	_, err := c.state.KVGet(ctx, key)
	return err == nil
}

// DeleteContext removes key; a missing key is not an error.
func (c *kvCache) DeleteContext(ctx context.Context, key string) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := c.state.KVDelete(ctx, key); err != nil && !errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("token cache delete: %w", err)
	}
	return nil
}
