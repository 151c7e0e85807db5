package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"policybot/enterprise"
	"policybot/policy"
	"policybot/state"
)

// chinaTime is the time zone of the quiet hours.
var chinaTime = time.FixedZone("CST", 8*3600)

// Subscription commands.
const (
	cmdSubscribe   = "订阅政策推送"
	cmdUnsubscribe = "退订"
)

const (
	textSubscribed   = "已订阅政策推送：有新的现行政策适用于贵企业时，会推送给您（每天最多一次，22:00至次日8:00不推送）。回复“退订”可随时取消。"
	textUnsubscribed = "已退订政策推送。需要时可回复“订阅政策推送”重新订阅。"
	textSubNoProfile = "订阅前请先设置企业信息，以便只推送适用于贵企业的政策：发送“设置企业信息”开始。"
)

// Push rules: WeChat lets a customer-service message through only within 48
// hours of the user's last message (45015 outside, 45047 past its quota),
// a template message at any time; 43004: the user no longer follows.
const (
	pushDayTTL    = 26 * time.Hour       // the daily cap's marker outlives its day
	pushClaimTTL  = 400 * 24 * time.Hour // (enterprise, document) is pushed once, ever
	pushTries     = 3
	pushBackoff   = 200 * time.Millisecond
	quietFrom     = 22 // no pushes from 22:00…
	quietTo       = 8  // …to 08:00, China time
	maxPushItems  = 5  // documents named in one digest
	templateRunes = 20 // WeChat cuts template fields at 20 characters, silently
)

// PushTemplate maps a template message's fields to what a push says:
// "title" (the first new document's title), "number", "issuer", "date",
// "count" (how many documents), "hint" (what to reply).
type PushTemplate struct {
	ID     string
	Fields map[string]string // template field → title|number|issuer|date|count|hint
}

// PushReport counts what a push run did.
type PushReport struct {
	Profiles, Sent, ByTemplate, Quiet, Capped, NothingNew, NotFollowing, Failed int
}

func (r PushReport) String() string {
	return fmt.Sprintf("%d subscribed profiles: %d notified (%d by template message), %d nothing new, %d already notified today, %d deferred (quiet hours), %d not following, %d failed",
		r.Profiles, r.Sent, r.ByTemplate, r.NothingNew, r.Capped, r.Quiet, r.NotFollowing, r.Failed)
}

// subscribe turns pushes on or off for the user's profile.
func (h *Handler) subscribe(openid string, on bool) computeFunc {
	return func(ctx context.Context) result {
		err := h.cfg.Profiles.SetSubscribed(ctx, ProfileKey(openid), on)
		switch {
		case errors.Is(err, state.ErrNotFound) && on:
			return result{Text: textSubNoProfile, Outcome: "profile_none"}
		case errors.Is(err, state.ErrNotFound):
			return result{Text: textUnsubscribed, Outcome: "unsubscribed"}
		case err != nil:
			h.log.Error("wechat subscribe", "err", err, "openid", hashID(openid))
			return result{Text: textProfileFailed, Outcome: "error"}
		case on:
			return result{Text: textSubscribed, Outcome: "subscribed"}
		}
		return result{Text: textUnsubscribed, Outcome: "unsubscribed"}
	}
}

