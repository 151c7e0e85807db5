package bot

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"policybot/answer"
	"policybot/state"
	"policybot/testenv"
)

const (
	testToken   = "test-token-9f3c"
	testAppID   = "wx0123456789abcdef"
	testSecret  = "app-secret-5e1d"
	testAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testAccount = "gh_policybot"
	testOpenID  = "oUser-7a1b2c3d"
	testBase    = "https://policy.example.cn"
)

// fakeAsker is the answer service at the edge of the bot.
type fakeAsker struct {
	answer    answer.Answer
	failFirst atomic.Bool   // the first call fails, as an outage would
	release   chan struct{} // when set, Ask blocks until it is closed
	calls     atomic.Int64

	mu   sync.Mutex
	reqs []answer.Request
}

func (f *fakeAsker) Ask(ctx context.Context, req answer.Request) (answer.Answer, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return answer.Answer{}, ctx.Err()
		}
	}
	if f.failFirst.CompareAndSwap(true, false) {
		return answer.Answer{}, errors.New("embeddings: 503")
	}
	return f.answer, nil
}

func (f *fakeAsker) lastRequest(t *testing.T) answer.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("Ask was not called")
	}
	return f.reqs[len(f.reqs)-1]
}

const shortAnswer = "可以申请无还本续贷。\n依据：《天津市提升中小企业竞争力若干措施》第(四)条 无还本续贷\n责任单位：人民银行天津分行"

func newAsker() *fakeAsker {
	return &fakeAsker{answer: answer.Answer{Answered: true, Answer: shortAnswer}}
}

type testBot struct {
	h    *Handler
	srv  *httptest.Server
	st   State
	reg  *prometheus.Registry
	logs *testenv.SyncBuffer
}

// newTestBot starts a Handler on st behind an httptest server. Short budgets
// stand in for WeChat's 5 s.
func newTestBot(t testing.TB, st State, asker Asker, mod func(*Config)) *testBot {
	t.Helper()
	b := &testBot{st: st, reg: prometheus.NewRegistry(), logs: &testenv.SyncBuffer{}}
	cfg := Config{
		Token: testToken, AppID: testAppID, AppSecret: testSecret, EncodingAESKey: testAESKey, AllowPlain: true,
		Region: "天津市", PublicBaseURL: testBase,
		ReplyBudget: 200 * time.Millisecond, RetryInterval: 400 * time.Millisecond,
		PollInterval: 10 * time.Millisecond, APITimeout: 5 * time.Second,
		MenuQuestions: map[string]string{"LOAN": "小微企业续贷怎么办"},
		Asker:         asker, State: st, Registry: b.reg,
		Logger: slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.h = h
	b.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		b.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return b
}

var nonces atomic.Int64

// query signs a request as WeChat does.
func query(ts int64, extra url.Values) url.Values {
	q := url.Values{}
	// WeChat's nonces are random: each request its own.
	nonce := "nonce" + strconv.FormatInt(ts%1000, 10) + "-" + strconv.FormatInt(nonces.Add(1), 10)
	tss := strconv.FormatInt(ts, 10)
	q.Set("timestamp", tss)
	q.Set("nonce", nonce)
	q.Set("signature", util.Signature(testToken, tss, nonce))
	q.Set("openid", testOpenID)
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func (b *testBot) do(ctx context.Context, t testing.TB, method string, q url.Values, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, b.srv.URL+"/wechat?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

// post sends a plain-mode push and returns the status and body.
func (b *testBot) post(t testing.TB, body string) (int, string) {
	t.Helper()
	status, resp, err := b.do(context.Background(), t, http.MethodPost, query(time.Now().Unix(), nil), body)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return status, resp
}

type replyXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
}

func parseReply(t testing.TB, body string) replyXML {
	t.Helper()
	var r replyXML
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	return r
}

// ask posts a text message and returns the reply's content.
func (b *testBot) ask(t testing.TB, msgID int64, content string) string {
	t.Helper()
	status, body := b.post(t, textXML(testOpenID, msgID, content))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	r := parseReply(t, body)
	if r.MsgType != "text" || r.ToUserName != testOpenID || r.FromUserName != testAccount {
		t.Fatalf("reply header %+v", r)
	}
	return r.Content
}

func textXML(openid string, msgID int64, content string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>`+
		`<MsgId>%d</MsgId></xml>`, testAccount, openid, time.Now().Unix(), content, msgID)
}

func eventXML(event, key string, created int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event>`+
		`<EventKey><![CDATA[%s]]></EventKey></xml>`, testAccount, testOpenID, created, event, key)
}

func voiceXML(msgID int64, recognition string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m1]]></MediaId>`+
		`<Format><![CDATA[amr]]></Format><Recognition><![CDATA[%s]]></Recognition><MsgId>%d</MsgId></xml>`,
		testAccount, testOpenID, time.Now().Unix(), recognition, msgID)
}

func imageXML(msgID int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/p.jpg]]></PicUrl>`+
		`<MediaId><![CDATA[m2]]></MediaId><MsgId>%d</MsgId></xml>`, testAccount, testOpenID, time.Now().Unix(), msgID)
}

