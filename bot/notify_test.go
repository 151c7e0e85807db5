package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"policybot/enterprise"
	"policybot/state"
)

// pushAPI fakes WeChat's token, customer-service and template-message APIs,
// with an errcode per user for each kind of send, and 5xx for the first
// failFirst calls of either.
type pushAPI struct {
	srv *httptest.Server

	mu        sync.Mutex
	csCode    map[string]int // by openid
	tplCode   map[string]int
	failFirst int
	cs, tpl   map[string][]string // openid → contents sent (template: the data as JSON)
	calls     int
	// staleTemplate: the first template send answers 40001 (the token was
	// replaced elsewhere); tokens counts the tokens handed out.
	staleTemplate bool
	tokens        int
}

func newPushAPI(t testing.TB) *pushAPI {
	f := &pushAPI{csCode: map[string]int{}, tplCode: map[string]int{}, cs: map[string][]string{}, tpl: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		fmt.Fprintf(w, `{"access_token":"tok%d","expires_in":7200}`, n)
	})
	send := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var msg struct {
				ToUser string `json:"touser"`
				Text   struct {
					Content string `json:"content"`
				} `json:"text"`
				TemplateID string          `json:"template_id"`
				Data       json.RawMessage `json:"data"`
			}
			if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls++
			if f.calls <= f.failFirst {
				http.Error(w, "busy", http.StatusBadGateway)
				return
			}
			code := f.csCode[msg.ToUser]
			if kind == "tpl" {
				code = f.tplCode[msg.ToUser]
				if f.staleTemplate {
					f.staleTemplate, code = false, 40001
				}
			}
			if code == 0 {
				if kind == "tpl" {
					f.tpl[msg.ToUser] = append(f.tpl[msg.ToUser], msg.TemplateID+" "+string(msg.Data))
				} else {
					f.cs[msg.ToUser] = append(f.cs[msg.ToUser], msg.Text.Content)
				}
			}
			fmt.Fprintf(w, `{"errcode":%d,"errmsg":"code %d","msgid":1}`, code, code)
		}
	}
	mux.HandleFunc("POST /cgi-bin/message/custom/send", send("cs"))
	mux.HandleFunc("POST /cgi-bin/message/template/send", send("tpl"))
	f.srv = httptest.NewServer(mux)
	util.SetURIModifier(func(uri string) string { return strings.Replace(uri, "https://api.weixin.qq.com", f.srv.URL, 1) })
	t.Cleanup(func() {
		util.SetURIModifier(nil)
		f.srv.Close()
	})
	return f
}

func (f *pushAPI) sent() (cs, tpl int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.cs {
		cs += len(v)
	}
	for _, v := range f.tpl {
		tpl += len(v)
	}
	return cs, tpl
}

// pushBot is a handler with profiles, the seed's clauses and a clock.
// pushState is the shared state a push needs, with its log.
type pushState interface {
	State
	RecordPush(ctx context.Context, e state.PushEntry) error
}

