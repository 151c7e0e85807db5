// Package replicas holds the test that two complete policybot servers on one
// PostgreSQL behave as one: message claims, conversation sessions and the
// WeChat access token live in the database, not in either process.
package replicas

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/util"

	"policybot/answer"
	"policybot/bench/load"
	"policybot/bot"
	"policybot/embeddings"
	"policybot/postgres"
	"policybot/retrieval"
	"policybot/seeds"
	"policybot/web"
)

const (
	token   = "replica-token"
	appID   = "wx-replicas"
	secret  = "replica-secret"
	account = "gh_replicas"
)

var testURL string // the temporary database; empty: tests skip

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run creates a temporary database on POLICYBOT_TEST_DATABASE_URL (dropped
// after) and loads the seed corpus into it once.
func run(m *testing.M) int {
	admin := os.Getenv("POLICYBOT_TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "replicas: POLICYBOT_TEST_DATABASE_URL is not set and CI=true")
			return 1
		}
		return m.Run() // tests skip
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "policybot_replicas_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "replicas: connect: %v\n", err)
		return 1
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		fmt.Fprintf(os.Stderr, "replicas: create database: %v\n", err)
		return 1
	}
	defer func() {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "replicas: drop database %s: %v\n", name, err)
		}
	}()
	u, err := url.Parse(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "replicas: %v\n", err)
		return 1
	}
	u.Path = "/" + name
	testURL = u.String()
	st, err := postgres.Open(ctx, testURL)
	if err != nil {
		fmt.Fprintf(os.Stderr, "replicas: open: %v\n", err)
		return 1
	}
	in := &retrieval.Ingester{Store: st, Embedder: embeddings.NewLocal(0)}
	rep, err := in.IngestFS(ctx, seeds.Documents, ".")
	st.Close()
	if err != nil || rep.Clauses == 0 {
		fmt.Fprintf(os.Stderr, "replicas: ingest seeds: %v (%s)\n", err, rep)
		return 1
	}
	return m.Run()
}

// countingAsker counts the answers computed by the real answer service and
// can make them slow, to drive the bot onto its asynchronous path.
type countingAsker struct {
	svc   *answer.Service
	calls *atomic.Int64
	delay *atomic.Int64 // nanoseconds
}

func (a countingAsker) Ask(ctx context.Context, req answer.Request) (answer.Answer, error) {
	a.calls.Add(1)
	if d := time.Duration(a.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return answer.Answer{}, ctx.Err()
		}
	}
	return a.svc.Ask(ctx, req)
}

// replica is one complete server: its own pool, searcher, answer service,
// WeChat handler and HTTP server on :0.
type replica struct {
	url  string // the /wechat endpoint
	base string
}

// cluster is what the replicas share in the test process: the counters.
type cluster struct {
	calls, delay atomic.Int64
}

func (c *cluster) start(t *testing.T) *replica { return c.startOn(t, testURL) }

// startOn starts a replica whose store connects to dbURL.
func (c *cluster) startOn(t *testing.T, dbURL string) *replica {
	return c.startWith(t, dbURL, embeddings.NewLocal(0), nil)
}

// startWith starts a replica with its own embedder and generator (nil: extractive).
func (c *cluster) startWith(t *testing.T, dbURL string, emb embeddings.Embedder, gen answer.Generator) *replica {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL, postgres.WithMaxConns(4))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	searcher := retrieval.NewSearcher(st, emb, "天津市")
	searcher.SetEmbedBudget(300 * time.Millisecond)
	svc := answer.New(answer.Config{Searcher: searcher, Generator: gen, Budget: time.Second, Sessions: st, Recorder: st,
		DefaultRegion: "天津市", Logger: log})
	h, err := bot.New(bot.Config{
		Token: token, AppID: appID, AppSecret: secret, Region: "天津市", RateLimit: -1,
		// WeChat's 5 s, scaled down: a reply waits 300 ms, a retry comes after 200 ms.
		ReplyBudget: 300 * time.Millisecond, RetryInterval: 200 * time.Millisecond,
		PollInterval: 10 * time.Millisecond, APITimeout: 5 * time.Second,
		Asker: countingAsker{svc: svc, calls: &c.calls, delay: &c.delay}, State: st,
		Registry: prometheus.NewRegistry(), Logger: log,
	})
	if err != nil {
		t.Fatalf("bot: %v", err)
	}
	srv := web.New(web.Config{Searcher: searcher, Asker: svc, Store: st, Answers: st, WeChat: h, Logger: log,
		RequestTimeout: 2 * time.Second})
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = srv.Serve() }()
	srv.SetReady(true)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = h.Shutdown(ctx)
		st.Close()
	})
	return &replica{url: "http://" + srv.Addr() + "/wechat", base: "http://" + srv.Addr()}
}