// counterValue reads a counter from the registry; labels select one series.
func counterValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestVerification(t *testing.T) {
	b := newTestBot(t, state.NewMemory(), newAsker(), nil)
	now := time.Now().Unix()
	tests := []struct {
		name   string
		q      url.Values
		status int
		body   string
	}{
		{"OK", query(now, url.Values{"echostr": {"echo-123"}}), http.StatusOK, "echo-123"},
		{"BadSignature", func() url.Values {
			q := query(now, url.Values{"echostr": {"echo-123"}})
			q.Set("signature", util.Signature("wrong-token", q.Get("timestamp"), q.Get("nonce")))
			return q
		}(), http.StatusForbidden, ""},
		{"StaleTimestamp", query(now-int64((6*time.Minute).Seconds()), url.Values{"echostr": {"e"}}), http.StatusForbidden, ""},
		{"NoEchostr", query(now, nil), http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := b.do(context.Background(), t, http.MethodGet, tt.q, "")
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			if tt.body != "" && body != tt.body {
				t.Fatalf("body %q, want %q", body, tt.body)
			}
		})
	}
	if strings.Contains(b.logs.String(), testToken) || !strings.Contains(b.logs.String(), "bad_signature") {
		t.Errorf("log should name the refusal and hold no secret:\n%s", b.logs)
	}
}

func TestPlainText(t *testing.T) {
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, nil)
	if got := b.ask(t, 1001, "  贷款到期了还不上本金，银行能给续贷吗？ "); got != shortAnswer {
		t.Fatalf("reply %q", got)
	}
	req := asker.lastRequest(t)
	want := answer.Request{Session: "wechat:" + testOpenID, Region: "天津市", Question: "贷款到期了还不上本金，银行能给续贷吗？", Budget: 4 * time.Second}
	if req != want {
		t.Fatalf("request %+v, want %+v", req, want)
	}
	if got := counterValue(t, b.reg, "policybot_wechat_messages_total", map[string]string{"type": "text", "outcome": "answered"}); got != 1 {
		t.Errorf("messages{text,answered} = %v, want 1", got)
	}
	if strings.Contains(b.logs.String(), testOpenID) || strings.Contains(b.logs.String(), "续贷") {
		t.Errorf("logs hold the openid or the message:\n%s", b.logs)
	}
	if !strings.Contains(b.logs.String(), hashID(testOpenID)) {
		t.Errorf("logs lack the hashed openid:\n%s", b.logs)
	}
}

