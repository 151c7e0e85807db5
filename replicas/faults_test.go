package replicas

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// freezer is a TCP proxy to the database that can stop forwarding, as a
// frozen server (kill -STOP) does: connections stay open, nothing comes back.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	thawed chan struct{}
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, thawed: make(chan struct{})}
	close(f.thawed)
	t.Cleanup(func() { ln.Close(); f.thaw() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go f.pipe(c, up)
			go f.pipe(up, c)
		}
	}()
	return f
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
