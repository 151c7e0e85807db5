package console

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"policybot/answer"
	"policybot/embeddings"
	"policybot/enterprise"
	"policybot/retrieval"
	"policybot/staff"
	"policybot/state"
	"policybot/upload"
)

// testDoc is a small policy document in the layout of the real corpus.
const testDoc = `天津市支持小微企业融资的若干措施
津金融〔2024〕9号

一、加大信贷支持
（一）支持续贷。对流动资金贷款到期后仍有融资需求、又临时存在资金困难的小微企业，银行可按规定办理续贷，不得抽贷、断贷。（责任单位：市金融局、人民银行天津分行）
（二）降低担保费率。政府性融资担保机构对小微企业担保费率降至1%以下。（责任单位：市财政局）
二、优化服务
（三）推广首贷服务中心。在各区设立首贷服务中心，为首次贷款企业提供咨询。（责任单位：各区人民政府）
（四）畅通投诉渠道。企业可拨打12345热线反映融资问题。（责任单位：市金融局）

天津市地方金融监督管理局
2024年3月1日
`

type harness struct {
	t           *testing.T
	c           *Console
	srv         *httptest.Server
	store       *retrieval.MemoryStore
	users       *staff.FileStore
	state       *state.Memory
	sources     *testSources
	overrides   *retrieval.MemoryOverrides
	corrections *upload.MemoryCorrections
	profiles    *enterprise.FileProfiles
	ingest      func(ctx context.Context, name string, data []byte) (string, error)
	ingester    *retrieval.Ingester // of the corpus, as policybot ingest
	now         time.Time
	password    string
}

// newHarness serves a Console over the real memory store, local embedder,
// searcher, ingester and answer service, with one agent and one admin.
func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith also ingests corpus (e.g. seeds.Documents) when not nil.
func newHarnessWith(t *testing.T, corpus fs.FS) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, store: retrieval.NewMemoryStore(), state: state.NewMemory(), password: "correct horse 1",
		now: time.Now(), sources: &testSources{MemorySources: upload.NewMemorySources()}}
	emb := embeddings.NewLocal(256)
	ing := &retrieval.Ingester{Store: h.store, Embedder: emb}
	h.ingester = ing
	// xiaowei stands for an upload from before sources were kept: stored,
	// but with no bytes to re-ingest.
	h.ingest = IngestFunc(ing, nil)
	if _, err := h.ingest(ctx, "xiaowei.txt", []byte(testDoc)); err != nil {
		t.Fatal(err)
	}
	if corpus != nil {
		if _, err := ing.IngestFS(ctx, corpus, "."); err != nil {
			t.Fatal(err)
		}
	}
	searcher := retrieval.NewSearcher(h.store, emb, "天津市")
	searcher.SetClock(func() time.Time { return time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC) })
	h.overrides = &retrieval.MemoryOverrides{}
	h.corrections = &upload.MemoryCorrections{}
	corrected := &retrieval.Ingester{Store: upload.Corrected(h.store, h.corrections), Embedder: emb}
	h.profiles, _ = enterprise.NewFileProfiles("")
	searcher.SetOverrides(h.overrides)
	asker := answer.New(answer.Config{Searcher: searcher, Recorder: h.state, DefaultRegion: "天津市"})
	var err error
	h.users, err = staff.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{{"agent1", staff.RoleAgent}, {"admin1", staff.RoleAdmin}} {
		nu, err := staff.NewUser(u.name, u.role, h.password, h.now)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.users.AddUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
	}
	h.c = New(Config{
		Searcher: searcher, Asker: asker, Store: h.store, Unanswered: h.state, Handled: h.state,
		Rerun: answer.New(answer.Config{Searcher: searcher, DefaultRegion: "天津市"}),
		Users: h.users, Sessions: staff.NewMemorySessions(), Audit: h.users,
		Ingest: IngestFunc(corrected, h.sources), Reingest: ReingestFunc(corrected, h.store, h.sources, nil),
		Corrections: h.corrections,
		Validity:    searcher, Overrides: h.overrides, Matcher: searcher, Pushes: h.state, Profiles: h.profiles,
		Region: "天津市", MaxUpload: 64 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	h.c.now = func() time.Time { return h.now }
	h.c.sleep = func(context.Context, time.Duration) {}
	mux := http.NewServeMux()
	h.c.Mount(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// testSources is an upload.MemorySources whose SaveSource can be made to fail, as a
// database would when it is down.
type testSources struct {
	*upload.MemorySources
	failSave atomic.Bool
}

func (s *testSources) SaveSource(ctx context.Context, docID, name string, data []byte) error {
	if s.failSave.Load() {
		return errors.New("save source: connection refused")
	}
	return s.MemorySources.SaveSource(ctx, docID, name, data)
}

// client returns a browser-like client that keeps cookies and does not
// follow redirects, so tests see them.
func (h *harness) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login signs cl in and returns the session's CSRF token.
func (h *harness) login(cl *http.Client, name string) string {
	h.t.Helper()
	resp := h.loginPost(cl, url.Values{"name": {name}, "password": {h.password}})
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	_, body := h.get(cl, "/logout")
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(body)
	if m == nil {
		h.t.Fatalf("no CSRF token on the logout page:\n%s", body)
	}
	return m[1]
}

// loginPost opens the login page with cl, as a browser does, and posts
// form with the page's CSRF token.
func (h *harness) loginPost(cl *http.Client, form url.Values) *http.Response {
	h.t.Helper()
	_, page := h.get(cl, "/login")
	tok := regexpFind(`name="csrf" value="([0-9a-f]{64})"`, page)
	if tok == "" {
		h.t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", tok)
	return h.post(cl, "/login", f)
}

func (h *harness) get(cl *http.Client, path string) (*http.Response, string) {
	h.t.Helper()
	resp, err := cl.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) post(cl *http.Client, path string, form url.Values) *http.Response {
	h.t.Helper()
	resp, err := cl.PostForm(h.srv.URL+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Header.Set("X-Test-Body", url.QueryEscape(string(b)))
	return resp
}

func bodyOf(resp *http.Response) string {
	s, _ := url.QueryUnescape(resp.Header.Get("X-Test-Body"))
	return s
}

func (h *harness) clientAs(role string) (*http.Client, string) {
	cl := h.client()
	switch role {
	case staff.RoleAgent:
		return cl, h.login(cl, "agent1")
	case staff.RoleAdmin:
		return cl, h.login(cl, "admin1")
	}
	return cl, strings.Repeat("0", 64)
}

func regexpFind(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