// safePost sends msgXML encrypted as WeChat does in safe mode.
func (b *testBot) safePost(t *testing.T, msgXML string, tamper bool) (int, string) {
	t.Helper()
	enc, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(msgXML), testAppID, testAESKey)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Unix()
	q := query(ts, url.Values{"encrypt_type": {"aes"}})
	sig := util.Signature(testToken, q.Get("timestamp"), q.Get("nonce"), string(enc))
	if tamper {
		sig = util.Signature(testToken, q.Get("timestamp"), q.Get("nonce"), string(enc)+"x")
	}
	q.Set("msg_signature", sig)
	body := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>`, testAccount, enc)
	status, resp, err := b.do(context.Background(), t, http.MethodPost, q, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, resp
}

func TestSafeMode(t *testing.T) {
	b := newTestBot(t, state.NewMemory(), newAsker(), nil)

	t.Run("EncryptedReply", func(t *testing.T) {
		status, body := b.safePost(t, textXML(testOpenID, 2001, "小微企业续贷怎么办"), false)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var env message.ResponseEncryptedXMLMsg
		if err := xml.Unmarshal([]byte(body), &env); err != nil || env.EncryptedMsg == "" {
			t.Fatalf("reply %q is not an encrypted envelope: %v", body, err)
		}
		if want := util.Signature(testToken, strconv.FormatInt(env.Timestamp, 10), env.Nonce, env.EncryptedMsg); env.MsgSignature != want {
			t.Fatalf("reply msg signature %q, want %q", env.MsgSignature, want)
		}
		_, plain, err := util.DecryptMsg(testAppID, env.EncryptedMsg, testAESKey)
		if err != nil {
			t.Fatalf("decrypt reply: %v", err)
		}
		if r := parseReply(t, string(plain)); r.Content != shortAnswer || r.ToUserName != testOpenID {
			t.Fatalf("decrypted reply %+v", r)
		}
	})
	t.Run("NoReplyIsSuccess", func(t *testing.T) {
		status, body := b.safePost(t, eventXML("unsubscribe", "", time.Now().Unix()), false)
		if status != http.StatusOK || body != "success" {
			t.Fatalf("got %d %q, want 200 success", status, body)
		}
	})
	t.Run("BadMsgSignature", func(t *testing.T) {
		status, _ := b.safePost(t, textXML(testOpenID, 2002, "问题"), true)
		if status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", status)
		}
	})
}

func TestMessageKinds(t *testing.T) {
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, nil)
	now := time.Now().Unix()
	tests := []struct {
		name     string
		body     string
		msgType  string
		contains string
		asked    string // question the asker must have received; "" when it must not be asked
	}{
		{"Voice", voiceXML(3001, "小微企业第一次贷款有什么支持。"), "text", shortAnswer, "小微企业第一次贷款有什么支持。"},
		{"VoiceUnrecognised", voiceXML(3002, ""), "text", "文字", ""},
		{"Subscribe", eventXML("subscribe", "", now), "text", "小微企业续贷怎么办", ""},
		{"MenuClick", eventXML("CLICK", "LOAN", now+1), "text", shortAnswer, "小微企业续贷怎么办"},
		{"MenuClickUnknown", eventXML("CLICK", "NOPE", now+2), "text", "菜单", ""},
		{"Image", imageXML(3003), "text", "文字", ""},
		{"Transfer", textXML(testOpenID, 3004, "转人工"), "transfer_customer_service", "", ""},
		{"TransferShort", textXML(testOpenID, 3005, "人工！"), "transfer_customer_service", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := asker.calls.Load()
			status, body := b.post(t, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			r := parseReply(t, body)
			if r.MsgType != tt.msgType || !strings.Contains(r.Content, tt.contains) {
				t.Fatalf("reply %+v, want type %s containing %q", r, tt.msgType, tt.contains)
			}
			asked := asker.calls.Load() > before
			if asked != (tt.asked != "") {
				t.Fatalf("asked = %v, want %v", asked, tt.asked != "")
			}
			if asked && asker.lastRequest(t).Question != tt.asked {
				t.Fatalf("question %q, want %q", asker.lastRequest(t).Question, tt.asked)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	b := newTestBot(t, state.NewMemory(), newAsker(), nil)
	now := time.Now().Unix()
	badSig := query(now, nil)
	badSig.Set("signature", "0000")
	tests := []struct {
		name   string
		method string
		q      url.Values
		body   string
		status int
	}{
		{"BadSignature", http.MethodPost, badSig, textXML(testOpenID, 4001, "q"), http.StatusForbidden},
		{"StaleTimestamp", http.MethodPost, query(now-3600, nil), textXML(testOpenID, 4002, "q"), http.StatusForbidden},
		{"MalformedXML", http.MethodPost, query(now, nil), "<xml><ToUserName>oops", http.StatusBadRequest},
		{"NotXML", http.MethodPost, query(now, nil), "hello", http.StatusBadRequest},
		{"WrongRoot", http.MethodPost, query(now, nil), "<msg><MsgType>text</MsgType></msg>", http.StatusBadRequest},
		{"NoSender", http.MethodPost, query(now, nil), "<xml><MsgType>text</MsgType><Content>q</Content></xml>", http.StatusBadRequest},
		{"TooLarge", http.MethodPost, query(now, nil), textXML(testOpenID, 4003, strings.Repeat("长", 64<<10/3+10)), http.StatusRequestEntityTooLarge},
		{"SafeModeMalformed", http.MethodPost, query(now, url.Values{"encrypt_type": {"aes"}}), "<xml>", http.StatusBadRequest},
		{"Method", http.MethodPut, query(now, nil), "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := b.do(context.Background(), t, tt.method, tt.q, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, func(c *Config) { c.RateLimit = 2 })
	for i := range 3 {
		got := b.ask(t, int64(5001+i), "问题"+strconv.Itoa(i))
		want := shortAnswer
		if i == 2 {
			want = textRateLimited
		}
		if got != want {
			t.Fatalf("message %d: reply %q, want %q", i, got, want)
		}
	}
	if n := asker.calls.Load(); n != 2 {
		t.Fatalf("Ask called %d times, want 2", n)
	}
}

// deliverConcurrently posts body to every handler at once, n times each
// round-robin, and returns the replies' contents.
func deliverConcurrently(t *testing.T, bots []*testBot, n int, body string) []string {
	t.Helper()
	replies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bots[i%len(bots)]
			status, resp, err := b.do(context.Background(), t, http.MethodPost, query(time.Now().Unix(), nil), body)
			if err != nil || status != http.StatusOK {
				t.Errorf("delivery %d: %d %v", i, status, err)
				return
			}
			replies[i] = parseReply(t, resp).Content
		}()
	}
	wg.Wait()
	return replies
}

func TestConcurrentDeliveriesAskOnce(t *testing.T) {
	asker := newAsker()
	asker.release = make(chan struct{})
	b := newTestBot(t, state.NewMemory(), asker, nil)
	time.AfterFunc(50*time.Millisecond, func() { close(asker.release) })
	for i, r := range deliverConcurrently(t, []*testBot{b}, 3, textXML(testOpenID, 6001, "小微企业续贷怎么办")) {
		if r != shortAnswer {
			t.Errorf("delivery %d: reply %q", i, r)
		}
	}
	if n := asker.calls.Load(); n != 1 {
		t.Fatalf("Ask called %d times, want 1", n)
	}
	if got := counterValue(t, b.reg, "policybot_wechat_duplicate_deliveries_total", nil); got != 2 {
		t.Fatalf("duplicate deliveries = %v, want 2", got)
	}
}

// checkOneAnswerAcrossReplicas runs two Handlers on one shared State and
// delivers one MsgId to both: exactly one computes. It takes any State so
// that the PostgreSQL store can be checked the same way.
func checkOneAnswerAcrossReplicas(t *testing.T, st State) {
	t.Helper()
	asker := newAsker()
	asker.release = make(chan struct{})
	a := newTestBot(t, st, asker, nil)
	b := newTestBot(t, st, asker, nil)
	time.AfterFunc(50*time.Millisecond, func() { close(asker.release) })
	msgID := time.Now().UnixNano() // unique in a shared database
	for i, r := range deliverConcurrently(t, []*testBot{a, b}, 4, textXML(testOpenID, msgID, "小微企业续贷怎么办")) {
		if r != shortAnswer {
			t.Errorf("delivery %d: reply %q", i, r)
		}
	}
	if n := asker.calls.Load(); n != 1 {
		t.Fatalf("Ask called %d times across replicas, want 1", n)
	}
}

func TestReplicasShareState(t *testing.T) {
	checkOneAnswerAcrossReplicas(t, state.NewMemory())
}

// fakeWeChat speaks the two API calls the bot makes: token and customer send.
type fakeWeChat struct {
	srv *httptest.Server

	mu       sync.Mutex
	tokens   []string       // handed out in turn
	codes    map[string]int // errcode by access token; missing: 0
	fetches  int
	sends    []sentMessage
	sentOnce chan struct{}
}

type sentMessage struct {
	Token, ToUser, Content string
}

func newFakeWeChat(t *testing.T, tokens []string, codes map[string]int) *fakeWeChat {
	t.Helper()
	f := &fakeWeChat{tokens: tokens, codes: codes, sentOnce: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Query().Get("appid") != testAppID || r.URL.Query().Get("secret") != testSecret {
			fmt.Fprint(w, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
			return
		}
		tok := f.tokens[min(f.fetches, len(f.tokens)-1)]
		f.fetches++
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":7200}`, tok)
	})
	mux.HandleFunc("POST /cgi-bin/message/custom/send", func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			ToUser string `json:"touser"`
			Type   string `json:"msgtype"`
			Text   struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || msg.Type != "text" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		tok := r.URL.Query().Get("access_token")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.sends = append(f.sends, sentMessage{tok, msg.ToUser, msg.Text.Content})
		code := f.codes[tok]
		if code == 0 {
			select {
			case <-f.sentOnce:
			default:
				close(f.sentOnce)
			}
		}
		fmt.Fprintf(w, `{"errcode":%d,"errmsg":"code %d"}`, code, code)
	})
	f.srv = httptest.NewServer(mux)
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://api.weixin.qq.com", f.srv.URL, 1)
	})
	t.Cleanup(func() {
		util.SetURIModifier(nil)
		f.srv.Close()
	})
	return f
}

