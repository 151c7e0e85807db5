package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"policybot/answer"
	"policybot/state"
)

// result is what a message came to; stored with its claim so that every
// delivery, on any replica, replies the same.
type result struct {
	Text    string `json:"text"`
	Outcome string `json:"outcome"`
	// Question is kept with a failure, so that "继续" asks it again.
	Question string `json:"question,omitempty"`
}

// computeFunc computes a message's result. It runs apart from the request
// (WeChat hangs up after 5 s), with its own context.
type computeFunc func(ctx context.Context) result

func asyncKey(key string) string { return "async:" + key }
func pendingKey(openid string) string {
	return "pending:" + openid
}

// once answers a message exactly once across deliveries and replicas. The
// first delivery claims the message and starts the computation; every
// delivery waits for the result within the reply budget. A delivery that is
// not WeChat's last try keeps the connection open when the result is late, so
// that WeChat resends (a "success" would end the retries); the last try
// replies a placeholder and the answer is pushed when done.
func (h *Handler) once(ctx context.Context, d *delivery, compute computeFunc) {
	arrived := time.Now()
	// Every shared-state call has a deadline within WeChat's 5 s: a hung
	// database costs a "try again" reply, never a silent hang.
	cctx, cancel := context.WithTimeout(ctx, stateTimeout)
	claims, err := h.cfg.State.ClaimMessages(cctx, h.cfg.MessageTTL, d.key)
	cancel()
	if err != nil {
		h.log.Error("wechat claim message", "err", err, "msg", d.key, "openid", hashID(d.openid))
		d.reply, d.outcome = textReply(textFailed), "error"
		return
	}
	tries := h.seen.note(d.key, arrived)
	var age time.Duration // how long ago the message was first claimed, by any replica
	if claims[0].Won {
		h.start(d.key, d.openid, compute)
	} else {
		h.metrics.duplicates.Inc()
		if at := claims[0].At; !at.IsZero() {
			age = max(arrived.Sub(at), 0)
		}
	}
	if res, ok := h.wait(ctx, d.key, h.cfg.ReplyBudget); ok {
		d.reply, d.outcome = textReply(res.Text), res.Outcome
		return
	}
	if ctx.Err() != nil {
		d.outcome = "hung_up"
		return
	}
	if tries < 3 && age < h.cfg.RetryInterval*3/2 {
		// Not the last try: hold on until WeChat hangs up and resends. The cap
		// only matters behind a proxy that never hangs up.
		hold := time.Until(arrived.Add(h.cfg.RetryInterval + time.Second))
		if res, ok := h.wait(ctx, d.key, hold); ok {
			d.reply, d.outcome = textReply(res.Text), res.Outcome
			return
		}
		if ctx.Err() != nil {
			d.outcome = "hung_up"
			return
		}
	}
	// Last try. Whoever claims the async key first decides: this delivery
	// (placeholder now, push later) or the finished computation (passive reply).
	actx, cancel := context.WithTimeout(ctx, stateTimeout)
	won, err := h.cfg.State.ClaimMessage(actx, asyncKey(d.key), h.cfg.MessageTTL)
	cancel()
	if err != nil {
		h.log.Error("wechat claim async", "err", err, "msg", d.key)
		won = true // the computation pushes when it cannot claim either
	}
	if won {
		d.reply, d.outcome = textReply(textPlaceholder), "placeholder"
		return
	}
	if res, ok := h.result(ctx, d.key); ok {
		d.reply, d.outcome = textReply(res.Text), res.Outcome
		return
	}
	d.reply, d.outcome = textReply(textFailed), "error"
}

// start runs compute in the background and records its result.
func (h *Handler) start(key, openid string, compute computeFunc) {
	f := &flight{done: make(chan struct{})}
	h.mu.Lock()
	h.inflight[key] = f
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		res := h.run(key, compute)
		// Bookkeeping gets its own deadline: the computation may have used all of its own.
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.APITimeout+5*time.Second)
		defer cancel()
		data, err := json.Marshal(res)
		if err == nil {
			err = h.cfg.State.FinishMessage(ctx, key, data)
		}
		if err != nil {
			h.log.Error("wechat finish message", "err", err, "msg", key)
		}
		f.res = res
		h.mu.Lock()
		delete(h.inflight, key)
		h.mu.Unlock()
		close(f.done)
		won, err := h.cfg.State.ClaimMessage(ctx, asyncKey(key), h.cfg.MessageTTL)
		if err != nil {
			h.log.Error("wechat claim async", "err", err, "msg", key)
		}
		if won && err == nil {
			return // a delivery replies passively; no placeholder was sent
		}
		h.push(ctx, key, openid, res)
	}()
}

