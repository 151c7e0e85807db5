package bot

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"policybot/enterprise"
	"policybot/policy"
	"policybot/state"
)

// seedMatcher offers the seed document's clauses, read as ingestion does.
type seedMatcher struct{ cands []enterprise.Candidate }

func newSeedMatcher(t *testing.T) *seedMatcher {
	d, err := policy.ParseFile("../seeds/000_28e46f3fd46f944c.txt")
	if err != nil {
		t.Fatal(err)
	}
	m := &seedMatcher{}
	for _, c := range d.Clauses {
		c.Applicability = enterprise.Read(c, d.Meta())
		m.cands = append(m.cands, enterprise.Candidate{Document: d.Meta(), Clause: c})
	}
	return m
}

func (m *seedMatcher) Applicable(context.Context, string) ([]enterprise.Candidate, error) {
	return m.cands, nil
}
func (m *seedMatcher) Today() string { return "2026-12-03" }

func newProfileBot(t *testing.T) (*testBot, *fakeAsker, enterprise.Profiles) {
	profiles, _ := enterprise.NewFileProfiles("")
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, func(c *Config) {
		c.Profiles, c.Matcher = profiles, newSeedMatcher(t)
		c.MenuQuestions["MATCH"] = cmdMatch
		c.RateLimit = -1
	})
	return b, asker, profiles
}

// TestProfileDialogue: set up a profile one question at a time over the
// real wire format, with a bad answer, a skip and a derived size; then the
// profile's region is the asker's, "适合我的政策" lists Tianjin's measures,
// and "删除我的信息" deletes it.
func TestProfileDialogue(t *testing.T) {
	b, asker, profiles := newProfileBot(t)
	id := int64(5000)
	say := func(text string) string {
		id++
		return b.ask(t, id, text)
	}
	if got := say(cmdMatch); got != textProfileNone {
		t.Fatalf("match without a profile: %q", got)
	}
	steps := []struct{ send, want string }{
		{cmdSetProfile, "地区"},
		{"火星", "没有识别出地区"},
		{"天津市", "行业"},
		{"零售业", "从业人员"},
		{"8人", "营业收入"},
		{"很多", "请回复营业收入"},
		{"60万元", "资质"}, // size derived (零售业: 10人以下 → 微型): not asked
		{"专精特新、五星", "有未识别的资质"},
		{"无", "成立"},
		{cmdSkip, "企业信息已保存"},
	}
	var last string
	for _, s := range steps {
		last = say(s.send)
		if !strings.Contains(last, s.want) {
			t.Fatalf("after %q: %q, want %q in it", s.send, last, s.want)
		}
	}
	if !strings.Contains(last, "规模：微型企业（按划型标准推算）") || !strings.Contains(last, "资质：无") || !strings.Contains(last, "成立年份：（未填）") {
		t.Errorf("summary: %q", last)
	}
	p, err := profiles.Profile(context.Background(), ProfileKey(testOpenID))
	if err != nil || p.Region != "天津市" || p.Employees != 8 || p.RevenueWan != 60 || p.Size != "" || p.Qualifications == nil || p.FoundedYear != 0 {
		t.Fatalf("stored %+v, %v", p, err)
	}

	// The profile's region is the asker's region (the account's is 天津市
	// too, so set another one).
	p.Region = "天津市滨海新区"
	if err := profiles.SaveProfile(context.Background(), ProfileKey(testOpenID), p); err != nil {
		t.Fatal(err)
	}
	say("小微企业续贷怎么办")
	if r := asker.lastRequest(t).Region; r != "天津市滨海新区" {
		t.Errorf("question asked for region %q, want the profile's", r)
	}

	got := say(cmdMatch)
	if !strings.Contains(got, "找到24条") || !strings.Contains(got, "《天津市提升中小企业竞争力若干措施》（津中小企组〔2022〕2号）") ||
		strings.Count(got, "\n\n") < maxMatchesShown || len(got) > maxReply {
		t.Errorf("matches reply (%d bytes): %q", len(got), got)
	}
	// The menu key does the same.
	status, body := b.post(t, eventXML("CLICK", "MATCH", 1700000123))
	if r := parseReply(t, body); status != 200 || !strings.Contains(r.Content, "找到24条") {
		t.Errorf("menu MATCH: %d %q", status, r.Content)
	}

	if got := say(cmdDeleteProfile); got != textProfileDeleted {
		t.Errorf("delete: %q", got)
	}
	if _, err := profiles.Profile(context.Background(), ProfileKey(testOpenID)); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("profile after delete: %v", err)
	}
	if got := say(cmdShowProfile); got != textProfileNone {
		t.Errorf("show after delete: %q", got)
	}
}