func (f *fakeWeChat) snapshot() (fetches int, sends []sentMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches, append([]sentMessage(nil), f.sends...)
}

// untilPlaceholder plays WeChat with a slow answer: it hangs up on the first
// two tries and returns the third try's reply.
func (b *testBot) untilPlaceholder(t *testing.T, msgID int64) string {
	t.Helper()
	body := textXML(testOpenID, msgID, "小微企业续贷怎么办")
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), b.h.cfg.ReplyBudget+100*time.Millisecond)
		_, resp, err := b.do(ctx, t, http.MethodPost, query(time.Now().Unix(), nil), body)
		cancel()
		if err == nil {
			t.Fatalf("try %d answered %q before the answer was ready", i+1, resp)
		}
	}
	status, resp := b.post(t, body)
	if status != http.StatusOK {
		t.Fatalf("third try: status %d", status)
	}
	return parseReply(t, resp).Content
}

// waitFor polls cond; background pushes finish shortly after the answer.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Tests below set the library's global URI modifier: not parallel.

func TestSlowAnswerPlaceholderThenPush(t *testing.T) {
	api := newFakeWeChat(t, []string{"token-1"}, nil)
	asker := newAsker()
	asker.release = make(chan struct{})
	b := newTestBot(t, state.NewMemory(), asker, nil)

	if got := b.untilPlaceholder(t, 7001); !strings.HasPrefix(got, "正在查询，请稍候…") {
		t.Fatalf("third try reply %q, want the placeholder", got)
	}
	close(asker.release)
	select {
	case <-api.sentOnce:
	case <-time.After(5 * time.Second):
		t.Fatal("no customer-service message sent")
	}
	fetches, sends := api.snapshot()
	want := []sentMessage{{"token-1", testOpenID, shortAnswer}}
	if fetches != 1 || len(sends) != 1 || sends[0] != want[0] {
		t.Fatalf("token fetches %d, sends %+v; want 1, %+v", fetches, sends, want)
	}
	waitFor(t, "async send metric", func() bool {
		return counterValue(t, b.reg, "policybot_wechat_async_sends_total", map[string]string{"result": "ok"}) == 1
	})
	if n := asker.calls.Load(); n != 1 {
		t.Fatalf("Ask called %d times, want 1", n)
	}
}

