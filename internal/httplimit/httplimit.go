// Package httplimit bounds the bodies of HTTP responses, so a misbehaving
// upstream (an OpenAI-compatible server answering 400 MB) costs an error,
// not the process's memory.
package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is returned when reading past a response's limit.
var ErrTooLarge = errors.New("response body too large")

// Transport returns base (nil: http.DefaultTransport) with every response
// body limited to max bytes: reading more returns ErrTooLarge.
func Transport(base http.RoundTripper, max int64) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, max: max}
}

type transport struct {
	base http.RoundTripper
	max  int64
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %w (%d bytes, limit %d)", r.Method, r.URL.Redacted(), ErrTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &body{rc: resp.Body, left: t.max}
	return resp, nil
}

type body struct {
	rc   io.ReadCloser
	left int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