// TestQuestionMidDialogue: a question sent while a dialogue waits for an
// answer is answered, and the dialogue ends; "取消" ends it too.
func TestQuestionMidDialogue(t *testing.T) {
	b, asker, _ := newProfileBot(t)
	b.ask(t, 6001, cmdSetProfile)
	if got := b.ask(t, 6002, "小微企业贷款到期了能续贷吗？"); got != shortAnswer {
		t.Fatalf("question mid-dialogue: %q", got)
	}
	if q := asker.lastRequest(t).Question; q != "小微企业贷款到期了能续贷吗？" {
		t.Errorf("asked %q", q)
	}
	if got := b.ask(t, 6003, "天津市"); got == "" || strings.Contains(got, "行业") {
		t.Errorf("after the dialogue ended, 天津市 was taken as an answer: %q", got)
	}
	b.ask(t, 6004, cmdSetProfile)
	if got := b.ask(t, 6005, cmdCancel); got != textProfileCancel {
		t.Errorf("cancel: %q", got)
	}
}

// TestProfileOff: without a profile store the commands say so, and
// questions go on as before.
func TestProfileOff(t *testing.T) {
	b := newTestBot(t, state.NewMemory(), newAsker(), nil)
	for i, cmd := range []string{cmdSetProfile, cmdMatch, cmdDeleteProfile} {
		if got := b.ask(t, int64(7000+i), cmd); got != textProfileOff {
			t.Errorf("%s: %q", cmd, got)
		}
	}
}

// TestSubscribe: 订阅政策推送 needs a profile; 退订 stops it; deleting the
// profile ends the subscription too.
func TestSubscribe(t *testing.T) {
	b, _, profiles := newProfileBot(t)
	ctx := context.Background()
	if got := b.ask(t, 8001, cmdSubscribe); got != textSubNoProfile {
		t.Fatalf("subscribe without a profile: %q", got)
	}
	if err := profiles.SaveProfile(ctx, ProfileKey(testOpenID), enterprise.Profile{Region: "天津市"}); err != nil {
		t.Fatal(err)
	}
	if got := b.ask(t, 8002, cmdSubscribe+"。"); got != textSubscribed {
		t.Fatalf("subscribe: %q", got)
	}
	if subs, _ := profiles.Subscribers(ctx); len(subs) != 1 || subs[0].Key != ProfileKey(testOpenID) {
		t.Fatalf("subscribers %+v", subs)
	}
	if got := b.ask(t, 8003, cmdUnsubscribe); got != textUnsubscribed {
		t.Errorf("unsubscribe: %q", got)
	}
	if subs, _ := profiles.Subscribers(ctx); len(subs) != 0 {
		t.Errorf("still subscribed: %+v", subs)
	}
	b.ask(t, 8004, cmdSubscribe)
	b.ask(t, 8005, cmdDeleteProfile)
	if subs, _ := profiles.Subscribers(ctx); len(subs) != 0 {
		t.Errorf("subscribed after deleting the profile: %+v", subs)
	}
}

// TestProfilePage: the link in the dialogue's first reply opens a form for
// that user only, saves a checked profile, and stops working when tampered
// with or expired.
func TestProfilePage(t *testing.T) {
	b, _, profiles := newProfileBot(t)
	reply := b.ask(t, 9001, cmdSetProfile)
	i := strings.Index(reply, testBase+"/p/")
	if i < 0 {
		t.Fatalf("no link in %q", reply)
	}
	link := strings.Fields(reply[i:])[0]
	link = link[:strings.IndexAny(link+"\n", "\n")]
	path := strings.TrimPrefix(link, testBase)
	serve := func(method, path string, form url.Values) (int, string) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		b.h.ServeProfilePage(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := serve("GET", path, nil); code != 200 || !strings.Contains(body, `name="region"`) {
		t.Fatalf("GET: %d %s", code, body)
	}
	form := url.Values{"region": {"天津市"}, "industry": {"零售业"}, "employees": {"8"}, "revenue_wan": {"60"}, "qual": {"专精特新中小企业"}}
	if code, body := serve("POST", path, form); code != 200 || !strings.Contains(body, "已保存") {
		t.Fatalf("POST: %d %s", code, body)
	}
	p, err := profiles.Profile(context.Background(), ProfileKey(testOpenID))
	if err != nil || p.Region != "天津市" || p.Employees != 8 || len(p.Qualifications) != 1 {
		t.Fatalf("saved %+v, %v", p, err)
	}
	form.Set("qual", "五星企业")
	if code, body := serve("POST", path, form); code != 200 || !strings.Contains(body, "填写有误") {
		t.Errorf("bad qualification: %d %s", code, body)
	}
	if code, _ := serve("GET", path[:len(path)-2]+"xx", nil); code != http.StatusForbidden {
		t.Errorf("tampered link: %d, want 403", code)
	}
	// Another user's id in the payload, the signature kept: refused.
	other := "/p/" + base64.RawURLEncoding.EncodeToString([]byte("o-other|9999999999")) + path[strings.Index(path, "."):]
	if code, _ := serve("GET", other, nil); code != http.StatusForbidden {
		t.Errorf("forged user: %d, want 403", code)
	}
	later := time.Now().Add(profileLinkTTL + time.Minute)
	b.h.cfg.Now = func() time.Time { return later }
	if code, _ := serve("GET", path, nil); code != http.StatusForbidden {
		t.Errorf("expired link: %d, want 403", code)
	}
}