func TestAccessTokenRefreshOn40001(t *testing.T) {
	api := newFakeWeChat(t, []string{"fresh-token"}, map[string]int{"stale-token": 40001})
	st := state.NewMemory()
	b := newTestBot(t, st, newAsker(), nil)
	// Another replica's token, since replaced on WeChat's side.
	if err := st.KVSet(context.Background(), b.h.tokenKey(), []byte("stale-token"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := b.h.sendText(context.Background(), testOpenID, "答复"); err != nil {
		t.Fatalf("sendText: %v", err)
	}
	fetches, sends := api.snapshot()
	if fetches != 1 || len(sends) != 2 || sends[0].Token != "stale-token" || sends[1].Token != "fresh-token" {
		t.Fatalf("fetches %d, sends %+v: want the stale token refused, one fetch, one retry", fetches, sends)
	}
	tok, err := st.KVGet(context.Background(), b.h.tokenKey())
	if err != nil || string(tok) != "fresh-token" {
		t.Fatalf("cached token %q, %v; want fresh-token", tok, err)
	}
	// The cached token serves the next send without a fetch.
	if err := b.h.sendText(context.Background(), testOpenID, "再次答复"); err != nil {
		t.Fatal(err)
	}
	if fetches, _ := api.snapshot(); fetches != 1 {
		t.Fatalf("token fetched %d times, want 1", fetches)
	}
}

func TestCannotPushThenContinue(t *testing.T) {
	for _, code := range []int{45015, 45047, 48001} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			api := newFakeWeChat(t, []string{"token-1"}, map[string]int{"token-1": code})
			asker := newAsker()
			asker.release = make(chan struct{})
			b := newTestBot(t, state.NewMemory(), asker, nil)
			if got := b.untilPlaceholder(t, 8001); !strings.HasPrefix(got, "正在查询") {
				t.Fatalf("third try reply %q", got)
			}
			close(asker.release)
			waitFor(t, "the failed push", func() bool {
				return counterValue(t, b.reg, "policybot_wechat_async_sends_total", map[string]string{"result": "cannot_push"}) == 1
			})
			if _, sends := api.snapshot(); len(sends) != 1 {
				t.Fatalf("sends %+v, want one attempt (no retry on %d)", sends, code)
			}
			if got := b.ask(t, 8002, "继续"); got != shortAnswer {
				t.Fatalf("继续 → %q, want the pending answer", got)
			}
			if got := b.ask(t, 8003, "继续"); got != textNothingToGet {
				t.Fatalf("second 继续 → %q, want nothing pending", got)
			}
			if strings.Contains(b.logs.String(), testSecret) || strings.Contains(b.logs.String(), "token-1") {
				t.Fatalf("logs hold a secret:\n%s", b.logs)
			}
		})
	}
}