// run calls compute under the computation's timeout; a panic in the answer
// service must not take the process down with it.
func (h *Handler) run(key string, compute computeFunc) (res result) {
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.AnswerTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("wechat compute panicked", "panic", fmt.Sprint(p), "msg", key)
			res = result{Text: textFailed, Outcome: "error"}
		}
	}()
	return compute(ctx)
}

// flight is a computation running in this process.
type flight struct {
	done chan struct{} // closed when it has finished
	res  result        // its result, set before done is closed
}

// wait returns the message's result once it is done, or false after d or when ctx ends.
// A result computed here is taken from memory: reading it back from the
// shared state cost two queries per message under load, one of them before
// the computation could possibly have finished.
func (h *Handler) wait(ctx context.Context, key string, d time.Duration) (result, bool) {
	h.mu.Lock()
	local := h.inflight[key]
	h.mu.Unlock()
	if d <= 0 {
		return h.result(ctx, key)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	if local != nil {
		select {
		case <-ctx.Done():
			return result{}, false
		case <-timer.C:
			return result{}, false
		case <-local.done:
			return local.res, true
		}
	}
	// Computed elsewhere: poll the shared state.
	ticker := time.NewTicker(h.cfg.PollInterval)
	defer ticker.Stop()
	for {
		if res, ok := h.result(ctx, key); ok {
			return res, true
		}
		select {
		case <-ctx.Done():
			return result{}, false
		case <-timer.C:
			return h.result(ctx, key)
		case <-ticker.C:
		}
	}
}

// result reads a finished result from the shared state.
func (h *Handler) result(ctx context.Context, key string) (result, bool) {
	data, done, err := h.cfg.State.MessageResult(ctx, key)
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) && ctx.Err() == nil {
			h.log.Warn("wechat read message result", "err", err, "msg", key)
		}
		return result{}, false
	}
	if !done {
		return result{}, false
	}
	var res result
	if err := json.Unmarshal(data, &res); err != nil {
		h.log.Error("wechat decode message result", "err", err, "msg", key)
		return result{}, false
	}
	return res, true
}

// SessionID is the conversation id of a WeChat user: namespaced, so that
// no other channel (the API's session parameter) can read or change it.
func SessionID(openid string) string { return "wechat:" + openid }

// ask is the computation of a question: rate limit, answer, fit to a reply.
func (h *Handler) ask(openid, question string) computeFunc {
	return func(ctx context.Context) result {
		if !h.limiter.allow(openid, time.Now()) {
			return result{Text: textRateLimited, Outcome: "rate_limited"}
		}
		start := time.Now()
		a, err := h.cfg.Asker.Ask(ctx, answer.Request{
			Session: SessionID(openid), Region: h.askerRegion(ctx, openid), Question: question, Budget: h.cfg.AskBudget,
		})
		elapsed := time.Since(start)
		h.metrics.latency.Observe(elapsed.Seconds())
		if err != nil {
			h.log.Error("wechat ask", "err", err, "openid", hashID(openid), "latency_ms", elapsed.Milliseconds())
			return result{Text: textFailed, Outcome: "error", Question: question}
		}
		outcome := "answered"
		if !a.Answered {
			outcome = "refused"
		}
		h.log.Info("wechat answered", "openid", hashID(openid), "outcome", outcome,
			"latency_ms", elapsed.Milliseconds(), "citations", len(a.Citations))
		return result{Text: h.fit(ctx, a), Outcome: outcome}
	}
}

// takePending is the computation of "继续": the answer a push could not deliver.
func (h *Handler) takePending(openid string) computeFunc {
	return func(ctx context.Context) result {
		key, err := h.cfg.State.KVGet(ctx, pendingKey(openid))
		if err != nil {
			if !errors.Is(err, state.ErrNotFound) {
				h.log.Error("wechat read pending", "err", err, "openid", hashID(openid))
				return result{Text: textFailed, Outcome: "error"}
			}
			return result{Text: textNothingToGet, Outcome: "nothing_pending"}
		}
		res, ok := h.result(ctx, string(key))
		if !ok {
			return result{Text: textNothingToGet, Outcome: "nothing_pending"}
		}
		if err := h.cfg.State.KVDelete(ctx, pendingKey(openid)); err != nil {
			h.log.Warn("wechat delete pending", "err", err, "openid", hashID(openid))
		}
		if res.Outcome == "error" && res.Question != "" {
			// What waited was a failure: ask again rather than repeat it.
			again := h.ask(openid, res.Question)(ctx)
			if again.Outcome != "error" {
				again.Outcome = "pending_asked_again"
			}
			return again
		}
		return result{Text: res.Text, Outcome: "pending_delivered"}
	}
}
