package httplimit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sized" {
			io.WriteString(w, strings.Repeat("x", 2000)) // sent with its Content-Length
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fl := w.(http.Flusher)
		for i := 0; i < 100; i++ { // chunked: no Content-Length
			io.WriteString(w, strings.Repeat("y", 100))
			fl.Flush()
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: Transport(nil, 1000)}
	if _, err := c.Get(srv.URL + "/sized"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("declared 2000 bytes: %v, want ErrTooLarge", err)
	}
	resp, err := c.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, ErrTooLarge) || len(b) != 1000 {
		t.Errorf("streamed 10000 bytes: read %d, %v; want 1000 and ErrTooLarge", len(b), err)
	}
	ok := &http.Client{Transport: Transport(nil, 10000)}
	resp, err = ok.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(b) != 10000 {
		t.Errorf("a body of exactly the limit: %d, %v", len(b), err)
	}
}
