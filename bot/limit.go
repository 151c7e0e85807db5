package bot

import (
	"sync"
	"time"
)

// limiter is a per-openid sliding-window rate limit. It lives in process
// memory: with several replicas each enforces the limit on what it receives,
// which still bounds one user's load on the answer service.
type limiter struct {
	limit  int
	window time.Duration

	mu        sync.Mutex
	hits      map[string][]time.Time
	lastSweep time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, hits: map[string][]time.Time{}}
}

// allow records a message from id at now and reports whether it is within the limit.
func (l *limiter) allow(id string, now time.Time) bool {
	if l.limit < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.window {
		for k, ts := range l.hits {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > l.window {
				delete(l.hits, k)
			}
		}
		l.lastSweep = now
	}
	ts := l.hits[id]
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < l.window {
			keep = append(keep, t)
		}
	}
	if len(keep) >= l.limit {
		l.hits[id] = keep
		return false
	}
	l.hits[id] = append(keep, now)
	return true
}

// deliveries counts the deliveries of each message this process received,
// for recognising WeChat's third (last) try.
type deliveries struct {
	ttl time.Duration

	mu        sync.Mutex
	seen      map[string]*seenMsg
	lastSweep time.Time
}

type seenMsg struct {
	count int
	first time.Time
}

func newDeliveries(ttl time.Duration) *deliveries {
	return &deliveries{ttl: ttl, seen: map[string]*seenMsg{}}
}

// note records a delivery of key and returns how many this process has seen.
func (d *deliveries) note(key string, now time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.lastSweep) > d.ttl {
		for k, s := range d.seen {
			if now.Sub(s.first) > d.ttl {
				delete(d.seen, k)
			}
		}
		d.lastSweep = now
	}
	s, ok := d.seen[key]
	if !ok {
		s = &seenMsg{first: now}
		d.seen[key] = s
	}
	s.count++
	return s.count
}