// ask delivers a signed text message and returns the passive reply's text.
func (r *replica) ask(t *testing.T, openid string, msgID int64, text string) string {
	t.Helper()
	req, err := load.Request(context.Background(), r.url, token, account, openid, msgID, text, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("deliver %d: %v", msgID, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deliver %d: status %d: %s", msgID, resp.StatusCode, body)
	}
	var reply struct {
		Content string `xml:"Content"`
	}
	if err := xml.Unmarshal(body, &reply); err != nil {
		t.Fatalf("deliver %d: reply %q: %v", msgID, body, err)
	}
	return reply.Content
}

func requireDB(t *testing.T) {
	t.Helper()
	if testURL == "" {
		t.Skip("POLICYBOT_TEST_DATABASE_URL not set")
	}
}

func uniqueID() int64 { return time.Now().UnixNano() }

// TestOneAnswerPerMessage delivers one MsgId to both replicas at once, as
// WeChat's retries may land on either behind a load balancer.
func TestOneAnswerPerMessage(t *testing.T) {
	requireDB(t)
	var c cluster
	a, b := c.start(t), c.start(t)
	msgID := uniqueID()
	replies := make([]string, 6)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := []*replica{a, b}[i%2]
			replies[i] = r.ask(t, "o-replica-once", msgID, "小微企业续贷怎么办")
		}()
	}
	wg.Wait()
	if n := c.calls.Load(); n != 1 {
		t.Fatalf("answer computed %d times across two replicas, want 1", n)
	}
	for i, r := range replies {
		if r != replies[0] || !strings.Contains(r, "续贷") {
			t.Errorf("delivery %d: %q, first %q", i, r, replies[0])
		}
	}
}

// TestSessionMovesBetweenReplicas asks on one replica and follows up on the other.
func TestSessionMovesBetweenReplicas(t *testing.T) {
	requireDB(t)
	var c cluster
	a, b := c.start(t), c.start(t)
	openid := fmt.Sprintf("o-replica-session-%d", uniqueID())
	first := a.ask(t, openid, uniqueID(), "小微企业续贷怎么办")
	if !strings.Contains(first, "无还本续贷") {
		t.Fatalf("first answer lacks 无还本续贷:\n%s", first)
	}
	follow := b.ask(t, openid, uniqueID(), "那找哪个部门办理？")
	for _, want := range []string{"人民银行天津分行", "市金融局", "天津市提升中小企业竞争力若干措施"} {
		if !strings.Contains(follow, want) {
			t.Errorf("follow-up on the other replica lacks %q:\n%s", want, follow)
		}
	}
	// The same follow-up from someone without that conversation is not answered
	// from it: the context came from the shared session, not from the process.
	if other := b.ask(t, openid+"-other", uniqueID(), "那找哪个部门办理？"); strings.Contains(other, "人民银行天津分行") {
		t.Errorf("a fresh session got the other user's context:\n%s", other)
	}
}

// fakeWeChat speaks the token and customer-service calls of WeChat's API.
type fakeWeChat struct {
	mu      sync.Mutex
	fetches int
	sends   []string // access token of each send
	sent    chan struct{}
}

func newFakeWeChat(t *testing.T) *fakeWeChat {
	t.Helper()
	f := &fakeWeChat{sent: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.fetches++
		fmt.Fprintf(w, `{"access_token":"token-%d","expires_in":7200}`, f.fetches)
	})
	mux.HandleFunc("POST /cgi-bin/message/custom/send", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.sends = append(f.sends, r.URL.Query().Get("access_token"))
		f.mu.Unlock()
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
		f.sent <- struct{}{}
	})
	srv := httptest.NewServer(mux)
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://api.weixin.qq.com", srv.URL, 1)
	})
	t.Cleanup(func() {
		util.SetURIModifier(nil)
		srv.Close()
	})
	return f
}

// TestAccessTokenShared makes each replica push a slow answer through the
// customer-service API: the token fetched by the first is used by the second.
func TestAccessTokenShared(t *testing.T) {
	requireDB(t)
	// A token cached by an earlier run (go test -count=N) would hide the fetch.
	conn, err := pgx.Connect(context.Background(), testURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), "DELETE FROM kv")
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeWeChat(t)
	var c cluster
	a, b := c.start(t), c.start(t)
	// Longer than a delivery's wait (reply budget, then hold until the retry
	// interval + 1 s): the delivery answers with a placeholder and the answer
	// is pushed when done.
	c.delay.Store(int64(1800 * time.Millisecond))
	for i, r := range []*replica{a, b} {
		openid := fmt.Sprintf("o-replica-token-%d-%d", i, uniqueID())
		if reply := r.ask(t, openid, uniqueID(), "小微企业续贷怎么办"); !strings.Contains(reply, "稍候") {
			t.Fatalf("replica %d: reply %q, want the placeholder", i, reply)
		}
		select {
		case <-fake.sent:
		case <-time.After(10 * time.Second):
			t.Fatalf("replica %d pushed nothing", i)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.fetches != 1 || len(fake.sends) != 2 || fake.sends[0] != fake.sends[1] {
		t.Fatalf("%d token fetches, sends with tokens %v; want 1 fetch and one token for both replicas", fake.fetches, fake.sends)
	}
}
