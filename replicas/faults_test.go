package replicas

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policybot/embeddings"
	"policybot/llm"
)

// freezer is a TCP proxy to the database that can stop forwarding, as a
// frozen server (kill -STOP) does: connections stay open, nothing comes back.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	thawed chan struct{}
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, thawed: make(chan struct{})}
	close(f.thawed)
	t.Cleanup(func() { f.ln.Close(); f.thaw() })
	go f.serve(ln)
	return f
}

func (f *freezer) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		f.mu.Unlock()
		go f.pipe(c, up)
		go f.pipe(up, c)
	}
}

// listen accepts again on addr (after stop).
func (f *freezer) listen(t *testing.T, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	go f.serve(ln)
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		wait := f.thawed
		f.mu.Unlock()
		<-wait // frozen: hold what came until thawed
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		f.frozen, f.thawed = true, make(chan struct{})
	}
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		f.frozen = false
		close(f.thawed)
	}
}

// TestFrozenDatabase: with the database frozen, every request answers
// within its budget — the API and /readyz with 503, a WeChat message with
// a reply — and the server recovers when the database does.
func TestFrozenDatabase(t *testing.T) {
	requireDB(t)
	u, _ := url.Parse(testURL)
	fz := newFreezer(t, u.Host)
	pu := *u
	pu.Host = fz.ln.Addr().String()
	var c cluster
	r := c.startOn(t, pu.String())
	search := func() (int, time.Duration) {
		start := time.Now()
		resp, err := http.Get(r.base + "/api/search?q=" + url.QueryEscape("小微企业续贷"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if status, _ := search(); status != 200 {
		t.Fatalf("before the fault: %d", status)
	}
	fz.freeze()
	if status, took := search(); status != http.StatusServiceUnavailable || took > 5*time.Second {
		t.Errorf("frozen database: /api/search %d after %v, want 503 within the 2 s request budget", status, took)
	}
	start := time.Now()
	resp, err := http.Get(r.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(start) > 5*time.Second {
		t.Errorf("frozen database: /readyz %d after %v", resp.StatusCode, time.Since(start))
	}
	start = time.Now()
	reply := r.ask(t, "o-frozen", uniqueID(), "小微企业续贷怎么办")
	if took := time.Since(start); took > 5*time.Second || reply == "" {
		t.Errorf("frozen database: WeChat reply %q after %v, want a reply within WeChat's 5 s", reply, took)
	}
	fz.thaw()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := search()
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the fault: /api/search still %d", status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if reply := r.ask(t, "o-frozen", uniqueID(), "小微企业续贷怎么办"); !strings.Contains(reply, "续贷") {
		t.Errorf("after the fault: WeChat reply %q", reply)
	}
}

// stop closes every connection and refuses new ones, as a stopped server
// does; start listens again on the same address.
func (f *freezer) stop(t *testing.T) {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
}

// downEmbedder fails while down is set, as an embeddings endpoint answering 500 does.
type downEmbedder struct {
	embeddings.Embedder
	down *atomic.Bool
}

func (d downEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if d.down.Load() {
		return nil, errors.New("embeddings: status 500")
	}
	return d.Embedder.Embed(ctx, texts)
}

// TestServerFaults: one server, four faults — embeddings down, an LLM
// answering 1.2 GB, the database stopped, then back — and every request
// answers within its budget with its documented status.
func TestServerFaults(t *testing.T) {
	requireDB(t)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"`)
		chunk := strings.Repeat("字", 1<<14)
		for i := 0; i < 25000; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer huge.Close()
	gen, err := llm.New(llm.Config{BaseURL: huge.URL + "/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	u, _ := url.Parse(testURL)
	fz := newFreezer(t, u.Host)
	pu := *u
	pu.Host = fz.ln.Addr().String()
	var c cluster
	r := c.startWith(t, pu.String(), downEmbedder{Embedder: embeddings.NewLocal(0), down: &down}, gen)
	ask := func() (int, string, time.Duration) {
		start := time.Now()
		resp, err := http.Get(r.base + "/api/ask?q=" + url.QueryEscape("小微企业续贷怎么办"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(start)
	}
	// Embeddings down and the LLM sending 1.2 GB: answered, lexical-only
	// and extractive, within the answer budget.
	down.Store(true)
	if status, body, took := ask(); status != 200 || !strings.Contains(body, `"answered":true`) || !strings.Contains(body, "根据现行政策") || took > 5*time.Second {
		t.Errorf("embeddings down, LLM huge: %d after %v: %.200s", status, took, body)
	}
	down.Store(false)
	// The database stopped: 503 at once, never a hang or a 500.
	addr := fz.ln.Addr().String()
	fz.stop(t)
	if status, _, took := ask(); status != http.StatusServiceUnavailable || took > 5*time.Second {
		t.Errorf("database stopped: /api/ask %d after %v, want 503", status, took)
	}
	// Back: the server recovers.
	fz.listen(t, addr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body, _ := ask()
		if status == 200 && strings.Contains(body, `"answered":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the database came back: %d %.200s", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