func TestLongAnswerFitsWithLink(t *testing.T) {
	body := strings.Repeat("符合条件的小微企业可以向合作银行申请无还本续贷，银行按规定开展尽职调查。", 60)
	cites := "依据：《天津市提升中小企业竞争力若干措施》第(四)条 无还本续贷\n责任单位：人民银行天津分行、天津金融监管局"
	asker := newAsker()
	asker.answer = answer.Answer{Answered: true, Answer: body + "\n" + cites}
	st := state.NewMemory()
	b := newTestBot(t, st, asker, nil)

	got := b.ask(t, 9001, "小微企业续贷怎么办")
	if len(got) > maxReply {
		t.Fatalf("reply is %d bytes, limit %d", len(got), maxReply)
	}
	lines := strings.Split(got, "\n")
	if len(lines) < 4 {
		t.Fatalf("reply %q lacks citation or link lines", got)
	}
	n := len(lines)
	if lines[n-3] != "依据：《天津市提升中小企业竞争力若干措施》第(四)条 无还本续贷" || !strings.HasPrefix(lines[n-2], "责任单位：") {
		t.Fatalf("citation lines %q", lines[n-3:n-1])
	}
	if !strings.HasSuffix(lines[n-4], "。") {
		t.Fatalf("body not cut at a sentence end: %q", lines[n-4])
	}
	prefix := "完整回答：" + testBase + "/a/"
	if !strings.HasPrefix(lines[n-1], prefix) || len(lines[n-1]) != len(prefix)+32 {
		t.Fatalf("link line %q", lines[n-1])
	}
	data, err := st.PublicAnswer(context.Background(), strings.TrimPrefix(lines[n-1], prefix))
	if err != nil {
		t.Fatalf("public answer: %v", err)
	}
	var saved answer.Answer
	if err := json.Unmarshal(data, &saved); err != nil || saved.Answer != asker.answer.Answer {
		t.Fatalf("saved answer differs: %v", err)
	}
}