func pushBot(t testing.TB, st pushState, profiles enterprise.Profiles, m enterprise.Policies, now *time.Time) *Handler {
	h, err := New(Config{
		Token: testToken, AppID: testAppID, AppSecret: testSecret, State: st, Asker: newAsker(),
		Profiles: profiles, Matcher: m, Now: func() time.Time { return *now }, PushLog: st,
		PushTemplate: PushTemplate{ID: "TPL", Fields: map[string]string{"thing1": "title", "thing2": "count", "time3": "date"}},
		APITimeout:   5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	return h
}

func subscribe(t testing.TB, profiles enterprise.Profiles, openid string, p enterprise.Profile) {
	t.Helper()
	ctx := context.Background()
	if err := profiles.SaveProfile(ctx, ProfileKey(openid), p); err != nil {
		t.Fatal(err)
	}
	if err := profiles.SetSubscribed(ctx, ProfileKey(openid), true); err != nil {
		t.Fatal(err)
	}
}

const seedID = "000_28e46f3fd46f944c"

// TestPushNew: a new Tianjin measure is pushed once to each subscribed
// enterprise it applies to — by customer-service message, or by template
// message when the 48 hours are over — never to a Beijing firm or an
// unsubscribed one, not again on a second run or by a second replica, not
// in quiet hours, and a user who left is unsubscribed.
func TestPushNew(t *testing.T) {
	api := newPushAPI(t)
	st := state.NewMemory()
	profiles, _ := enterprise.NewFileProfiles("")
	m := newSeedMatcher(t)
	for i := range m.cands {
		m.cands[i].Document.ID = seedID
		m.cands[i].Document.Title = "天津市工业和信息化局关于印发《天津市提升中小企业竞争力若干措施》的通知"
	}
	tianjin := enterprise.Profile{Region: "天津市", Size: "small", Qualifications: []string{}}
	subscribe(t, profiles, "o-tj", tianjin)
	subscribe(t, profiles, "o-window", tianjin) // outside the 48 hours
	subscribe(t, profiles, "o-left", tianjin)   // unfollowed the account
	subscribe(t, profiles, "o-quota", tianjin)  // customer-service quota used
	subscribe(t, profiles, "o-bj", enterprise.Profile{Region: "北京市", Size: "small"})
	if err := profiles.SaveProfile(context.Background(), ProfileKey("o-quiet"), tianjin); err != nil { // not subscribed
		t.Fatal(err)
	}
	api.csCode["o-window"] = 45015
	api.csCode["o-left"] = 43004
	api.csCode["o-quota"] = 45047

	now := time.Date(2026, 12, 3, 23, 30, 0, 0, chinaTime)
	h := pushBot(t, st, profiles, m, &now)
	ctx := context.Background()
	rep, err := h.PushNew(ctx, []string{seedID})
	if err != nil || rep.Quiet != 5 || rep.Sent != 0 {
		t.Fatalf("at 23:30: %+v, %v; want everything deferred", rep, err)
	}
	now = time.Date(2026, 12, 4, 9, 0, 0, 0, chinaTime)
	rep, err = h.PushNew(ctx, []string{seedID})
	if err != nil || rep.Sent != 3 || rep.ByTemplate != 2 || rep.NotFollowing != 1 || rep.NothingNew != 1 {
		t.Fatalf("at 09:00: %+v, %v", rep, err)
	}
	api.mu.Lock()
	cs, tpl := api.cs["o-tj"], api.tpl["o-window"]
	quota := api.tpl["o-quota"]
	api.mu.Unlock()
	if len(cs) != 1 || !strings.Contains(cs[0], "《天津市工业和信息化局关于印发《天津市提升中小企业竞争力若干措施》的通知》（津中小企组〔2022〕2号）") || !strings.Contains(cs[0], "退订") {
		t.Errorf("customer-service push: %q", cs)
	}
	if len(quota) != 1 {
		t.Errorf("45047 (quota used) did not fall back to the template message: %q", quota)
	}
	if len(tpl) != 1 || !strings.HasPrefix(tpl[0], "TPL ") || !strings.Contains(tpl[0], `"thing1":{"value":"天津市工业和信息化局关于印发《天津市提…"}`) {
		t.Errorf("template push (fields cut to 20 characters): %q", tpl)
	}
	if subs, _ := profiles.Subscribers(ctx); len(subs) != 4 {
		t.Errorf("after 43004 the user who left is still subscribed: %d subscribers", len(subs))
	}
	// The admins' log: one entry a push, the user hashed.
	entries, _ := st.PushEntries(ctx, 0)
	outcomes := map[string]int{}
	for _, e := range entries {
		outcomes[e.Outcome]++
		if strings.Contains(e.Enterprise, "o-") || len(e.Documents) != 1 {
			t.Errorf("log entry %+v: want a hashed user and the document", e)
		}
	}
	if len(entries) != 4 || outcomes["customer_service"] != 1 || outcomes["template"] != 2 || outcomes["not_following"] != 1 {
		t.Errorf("push log %+v", entries)
	}

	// Again, and from a second replica on the same state: nobody again.
	h2 := pushBot(t, st, profiles, m, &now)
	for _, hh := range []*Handler{h, h2} {
		if rep, err := hh.PushNew(ctx, []string{seedID}); err != nil || rep.Sent != 0 {
			t.Errorf("repeated run: %+v, %v; want nobody notified", rep, err)
		}
	}
	if cs, tpl := api.sent(); cs != 1 || tpl != 2 {
		t.Errorf("%d customer-service and %d template messages in all, want 1 and 2", cs, tpl)
	}
}

// TestPushRetriesAndCap: 5xx is retried; a second new document the same day
// waits for the next day (one digest a day), then goes.
func TestPushRetriesAndCap(t *testing.T) {
	api := newPushAPI(t)
	api.failFirst = 2
	st := state.NewMemory()
	profiles, _ := enterprise.NewFileProfiles("")
	m := newSeedMatcher(t)
	half := len(m.cands) / 2
	for i := range m.cands {
		m.cands[i].Document.ID = "doc-a"
		if i >= half {
			m.cands[i].Document.ID = "doc-b"
		}
	}
	subscribe(t, profiles, "o-1", enterprise.Profile{Region: "天津市", Size: "micro"})
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)
	h := pushBot(t, st, profiles, m, &now)
	ctx := context.Background()
	if rep, _ := h.PushNew(ctx, []string{"doc-a"}); rep.Sent != 1 {
		t.Fatalf("after two 502s: %+v, want sent on the third try", rep)
	}
	if rep, _ := h.PushNew(ctx, []string{"doc-a", "doc-b"}); rep.Sent != 0 || rep.Capped != 1 {
		t.Errorf("second document the same day: %+v, want held by the daily cap", rep)
	}
	now = now.Add(24 * time.Hour)
	if rep, _ := h.PushNew(ctx, []string{"doc-a", "doc-b"}); rep.Sent != 1 {
		t.Errorf("next day: %+v, want doc-b sent", rep)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if got := api.cs["o-1"]; len(got) != 2 || !strings.Contains(got[1], "有1份") {
		t.Errorf("sent %q; want two digests, the second naming one document", got)
	}
}

// TestPushAtScale: 10,000 subscribed profiles and 50 new documents, pushed
// by two replicas at once and then again: each eligible enterprise gets one
// message, the others none, the second run nobody. The time goes in
// BENCHMARKS.md (go test ./bot -run TestPushAtScale -v).
func TestPushAtScale(t *testing.T) {
	api := newPushAPI(t)
	st := state.NewMemory()
	profiles, _ := enterprise.NewFileProfiles("")
	m, ids, eligible := scaleCorpus(t, profiles)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)
	replicas := []*Handler{pushBot(t, st, profiles, m, &now), pushBot(t, st, profiles, m, &now)}
	reps, elapsed := pushTogether(t, replicas, ids)
	if sent := reps[0].Sent + reps[1].Sent; sent != eligible {
		t.Errorf("two replicas sent %d pushes, want %d (one per eligible enterprise): %v / %v", sent, eligible, reps[0], reps[1])
	}
	api.mu.Lock()
	for user, msgs := range api.cs {
		if len(msgs) != 1 || !strings.Contains(msgs[0], "有50份") {
			t.Errorf("%s got %d messages (%q)", user, len(msgs), msgs)
			break
		}
	}
	api.mu.Unlock()
	rep, err := replicas[0].PushNew(context.Background(), ids)
	if err != nil || rep.Sent != 0 {
		t.Errorf("second run: %v, %v; want nobody notified", rep, err)
	}
	t.Logf("10,000 profiles × 50 documents, two replicas at once: %d notified in %s; again: %s", eligible, elapsed.Round(time.Millisecond), rep)
}

// TestPushTemplateTokenRefresh: a template send answered 40001 drops the
// cached token, fetches a new one and is sent once more.
func TestPushTemplateTokenRefresh(t *testing.T) {
	api := newPushAPI(t)
	st := state.NewMemory()
	profiles, _ := enterprise.NewFileProfiles("")
	subscribe(t, profiles, "o-1", enterprise.Profile{Region: "天津市", Size: "small"})
	api.csCode["o-1"] = 45015
	api.staleTemplate = true
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)
	m := newSeedMatcher(t)
	h := pushBot(t, st, profiles, m, &now)
	rep, err := h.PushNew(context.Background(), []string{m.cands[0].Document.ID})
	if err != nil || rep.ByTemplate != 1 {
		t.Fatalf("%+v, %v; want sent by template after the refresh", rep, err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.tokens != 2 || len(api.tpl["o-1"]) != 1 {
		t.Errorf("%d tokens fetched, %d template messages; want 2 and 1", api.tokens, len(api.tpl["o-1"]))
	}
}

// scaleCorpus is the push benchmark's input: the seed's clauses as 50 new
// Tianjin documents, and 10,000 subscribed profiles of which two thirds are
// in Tianjin; it returns the matcher, the documents and how many profiles
// they apply to.
func scaleCorpus(t *testing.T, profiles enterprise.Profiles) (*seedMatcher, []string, int) {
	seed := newSeedMatcher(t)
	m := &seedMatcher{}
	var ids []string
	for d := range 50 {
		id := fmt.Sprintf("doc-%02d", d)
		ids = append(ids, id)
		for _, c := range seed.cands {
			c.Document.ID = id
			c.Clause.ID = id + c.Clause.ID
			m.cands = append(m.cands, c)
		}
	}
	eligible := 0
	for i := range 10_000 {
		p := enterprise.Profile{Region: "天津市滨海新区", Size: "small", Qualifications: []string{}}
		if i%3 == 2 {
			p.Region = "北京市" // Tianjin's measures are not for it
		} else {
			eligible++
		}
		subscribe(t, profiles, fmt.Sprintf("o-%05d", i), p)
	}
	return m, ids, eligible
}

// pushTogether runs PushNew on every replica at once and times it.
func pushTogether(t *testing.T, replicas []*Handler, ids []string) ([]PushReport, time.Duration) {
	start := time.Now()
	var wg sync.WaitGroup
	reps := make([]PushReport, len(replicas))
	for i, h := range replicas {
		wg.Go(func() {
			var err error
			if reps[i], err = h.PushNew(context.Background(), ids); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return reps, time.Since(start)
}