// PushNew notifies every subscribed WeChat user whose profile an in-force
// clause of docIDs (documents just added or changed) applies to: one
// message naming the new documents, sent once per (enterprise, document)
// across replicas and restarts (a claim in the shared state, taken before
// sending), at most one a day per enterprise (a marker set after sending),
// never between 22:00 and 08:00 China time. A run is safe to repeat: the
// periodic run picks up what quiet hours or the daily cap held back.
func (h *Handler) PushNew(ctx context.Context, docIDs []string) (PushReport, error) {
	var rep PushReport
	if h.cfg.Profiles == nil || h.cfg.Matcher == nil || len(docIDs) == 0 {
		return rep, nil
	}
	subs, err := h.cfg.Profiles.Subscribers(ctx)
	if err != nil {
		return rep, fmt.Errorf("push: %w", err)
	}
	rep.Profiles = len(subs)
	now := h.cfg.Now()
	if cn := now.In(chinaTime); cn.Hour() >= quietFrom || cn.Hour() < quietTo {
		rep.Quiet = len(subs)
		h.metrics.pushes.WithLabelValues("quiet_hours").Add(float64(len(subs)))
		return rep, nil
	}
	all, err := h.cfg.Matcher.Applicable(ctx, "")
	if err != nil {
		return rep, fmt.Errorf("push: %w", err)
	}
	fresh := make(map[string]bool, len(docIDs))
	for _, id := range docIDs {
		fresh[id] = true
	}
	var cands []enterprise.Candidate
	for _, c := range all {
		if fresh[c.Document.ID] {
			cands = append(cands, c)
		}
	}
	day := policy.Day(now)
	for _, sub := range subs {
		openid, ok := strings.CutPrefix(sub.Key, "wechat:")
		if !ok {
			continue // a console caller's profile: no WeChat user to tell
		}
		outcome := h.pushOne(ctx, openid, sub.Profile, cands, day)
		switch outcome {
		case "customer_service":
			rep.Sent++
		case "template":
			rep.Sent++
			rep.ByTemplate++
		case "daily_cap":
			rep.Capped++
		case "nothing_new":
			rep.NothingNew++
		case "not_following":
			rep.NotFollowing++
		default:
			rep.Failed++
		}
		if outcome != "nothing_new" {
			h.metrics.pushes.WithLabelValues(outcome).Inc()
		}
		if ctx.Err() != nil {
			return rep, fmt.Errorf("push: %w", ctx.Err())
		}
	}
	return rep, nil
}

// pushOne notifies one enterprise and says how it went.
func (h *Handler) pushOne(ctx context.Context, openid string, p enterprise.Profile, cands []enterprise.Candidate, day string) string {
	today, _ := time.Parse(time.DateOnly, day)
	u, err := enterprise.Understand(p, today)
	if err != nil {
		return "nothing_new"
	}
	docs := enterprise.Documents(u, cands) // one per document, its best clause
	if len(docs) == 0 {
		return "nothing_new"
	}
	dayKey := "push-day:" + openid + ":" + day
	if _, err := h.cfg.State.KVGet(ctx, dayKey); err == nil {
		return "daily_cap"
	} else if !errors.Is(err, state.ErrNotFound) {
		h.log.Error("push: read daily cap", "err", err, "openid", hashID(openid))
		return "failed"
	}
	keys := make([]string, len(docs))
	for i, d := range docs {
		keys[i] = "push:" + openid + ":" + d.Document.ID
	}
	claims, err := h.cfg.State.ClaimMessages(ctx, pushClaimTTL, keys...)
	if err != nil {
		h.log.Error("push: claim", "err", err, "openid", hashID(openid))
		return "failed"
	}
	var fresh []enterprise.Candidate
	for i, c := range claims {
		if c.Won {
			fresh = append(fresh, docs[i])
		}
	}
	if len(fresh) == 0 {
		return "nothing_new"
	}
	outcome := h.sendPush(ctx, openid, fresh)
	h.logPush(ctx, openid, fresh, outcome)
	switch outcome {
	case "customer_service", "template":
		if err := h.cfg.State.KVSet(ctx, dayKey, []byte(day), pushDayTTL); err != nil {
			h.log.Warn("push: set daily cap", "err", err, "openid", hashID(openid))
		}
		h.log.Info("push sent", "openid", hashID(openid), "documents", len(fresh), "by", outcome)
	case "not_following":
		// The user left: stop pushing to them (they may subscribe again).
		if err := h.cfg.Profiles.SetSubscribed(ctx, ProfileKey(openid), false); err != nil {
			h.log.Warn("push: unsubscribe", "err", err, "openid", hashID(openid))
		}
		h.log.Info("push: user no longer follows", "openid", hashID(openid))
	default:
		// Claimed and not sent: given up, not retried by a later run.
		h.log.Error("push given up", "openid", hashID(openid), "documents", len(fresh))
	}
	return outcome
}

