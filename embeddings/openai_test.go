package embeddings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEmbeddings is an OpenAI-compatible /v1/embeddings server. Each call
// takes the next scripted reply; when the script runs out it answers with
// vectors derived from the inputs, so tests can check the order.
type fakeEmbeddings struct {
	t       *testing.T
	mu      sync.Mutex
	script  []fakeReply
	calls   []embeddingsRequest
	auth    []string
	reverse bool // return data in reverse order
	dims    int  // length of the vectors returned; 0: the requested dimensions
}

type fakeReply struct {
	status     int
	retryAfter string
	body       string
	delay      time.Duration // hold the reply back, until the client gives up
}

type embeddingsRequest struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions"`
}

func (f *fakeEmbeddings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	var req embeddingsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("decode request: %v", err)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	var reply *fakeReply
	if len(f.script) > 0 {
		reply = &f.script[0]
		f.script = f.script[1:]
	}
	f.mu.Unlock()

	if reply != nil && reply.delay > 0 {
		select {
		case <-time.After(reply.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if reply != nil {
		if reply.retryAfter != "" {
			w.Header().Set("Retry-After", reply.retryAfter)
		}
		w.WriteHeader(reply.status)
		fmt.Fprint(w, reply.body)
		return
	}
	dims := f.dims
	if dims == 0 {
		dims = req.Dimensions
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]datum, len(req.Input))
	for i, text := range req.Input {
		data[i] = datum{Object: "embedding", Index: i, Embedding: testVector(text, dims)}
	}
	if f.reverse {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": 8, "total_tokens": 8},
	})
}

// testVector is an unnormalised vector that identifies text: its first
// component is the text's length, the second 1.
func testVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	v[0] = float32(len([]rune(text)))
	if dims > 1 {
		v[1] = 1
	}
	return v
}

const (
	errorBody429 = `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	errorBody500 = `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`
	errorBody401 = `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
)

// requests returns the requests received so far.
func (f *fakeEmbeddings) requests() []embeddingsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]embeddingsRequest(nil), f.calls...)
}

// authHeaders returns the Authorization header of each request.
func (f *fakeEmbeddings) authHeaders() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auth...)
}

func newTestOpenAI(t *testing.T, f *fakeEmbeddings, cfg OpenAIConfig) *OpenAI {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	if cfg.Model == "" {
		cfg.Model = "text-embedding-3-small"
	}
	if cfg.Dimensions == 0 {
		cfg.Dimensions = 4
	}
	e, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	e.baseDelay = time.Millisecond
	return e
}