func BenchmarkTextMessage(b *testing.B) {
	tb := newTestBot(b, state.NewMemory(), newAsker(), func(c *Config) {
		c.RateLimit = -1
		c.Logger = slog.New(slog.DiscardHandler)
	})
	q := query(time.Now().Unix(), nil)
	target := "/wechat?" + q.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(textXML(testOpenID, int64(i+1), "小微企业续贷怎么办")))
		rec := httptest.NewRecorder()
		tb.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "无还本续贷") {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// TestReplayAndDowngrade: a signed query string replayed with another body
// is refused, WeChat's retry of the same body is not; with an
// EncodingAESKey set, plain pushes are refused unless compatible mode is on.
func TestReplayAndDowngrade(t *testing.T) {
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, func(c *Config) { c.AllowPlain = false })
	q := query(time.Now().Unix(), nil)
	if status, _, _ := b.do(context.Background(), t, http.MethodPost, q, textXML(testOpenID, 4001, "续贷")); status != http.StatusForbidden {
		t.Errorf("plain push with safe mode configured: %d, want 403", status)
	}
	plain := newTestBot(t, state.NewMemory(), asker, nil) // compatible mode
	q = query(time.Now().Unix(), nil)
	first := textXML(testOpenID, 4002, "小微企业续贷怎么办")
	if status, _, _ := plain.do(context.Background(), t, http.MethodPost, q, first); status != http.StatusOK {
		t.Fatalf("first delivery: %d", status)
	}
	if status, _, _ := plain.do(context.Background(), t, http.MethodPost, q, first); status != http.StatusOK {
		t.Errorf("WeChat's retry of the same body: %d, want 200", status)
	}
	calls := asker.calls.Load()
	forged := textXML("oAttacker", 4003, "我的问题")
	if status, _, _ := plain.do(context.Background(), t, http.MethodPost, q, forged); status != http.StatusForbidden {
		t.Errorf("the same timestamp and nonce with another body: %d, want 403", status)
	}
	if asker.calls.Load() != calls {
		t.Error("the replayed message was answered")
	}
}

// TestHygiene: control characters in the XML are stripped, not refused; a
// question over 500 characters gets a polite reply, not a search; NUL and
// invalid UTF-8 never reach the answer service.
func TestHygiene(t *testing.T) {
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, nil)
	if r := b.ask(t, 5001, "小微\x01企业\x00续贷\x1f怎么办"); r != shortAnswer {
		t.Errorf("control characters: %q", r)
	}
	if got := asker.lastRequest(t).Question; got != "小微企业续贷怎么办" {
		t.Errorf("question asked %q", got)
	}
	calls := asker.calls.Load()
	if r := b.ask(t, 5002, strings.Repeat("续贷", 300)); r != textTooLong {
		t.Errorf("a 600-character question: %q", r)
	}
	if asker.calls.Load() != calls {
		t.Error("the over-long question was answered")
	}
	if r := b.ask(t, 5003, "续贷\xff\xfe怎么办"); r != shortAnswer {
		t.Errorf("invalid UTF-8: %q", r)
	}
	if got := asker.lastRequest(t).Question; !utf8.ValidString(got) || got != "续贷怎么办" {
		t.Errorf("question asked %q", got)
	}
}