// sendPush sends the digest: a customer-service message, or a template
// message when the user's 48-hour window is closed or its quota used;
// transient failures are retried with backoff.
func (h *Handler) sendPush(ctx context.Context, openid string, docs []enterprise.Candidate) string {
	text := pushText(docs)
	err := h.retry(ctx, func() error { return h.sendText(ctx, openid, text) })
	switch code := errCode(err); {
	case err == nil:
		return "customer_service"
	case code == 43004:
		return "not_following"
	case (code == 45015 || code == 45047) && h.cfg.PushTemplate.ID != "":
		err = h.retry(ctx, func() error { return h.sendTemplate(ctx, openid, docs) })
		if err == nil {
			return "template"
		}
		if errCode(err) == 43004 {
			return "not_following"
		}
	}
	h.log.Warn("push send", "err", redact(err), "openid", hashID(openid))
	return "failed"
}

// retry calls send up to pushTries times while it fails for a reason that
// may pass (network, 5xx, WeChat's -1 "system busy"), backing off.
func (h *Handler) retry(ctx context.Context, send func() error) error {
	var err error
	for i := range pushTries {
		if err = send(); err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pushBackoff << i):
		}
	}
	return err
}

// transient: WeChat's codes are decisions (not following, out of window,
// quota, bad template); anything without one, or -1, may pass on a retry.
func transient(err error) bool {
	code := errCode(err)
	return code == 0 || code == -1
}

// pushText is the customer-service digest.
func pushText(docs []enterprise.Candidate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【政策推送】有%d份新的现行政策可能适用于贵企业：\n", len(docs))
	for i, d := range docs[:min(len(docs), maxPushItems)] {
		fmt.Fprintf(&b, "%d. 《%s》", i+1, d.Document.Title)
		if d.Document.Number != "" {
			fmt.Fprintf(&b, "（%s）", d.Document.Number)
		}
		fmt.Fprintf(&b, " %s%s\n", d.Clause.Label, d.Clause.Title)
	}
	if len(docs) > maxPushItems {
		fmt.Fprintf(&b, "等%d份。\n", len(docs))
	}
	b.WriteString("回复“适合我的政策”查看详情；回复“退订”取消推送。")
	return b.String()
}

// sendTemplate sends the template message, each field cut to what WeChat
// shows (20 characters), plain text only.
func (h *Handler) sendTemplate(ctx context.Context, openid string, docs []enterprise.Candidate) error {
	if h.cfg.AppID == "" || h.cfg.AppSecret == "" {
		return errNoCredentials
	}
	d := docs[0].Document
	values := map[string]string{
		"title": d.Title, "number": d.Number, "issuer": d.Issuer, "date": d.Date,
		"count": fmt.Sprintf("%d份新政策", len(docs)), "hint": "回复“适合我的政策”查看详情",
	}
	msg := &message.TemplateMessage{ToUser: openid, TemplateID: h.cfg.PushTemplate.ID, Data: map[string]*message.TemplateDataItem{}}
	for field, source := range h.cfg.PushTemplate.Fields {
		msg.Data[field] = &message.TemplateDataItem{Value: policy.Clip(values[source], templateRunes-1)} // the cut adds "…"
	}
	_, err := h.template.Send(msg)
	if code := errCode(err); code == 40001 || code == 42001 {
		if derr := h.cfg.State.KVDelete(ctx, h.tokenKey()); derr != nil {
			return fmt.Errorf("template send: drop access token: %w", derr)
		}
		_, err = h.template.Send(msg)
	}
	if err != nil {
		return fmt.Errorf("template send: %w", err)
	}
	return nil
}

// logPush records a push in the admins' log, the user as a hash.
func (h *Handler) logPush(ctx context.Context, openid string, docs []enterprise.Candidate, outcome string) {
	if h.cfg.PushLog == nil {
		return
	}
	e := state.PushEntry{At: h.cfg.Now(), Enterprise: "wechat:" + hashID(openid), Outcome: outcome, Documents: []string{}}
	for _, d := range docs {
		e.Documents = append(e.Documents, d.Document.Title)
	}
	if err := h.cfg.PushLog.RecordPush(ctx, e); err != nil {
		h.log.Warn("push: log", "err", err, "openid", hashID(openid))
	}
}