func TestOpenAIEmbed(t *testing.T) {
	texts := []string{"小微企业续贷", "无还本续贷", "专利质押融资", "社保"}

	t.Run("OK", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, reverse: true}
		e := newTestOpenAI(t, f, OpenAIConfig{APIKey: "sk-test", BatchSize: 3})
		got, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatalf("Embed: %v", err)
		}
		if len(f.requests()) != 2 || len(f.requests()[0].Input) != 3 || len(f.requests()[1].Input) != 1 {
			t.Fatalf("want batches of 3 and 1, got %+v", f.requests())
		}
		for i, c := range f.requests() {
			if c.Model != "text-embedding-3-small" || c.Dimensions != 4 {
				t.Errorf("call %d: model %q dimensions %d", i, c.Model, c.Dimensions)
			}
			if f.authHeaders()[i] != "Bearer sk-test" {
				t.Errorf("call %d: Authorization %q", i, f.authHeaders()[i])
			}
		}
		if len(got) != len(texts) {
			t.Fatalf("got %d vectors for %d texts", len(got), len(texts))
		}
		for i, v := range got {
			if len(v) != 4 {
				t.Fatalf("vector %d has %d dimensions", i, len(v))
			}
			var norm float64
			for _, x := range v {
				norm += float64(x) * float64(x)
			}
			if math.Abs(norm-1) > 1e-5 {
				t.Errorf("vector %d: squared norm %v, want 1", i, norm)
			}
			// The direction encodes the text length: v0/v1 = len.
			if ratio := v[0] / v[1]; math.Abs(float64(ratio)-float64(len([]rune(texts[i])))) > 1e-3 {
				t.Errorf("vector %d belongs to another text (ratio %v, text %q)", i, ratio, texts[i])
			}
		}
	})

	t.Run("OmitDimensions", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, dims: 4}
		e := newTestOpenAI(t, f, OpenAIConfig{OmitDimensions: true})
		if _, err := e.Embed(context.Background(), texts[:1]); err != nil {
			t.Fatalf("Embed: %v", err)
		}
		if f.requests()[0].Dimensions != 0 {
			t.Errorf("dimensions sent: %d", f.requests()[0].Dimensions)
		}
		if f.authHeaders()[0] != "" {
			t.Errorf("Authorization sent without a key: %q", f.authHeaders()[0])
		}
	})

	t.Run("RetryAfter429", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{{status: 429, retryAfter: "1", body: errorBody429}}}
		e := newTestOpenAI(t, f, OpenAIConfig{})
		start := time.Now()
		got, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatalf("Embed: %v", err)
		}
		if elapsed := time.Since(start); elapsed < time.Second {
			t.Errorf("retried after %s, want at least the 1 s of Retry-After", elapsed)
		}
		if len(f.requests()) != 2 || len(got) != len(texts) {
			t.Errorf("calls %d, vectors %d", len(f.requests()), len(got))
		}
	})

	t.Run("RetryAfterCallTimeout", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{{status: 200, delay: 5 * time.Second}}}
		e := newTestOpenAI(t, f, OpenAIConfig{Timeout: 200 * time.Millisecond})
		start := time.Now()
		got, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatalf("Embed: %v", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("took %s, want the 200ms call timeout then a retry", elapsed)
		}
		if len(f.requests()) != 2 || len(got) != len(texts) {
			t.Errorf("calls %d, vectors %d", len(f.requests()), len(got))
		}
	})

	t.Run("ErrRetriesExhausted", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{
			{status: 500, body: errorBody500}, {status: 502, body: "bad gateway"}, {status: 500, body: errorBody500},
		}}
		e := newTestOpenAI(t, f, OpenAIConfig{MaxRetries: 2})
		_, err := e.Embed(context.Background(), texts)
		if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
			t.Fatalf("want an error saying retries were exhausted, got %v", err)
		}
		if len(f.requests()) != 3 {
			t.Errorf("calls %d, want 3", len(f.requests()))
		}
	})

	t.Run("ErrUnauthorizedNoRetry", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{{status: 401, body: errorBody401}}}
		e := newTestOpenAI(t, f, OpenAIConfig{APIKey: "sk-secret-key"})
		_, err := e.Embed(context.Background(), texts)
		if err == nil || !strings.Contains(err.Error(), "status 401") {
			t.Fatalf("want a 401 error, got %v", err)
		}
		if strings.Contains(err.Error(), "sk-secret-key") {
			t.Errorf("error leaks the key: %v", err)
		}
		if len(f.requests()) != 1 {
			t.Errorf("calls %d, want 1 (no retry on 401)", len(f.requests()))
		}
	})

	t.Run("ErrWrongDimension", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, dims: 3}
		e := newTestOpenAI(t, f, OpenAIConfig{Model: "bge-m3", Dimensions: 1024})
		_, err := e.Embed(context.Background(), texts)
		if err == nil {
			t.Fatal("want an error")
		}
		for _, want := range []string{"bge-m3", "returned 3 dimensions", "configured for 1024"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})

	t.Run("ErrCanceledDuringBackoff", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{{status: 503, retryAfter: "30", body: errorBody500}}}
		e := newTestOpenAI(t, f, OpenAIConfig{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.Embed(ctx, texts)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("returned after %s, want soon after the cancellation", elapsed)
		}
	})

	t.Run("ErrDeadlineBeforeRetry", func(t *testing.T) {
		f := &fakeEmbeddings{t: t, script: []fakeReply{{status: 429, retryAfter: "10", body: errorBody429}}}
		e := newTestOpenAI(t, f, OpenAIConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := e.Embed(ctx, texts)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("waited %s for a retry that could not happen before the deadline", elapsed)
		}
	})

	t.Run("ErrEmptyText", func(t *testing.T) {
		f := &fakeEmbeddings{t: t}
		e := newTestOpenAI(t, f, OpenAIConfig{})
		if _, err := e.Embed(context.Background(), []string{"社保", " "}); err == nil || !strings.Contains(err.Error(), "text 1 is empty") {
			t.Fatalf("want an empty-text error, got %v", err)
		}
		if len(f.requests()) != 0 {
			t.Errorf("calls %d, want none", len(f.requests()))
		}
	})
}

func TestNewOpenAI(t *testing.T) {
	tests := []struct {
		name    string
		cfg     OpenAIConfig
		wantErr string
	}{
		{"OK", OpenAIConfig{Model: "text-embedding-3-small", Dimensions: 512}, ""},
		{"ErrModelRequired", OpenAIConfig{Dimensions: 512}, "model is required"},
		{"ErrDimensionsRequired", OpenAIConfig{Model: "m"}, "dimensions must be positive"},
		{"ErrNegativeBatch", OpenAIConfig{Model: "m", Dimensions: 8, BatchSize: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewOpenAI(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := e.Name(), "openai:text-embedding-3-small@512"; got != want {
				t.Errorf("Name() = %q, want %q", got, want)
			}
			if e.Dimensions() != 512 || e.batchSize != DefaultOpenAIBatchSize || e.maxRetries != DefaultOpenAIMaxRetries {
				t.Errorf("defaults not applied: %+v", e)
			}
		})
	}
}

func TestOpenAIConfigHidesKey(t *testing.T) {
	cfg := OpenAIConfig{Model: "m", Dimensions: 8, APIKey: "sk-very-secret"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v", cfg), cfg.LogValue().String()} {
		if strings.Contains(s, "sk-very-secret") {
			t.Errorf("config printed with its key: %s", s)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{"Wed, 01 May 2024 12:00:05 GMT", 5 * time.Second, true},
		{"Wed, 01 May 2024 11:59:00 GMT", 0, true},
		{"soon", 0, false},
		{"-3", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt := range 40 {
		d := backoff(500*time.Millisecond, attempt)
		upper := min(500*time.Millisecond<<min(attempt, 16), openAIMaxDelay)
		if d < upper/2 || d > upper {
			t.Errorf("attempt %d: backoff %s outside [%s, %s]", attempt, d, upper/2, upper)
		}
	}
}

// TestHugeEmbeddingsResponse: an endpoint sending far more than any batch
// of vectors gets an error, not the process's memory.
func TestHugeEmbeddingsResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[`)
		chunk := strings.Repeat("0.1,", 1<<14)
		for i := 0; i < 20000; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `0.1]}]}`)
	}))
	defer srv.Close()
	e, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Dimensions: 4, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), []string{"续贷"}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Embed: %v, want a too-large error", err)
	}
}