// TestContinueAfterFailure: a late answer that failed and could not be
// pushed is asked again by "继续", not repeated as the failure text.
func TestContinueAfterFailure(t *testing.T) {
	newFakeWeChat(t, []string{"token-1"}, map[string]int{"token-1": 45015}) // pushes refused: the user must send 继续
	asker := newAsker()
	asker.release = make(chan struct{})
	asker.failFirst.Store(true)
	b := newTestBot(t, state.NewMemory(), asker, nil)
	if got := b.untilPlaceholder(t, 7101); !strings.HasPrefix(got, "正在查询，请稍候…") {
		t.Fatalf("third try reply %q, want the placeholder", got)
	}
	close(asker.release)
	waitFor(t, "the pending answer", func() bool {
		_, err := b.st.KVGet(context.Background(), pendingKey(testOpenID))
		return err == nil
	})
	if got := b.ask(t, 7102, "继续"); got != shortAnswer {
		t.Errorf("继续 after a failure: %q, want the question answered again", got)
	}
	if n := asker.calls.Load(); n != 2 {
		t.Errorf("Ask called %d times, want 2", n)
	}
}

// TestHandoff: the ways users ask for a person transfer them and tell them
// so; outside the agents' hours they get the hotline; a question that
// mentions 人工 is still a question.
func TestHandoff(t *testing.T) {
	api := newFakeWeChat(t, []string{"token-1"}, nil)
	asker := newAsker()
	b := newTestBot(t, state.NewMemory(), asker, nil)
	for i, q := range []string{"转人工", "我要找人工客服", "找人工", "人工服务", "转人工客服。"} {
		status, body := b.post(t, textXML(testOpenID, int64(8001+i), q))
		if status != http.StatusOK || !strings.Contains(body, "transfer_customer_service") {
			t.Errorf("%q: %d %s", q, status, body)
		}
	}
	waitFor(t, "the handoff notices", func() bool { _, sends := api.snapshot(); return len(sends) == 5 })
	if _, sends := api.snapshot(); sends[0].Content != textHandoff {
		t.Errorf("notice %q", sends[0].Content)
	}
	if r := b.ask(t, 8010, "人工智能企业有什么补贴"); r != shortAnswer {
		t.Errorf("a question mentioning 人工: %q", r)
	}
	closed := newTestBot(t, state.NewMemory(), asker, func(c *Config) { c.AgentHours = "00:00-00:01"; c.Hotline = "022-12345" })
	if r := closed.ask(t, 8020, "我要找人工客服"); !strings.Contains(r, "不在线") || !strings.Contains(r, "022-12345") {
		t.Errorf("outside agent hours: %q", r)
	}
}

// countingState counts the reads of message results.
type countingState struct {
	*state.Memory
	results atomic.Int64
}

func (c *countingState) MessageResult(ctx context.Context, key string) ([]byte, bool, error) {
	c.results.Add(1)
	return c.Memory.MessageResult(ctx, key)
}

// TestLocalResultNotReadBack: a message this process computes is answered
// from memory; the shared state is read only for messages computed
// elsewhere. (Reading it back cost two queries a message under load.)
func TestLocalResultNotReadBack(t *testing.T) {
	st := &countingState{Memory: state.NewMemory()}
	b := newTestBot(t, st, newAsker(), nil)
	if got := b.ask(t, 1101, "小微企业续贷怎么办"); got != shortAnswer {
		t.Fatalf("reply %q", got)
	}
	if n := st.results.Load(); n != 0 {
		t.Errorf("%d reads of the message result for an answer computed here, want 0", n)
	}
}
