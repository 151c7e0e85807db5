package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policybot/policy"
	"policybot/retrieval"
)

// fakeChat is an OpenAI-compatible /v1/chat/completions server that answers
// every request with the same reply and records what it received.
type fakeChat struct {
	t      *testing.T
	status int           // 0: 200 with content
	body   string        // error body for a non-200 status
	delay  time.Duration // before answering; cut short when the client goes away
	reply  string        // the assistant's content
	finish string        // finish_reason; "" means "stop"

	mu       sync.Mutex
	requests []chatRequest
	auth     []string
}

type chatRequest struct {
	Model       string   `json:"model"`
	MaxTokens   int      `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
	Messages    []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("decode request: %v", err)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()

	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if f.status != 0 && f.status != http.StatusOK {
		w.WriteHeader(f.status)
		fmt.Fprint(w, f.body)
		return
	}
	finish := f.finish
	if finish == "" {
		finish = "stop"
	}
	json.NewEncoder(w).Encode(map[string]any{
		"id":      "chatcmpl-test",
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]string{"role": "assistant", "content": f.reply},
			"finish_reason": finish,
		}},
		"usage": map[string]int{"prompt_tokens": 500, "completion_tokens": 80, "total_tokens": 580},
	})
}

func (f *fakeChat) received() ([]chatRequest, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests), slices.Clone(f.auth)
}

func newTestGenerator(t *testing.T, f *fakeChat, cfg Config) *Generator {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	if cfg.Model == "" {
		cfg.Model = "deepseek-chat"
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

const (
	goodReply = "**可以办理。**对符合条件的小微企业，银行可开展无还本续贷业务[1]。\n\n" +
		"- 具体可咨询人民银行天津分行、天津银保监局或市金融局[1]。"
	question = "小微企业续贷怎么办"
)

func TestGenerate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := &fakeChat{reply: goodReply}
		g := newTestGenerator(t, f, Config{APIKey: "sk-test", MaxTokens: 300})
		hits := testHits()
		draft, err := g.Generate(context.Background(), question, hits)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		wantText := "可以办理。对符合条件的小微企业，银行可开展无还本续贷业务[1]。\n\n具体可咨询人民银行天津分行、天津银保监局或市金融局[1]。"
		if draft.Text != wantText {
			t.Errorf("text %q, want %q", draft.Text, wantText)
		}
		if !slices.Equal(draft.Cited, []int{0}) {
			t.Errorf("cited %v, want [0]", draft.Cited)
		}

		reqs, auth := f.received()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		req := reqs[0]
		if req.Model != "deepseek-chat" || req.MaxTokens != 300 {
			t.Errorf("model %q max_tokens %d", req.Model, req.MaxTokens)
		}
		if req.Temperature == nil || *req.Temperature <= 0 || *req.Temperature > 0.05 {
			t.Errorf("temperature %v, want a small positive value for Temperature 0", req.Temperature)
		}
		if auth[0] != "Bearer sk-test" {
			t.Errorf("Authorization %q", auth[0])
		}
		if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
			t.Fatalf("messages %+v, want system then user", req.Messages)
		}
		if !strings.Contains(req.Messages[0].Content, "只依据") {
			t.Errorf("system prompt does not bind the model to the clauses: %q", req.Messages[0].Content)
		}
		user := req.Messages[1].Content
		for i, h := range hits {
			for _, want := range []string{
				fmt.Sprintf("[%d]", i+1), "《" + h.Document.Title + "》", h.Document.Number,
				h.Clause.Label + h.Clause.Title, h.Clause.Text, strings.Join(h.Clause.Agencies, "、"),
			} {
				if !strings.Contains(user, want) {
					t.Errorf("user message lacks %q of clause %d", want, i+1)
				}
			}
		}
		if strings.Contains(user, "[4]") {
			t.Errorf("user message numbers a clause that was not given:\n%s", user)
		}
		if !strings.HasSuffix(user, "问题："+question) {
			t.Errorf("user message does not end with the question:\n%s", user)
		}
	})

	t.Run("OnlyGivenClauses", func(t *testing.T) {
		f := &fakeChat{reply: "可以申请无还本续贷[1]。"}
		g := newTestGenerator(t, f, Config{})
		hits := testHits()
		if _, err := g.Generate(context.Background(), question, hits[:1]); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		reqs, _ := f.received()
		user := reqs[0].Messages[1].Content
		for _, h := range hits[1:] {
			if strings.Contains(user, h.Clause.Text) || strings.Contains(user, h.Clause.Title) {
				t.Errorf("prompt holds clause %s, which was not given", h.Clause.ID)
			}
		}
		if strings.Contains(user, "[2]") {
			t.Errorf("prompt numbers a second clause:\n%s", user)
		}
	})

	t.Run("ErrSlow", func(t *testing.T) {
		f := &fakeChat{reply: goodReply, delay: 5 * time.Second}
		g := newTestGenerator(t, f, Config{})
		const budget = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		start := time.Now()
		_, err := g.Generate(ctx, question, testHits())
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
		if elapsed > budget+2*time.Second { // the server takes 5 s; slack for a loaded CI machine
			t.Errorf("returned after %s, budget %s", elapsed, budget)
		}
	})

	t.Run("ErrOwnTimeout", func(t *testing.T) {
		f := &fakeChat{reply: goodReply, delay: 5 * time.Second}
		g := newTestGenerator(t, f, Config{Timeout: 200 * time.Millisecond})
		start := time.Now()
		_, err := g.Generate(context.Background(), question, testHits())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("returned after %s, timeout 200ms", elapsed)
		}
	})

	tests := []struct {
		name    string
		fake    *fakeChat
		wantIs  error
		wantErr string
	}{
		{"ErrCitesClauseNotGiven", &fakeChat{reply: "可以申请无还本续贷[5]。"}, ErrUnverified, "cites [5] but 3 clauses were given"},
		{"ErrAgencyNotOfCitedClause", &fakeChat{reply: "可以申请无还本续贷[1]，请联系市税务局办理。"}, ErrUnverified, "names 市税务局"},
		{"ErrNoCitation", &fakeChat{reply: "可以申请无还本续贷。"}, ErrUnverified, "no citation"},
		{"ErrNoAnswer", &fakeChat{reply: "抱歉，所给政策条款中没有找到这个问题的答案。"}, ErrNoAnswer, ""},
		{"ErrRateLimited", &fakeChat{status: 429, body: `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`}, ErrRateLimited, "status 429"},
		{"ErrServer", &fakeChat{status: 503, body: `upstream unavailable`}, nil, "status 503"},
		{"ErrUnauthorized", &fakeChat{status: 401, body: `{"error":{"message":"Authentication Fails","type":"authentication_error","param":null,"code":"invalid_request_error"}}`}, nil, "status 401"},
		{"ErrTruncated", &fakeChat{reply: "可以申请无还本续贷[1]，具体", finish: "length"}, nil, "cut off"},
		{"ErrEmpty", &fakeChat{reply: "  "}, nil, "empty answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			g := newTestGenerator(t, f, Config{})
			draft, err := g.Generate(context.Background(), question, testHits())
			if err == nil {
				t.Fatalf("want an error, got draft %+v", draft)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			// 429 and every other failure are answered at once: the caller
			// has a budget and falls back, so there is no retry here.
			if reqs, _ := f.received(); len(reqs) != 1 {
				t.Errorf("%d requests, want 1", len(reqs))
			}
		})
	}

	t.Run("ErrNoHits", func(t *testing.T) {
		f := &fakeChat{reply: goodReply}
		g := newTestGenerator(t, f, Config{})
		if _, err := g.Generate(context.Background(), question, nil); err == nil {
			t.Fatal("want an error without clauses")
		}
		if reqs, _ := f.received(); len(reqs) != 0 {
			t.Errorf("%d requests without clauses", len(reqs))
		}
	})
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantTemp float32
		wantErr  string
	}{
		{"OKZeroTemperature", Config{Model: "qwen-plus"}, minTemperature, ""},
		{"OKTemperature", Config{Model: "qwen-plus", Temperature: 0.3}, 0.3, ""},
		{"OKProviderDefault", Config{Model: "qwen-plus", Temperature: -1}, 0, ""},
		{"ErrModelRequired", Config{}, 0, "model is required"},
		{"ErrNegativeTimeout", Config{Model: "m", Timeout: -time.Second}, 0, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.temperature != tt.wantTemp || g.timeout != DefaultTimeout || g.maxTokens != DefaultMaxTokens {
				t.Errorf("temperature %v timeout %s max tokens %d", g.temperature, g.timeout, g.maxTokens)
			}
		})
	}
}

func TestConfigHidesKey(t *testing.T) {
	cfg := Config{Model: "m", APIKey: "sk-very-secret"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), cfg.LogValue().String()} {
		if strings.Contains(s, "sk-very-secret") {
			t.Errorf("config printed with its key: %s", s)
		}
	}
}

// TestPromptValidity: each clause tells the model where its document
// stands, and the rules forbid calling a repealed one current.
func TestPromptValidity(t *testing.T) {
	hits := []retrieval.Hit{
		{Document: policy.Meta{Title: "中华人民共和国增值税暂行条例", Validity: &policy.ValidityStatus{Status: policy.StatusRepealed,
			Since: "2026-01-01"}}, Clause: policy.Clause{Text: "小规模纳税人增值税征收率为3%。"}},
		{Document: policy.Meta{Title: "中华人民共和国增值税法", Validity: &policy.ValidityStatus{Status: policy.StatusInForce}},
			Clause: policy.Clause{Text: "征收率为百分之三。"}},
	}
	msgs := messages("征收率是多少", hits)
	user := msgs[1].Content
	if !strings.Contains(user, "[1]\n文件：《中华人民共和国增值税暂行条例》\n效力：已废止（2026-01-01起）") ||
		!strings.Contains(user, "效力：现行有效") || !strings.Contains(msgs[0].Content, "不得说成现行规定") {
		t.Errorf("prompt:\n%s\n%s", msgs[0].Content, user)
	}
}

// TestHugeResponse: a chat completion far past any real answer is an error
// (the service answers extractively), read no further than the limit.
func TestHugeResponse(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"`)
		chunk := strings.Repeat("字", 1<<14)
		for i := 0; i < 25000; i++ { // up to 1.2 GB, unless the client hangs up
			n, err := io.WriteString(w, chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		io.WriteString(w, `"}}]}`)
	}))
	defer srv.Close()
	g, err := New(Config{BaseURL: srv.URL + "/v1", Model: "m", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Generate(context.Background(), "续贷", []retrieval.Hit{{Clause: policy.Clause{Text: "续贷"}}})
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Generate: %v, want a too-large error", err)
	}
	srv.CloseClientConnections()
	if s := sent.Load(); s > 64<<20 {
		t.Errorf("the server got %d bytes out before the client stopped reading", s)
	}
}
