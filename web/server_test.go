package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"policybot/answer"
	"policybot/bot"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/state"
)

type fakeSearcher struct {
	err      error
	last     retrieval.SearchRequest
	validity *policy.ValidityStatus
}

func (f *fakeSearcher) Search(_ context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	f.last = req
	if f.err != nil {
		return nil, f.err
	}
	if req.Query == "panic" {
		panic("boom")
	}
	return []retrieval.Hit{{Score: 0.9, Document: policy.Meta{ID: "d", Title: "T", Validity: f.validity},
		Clause: policy.Clause{ID: "d#1", Label: "（四）", Agencies: []string{"市金融局"}}}}, nil
}

type fakeAsker struct{ last answer.Request }

func (f *fakeAsker) Ask(_ context.Context, req answer.Request) (answer.Answer, error) {
	f.last = req
	return answer.Answer{Answered: true, Answer: "答：" + req.Question}, nil
}

type fakePinger struct{ err error }

func (f fakePinger) Ping(context.Context) error { return f.err }

func newTestServer(t *testing.T, cfg Config) (*httptest.Server, *Server) {
	t.Helper()
	s := New(cfg)
	s.SetReady(true)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s
}

func get(t *testing.T, u string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSearchAPI(t *testing.T) {
	fs := &fakeSearcher{}
	ts, _ := newTestServer(t, Config{Searcher: fs, Asker: &fakeAsker{}})
	for _, tc := range []struct {
		name, query string
		status      int
		wantK       int
		body        string
	}{
		{"OK", "q=" + url.QueryEscape("小微企业续贷") + "&k=3&region=" + url.QueryEscape("天津市"), 200, 3, `"label":"（四）"`},
		{"KClampedHigh", "q=a&k=999", 200, MaxK, `"hits"`},
		{"KClampedLow", "q=a&k=-4", 200, 1, `"hits"`},
		{"KDefault", "q=a", 200, DefaultK, `"query":"a"`},
		{"ErrEmpty", "q=%20", 400, 0, `"error"`},
		{"ErrTooLong", "q=" + strings.Repeat("字", MaxQueryRunes+1), 400, 0, `"error"`},
		{"ErrK", "q=a&k=x", 400, 0, `"error"`},
		{"Panic", "q=panic", 500, 0, `"internal error"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, ts.URL+"/api/search?"+tc.query)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("status %d body %s", status, body)
			}
			if tc.wantK != 0 && fs.last.K != tc.wantK {
				t.Fatalf("k = %d, want %d", fs.last.K, tc.wantK)
			}
		})
	}
	var resp searchResponse
	_, body := get(t, ts.URL+"/api/search?q=x&region="+url.QueryEscape("天津市"))
	if err := json.Unmarshal([]byte(body), &resp); err != nil || len(resp.Hits) != 1 || fs.last.Region != "天津市" {
		t.Fatalf("decode %v %+v %+v", err, resp, fs.last)
	}
}

func TestSearchStoreDown(t *testing.T) {
	ts, s := newTestServer(t, Config{Searcher: &fakeSearcher{err: errors.New("conn refused")}, Store: fakePinger{err: errors.New("down")}})
	status, body := get(t, ts.URL+"/api/search?q=a")
	if status != 503 || strings.Contains(body, "conn refused") {
		t.Fatalf("status %d body %s (cause must not leak)", status, body)
	}
	if status, _ := get(t, ts.URL+"/readyz"); status != 503 {
		t.Fatalf("readyz %d with store down", status)
	}
	s.SetReady(false)
	if status, _ := get(t, ts.URL+"/healthz"); status != 200 {
		t.Fatalf("healthz %d", status)
	}
}

func TestReadyz(t *testing.T) {
	ts, s := newTestServer(t, Config{Searcher: &fakeSearcher{}, Store: fakePinger{}})
	if status, _ := get(t, ts.URL+"/readyz"); status != 200 {
		t.Fatalf("ready: %d", status)
	}
	s.SetReady(false)
	if status, _ := get(t, ts.URL+"/readyz"); status != 503 {
		t.Fatalf("loading: %d", status)
	}
}

func TestAskAPI(t *testing.T) {
	fa := &fakeAsker{}
	ts, _ := newTestServer(t, Config{Searcher: &fakeSearcher{}, Asker: fa})
	status, body := get(t, ts.URL+"/api/ask?q="+url.QueryEscape("续贷")+"&session=s1&region="+url.QueryEscape("天津市"))
	if status != 200 || !strings.Contains(body, `"answered":true`) || !strings.Contains(body, `"citations":[]`) || fa.last.Session != "api:open:s1" {
		t.Fatalf("GET: %d %s %+v", status, body, fa.last)
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"OK", `{"q":"那找哪个部门？","session":"s1","region":"天津市"}`, 200},
		{"ErrJSON", `{"q":`, 400},
		{"ErrEmpty", `{"q":""}`, 400},
		{"ErrTooLarge", `{"q":"` + strings.Repeat("a", maxAskBody) + `"}`, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestAPITokens(t *testing.T) {
	ts, _ := newTestServer(t, Config{Searcher: &fakeSearcher{}, APITokens: []string{"s3cret"}})
	if status, _ := get(t, ts.URL+"/api/search?q=a"); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	if status, _ := get(t, ts.URL+"/api/search?q=a", "Authorization", "Bearer wrong"); status != 401 {
		t.Fatalf("wrong token: %d", status)
	}
	if status, _ := get(t, ts.URL+"/api/search?q=a", "Authorization", "Bearer s3cret"); status != 200 {
		t.Fatalf("good token: %d", status)
	}
	if status, _ := get(t, ts.URL+"/healthz"); status != 200 {
		t.Fatalf("healthz needs no token: %d", status)
	}
}

func TestPublicAnswer(t *testing.T) {
	st := state.NewMemory()
	id := strings.Repeat("ab", 16)
	data, _ := json.Marshal(answer.Answer{Answered: true, Answer: "可申请无还本续贷<script>", Citations: []retrieval.Hit{{Document: policy.Meta{Title: "天津市提升中小企业竞争力若干措施"}, Clause: policy.Clause{Text: "条款全文"}}}})
	if err := st.SavePublicAnswer(context.Background(), id, data); err != nil {
		t.Fatal(err)
	}
	ts, _ := newTestServer(t, Config{Searcher: &fakeSearcher{}, Answers: st})
	status, body := get(t, ts.URL+"/a/"+id)
	if status != 200 || !strings.Contains(body, "无还本续贷&lt;script&gt;") || !strings.Contains(body, "条款全文") {
		t.Fatalf("%d %s", status, body)
	}
	for _, bad := range []string{strings.Repeat("cd", 16), "../../etc", "x"} {
		if status, _ := get(t, ts.URL+"/a/"+bad); status != 404 {
			t.Fatalf("%s: %d", bad, status)
		}
	}
}

func TestOpenBusyPort(t *testing.T) {
	a := New(Config{})
	if err := a.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.ln.Close()
	if err := New(Config{}).Open(a.Addr()); err == nil {
		t.Fatal("second Open on a busy port succeeded")
	}
}

// TestValidityParams: as_of and status reach the searcher and the answer
// service, bad values are refused, and hits carry document.validity with
// the names other tools rely on.
func TestValidityParams(t *testing.T) {
	fs, fa := &fakeSearcher{}, &fakeAsker{}
	ts, _ := newTestServer(t, Config{Searcher: fs, Asker: fa})
	if status, body := get(t, ts.URL+"/api/search?q=a&as_of=2020-03-01&status=in_force"); status != 200 ||
		fs.last.AsOf != "2020-03-01" || fs.last.Status != "in_force" {
		t.Fatalf("search: %d %s %+v", status, body, fs.last)
	}
	if status, _ := get(t, ts.URL+"/api/ask?q=a&as_of=2020-03-01&status=expired"); status != 200 ||
		fa.last.AsOf != "2020-03-01" || fa.last.Status != "expired" {
		t.Fatalf("ask: %d %+v", status, fa.last)
	}
	resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(`{"q":"a","as_of":"2021-01-01","status":"in_force"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || fa.last.AsOf != "2021-01-01" || fa.last.Status != "in_force" {
		t.Fatalf("POST ask: %d %+v", resp.StatusCode, fa.last)
	}
	for _, q := range []string{"as_of=2020-3-1", "as_of=yesterday", "status=valid"} {
		for _, path := range []string{"/api/search", "/api/ask"} {
			if status, body := get(t, ts.URL+path+"?q=a&"+q); status != 400 || !strings.Contains(body, `"error"`) {
				t.Errorf("%s?%s: %d %s", path, q, status, body)
			}
		}
	}
	fs.validity = &policy.ValidityStatus{Status: policy.StatusRepealed, Effective: "2016-02-06", SupersededBy: "vat-law",
		Basis: "《中华人民共和国增值税暂行条例》同时废止"}
	_, body := get(t, ts.URL+"/api/search?q=a")
	var raw struct {
		Hits []struct {
			Document struct {
				Validity map[string]any `json:"validity"`
			} `json:"document"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Hits) != 1 {
		t.Fatalf("decode %v: %s", err, body)
	}
	v := raw.Hits[0].Document.Validity
	for key, want := range map[string]string{"status": "repealed", "effective": "2016-02-06", "expires": "",
		"superseded_by": "vat-law", "basis": "《中华人民共和国增值税暂行条例》同时废止"} {
		if got, ok := v[key]; !ok || got != want {
			t.Errorf("document.validity.%s = %v (present %v), want %q", key, got, ok, want)
		}
	}
}

// TestSessionsByChannel: the API's session parameter names a conversation
// of the API caller's own — never a WeChat user's (their session is
// "wechat:<openid>"), and with tokens never another token's.
func TestSessionsByChannel(t *testing.T) {
	st := state.NewMemory()
	hits := []retrieval.Hit{{Score: 0.9, Coverage: 0.9, Document: policy.Meta{ID: "d", Title: "天津市支持小微企业融资的若干措施", Region: "天津市"},
		Clause: policy.Clause{ID: "d#1", Label: "（一）", Title: "支持续贷", Text: "对小微企业办理续贷。", Agencies: []string{"市金融局"}}}}
	svc := answer.New(answer.Config{Searcher: &fixedSearcher{hits}, Sessions: st})
	// A WeChat user asked about 续贷.
	const openid = "oUser-secret"
	if _, err := svc.Ask(context.Background(), answer.Request{Session: bot.SessionID(openid), Question: "小微企业续贷怎么办"}); err != nil {
		t.Fatal(err)
	}
	ts, _ := newTestServer(t, Config{Searcher: &fakeSearcher{}, Asker: svc, APITokens: []string{"tok-a", "tok-b"}})
	ask := func(token, session string) string {
		req, _ := http.NewRequest("GET", ts.URL+"/api/ask?q="+url.QueryEscape("那找哪个部门？")+"&session="+url.QueryEscape(session), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for _, s := range []string{openid, "wechat:" + openid} {
		if body := ask("tok-a", s); strings.Contains(body, "市金融局") || strings.Contains(body, "支持续贷") {
			t.Errorf("session %q over the API reads the WeChat user's topic: %s", s, body)
		}
	}
	// An API caller's own conversation works, and is its token's alone.
	req, _ := http.NewRequest("GET", ts.URL+"/api/ask?q="+url.QueryEscape("小微企业续贷怎么办")+"&session=s1", nil)
	req.Header.Set("Authorization", "Bearer tok-a")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if body := ask("tok-a", "s1"); !strings.Contains(body, "市金融局") {
		t.Errorf("the caller's own follow-up: %s", body)
	}
	if body := ask("tok-b", "s1"); strings.Contains(body, "市金融局") {
		t.Errorf("another token reads the conversation: %s", body)
	}
}

type fixedSearcher struct{ hits []retrieval.Hit }

func (f *fixedSearcher) Search(context.Context, retrieval.SearchRequest) ([]retrieval.Hit, error) {
	return f.hits, nil
}

// TestReadyzEmpty: a store without documents is not ready, with the reason.
func TestReadyzEmpty(t *testing.T) {
	n := 0
	ts, _ := newTestServer(t, Config{Searcher: &fakeSearcher{}, Store: fakePinger{},
		Corpus: func(context.Context) (int, error) { return n, nil }})
	if status, body := get(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, `"status":"empty"`) || !strings.Contains(body, "policybot ingest") {
		t.Errorf("empty store: %d %s", status, body)
	}
	n = 78
	if status, body := get(t, ts.URL+"/readyz"); status != 200 {
		t.Errorf("78 documents: %d %s", status, body)
	}
}
