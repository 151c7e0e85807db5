package embeddings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"policybot/internal/httplimit"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults of OpenAIConfig.
const (
	DefaultOpenAIBatchSize  = 64
	DefaultOpenAITimeout    = 30 * time.Second
	DefaultOpenAIMaxRetries = 3
)

// Backoff between retries: base·2^attempt with jitter, capped. A Retry-After
// longer than maxRetryAfter is not waited for: a provider asking for minutes
// means a quota is exhausted, and ingestion should fail with that message
// rather than hang.
const (
	openAIBaseDelay = 500 * time.Millisecond
	openAIMaxDelay  = 20 * time.Second
	maxRetryAfter   = 60 * time.Second
)

// OpenAIConfig configures an OpenAI-compatible embeddings client.
type OpenAIConfig struct {
	BaseURL    string        // e.g. https://api.openai.com/v1, https://dashscope.aliyuncs.com/compatible-mode/v1; empty: OpenAI
	APIKey     string        // empty: no Authorization header (Ollama, vLLM)
	Model      string        // e.g. text-embedding-3-small, text-embedding-v3, bge-m3
	Dimensions int           // vector length the model returns (and is asked for); required
	BatchSize  int           // texts per request; 0: DefaultOpenAIBatchSize
	Timeout    time.Duration // per HTTP call; 0: DefaultOpenAITimeout
	MaxRetries int           // retries after the first call on 429, 5xx and network errors; 0: DefaultOpenAIMaxRetries, <0: none
	// OmitDimensions leaves the `dimensions` parameter out of requests, for
	// fixed-size models that reject it (text-embedding-ada-002, most models
	// served by vLLM or Ollama). The returned size is still checked.
	OmitDimensions bool
}

// String describes the configuration without the API key, so that printing
// or logging a config never leaks it.
func (c OpenAIConfig) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("openai embeddings {base_url=%s model=%s dimensions=%d batch=%d timeout=%s retries=%d key=%s}",
		c.BaseURL, c.Model, c.Dimensions, c.BatchSize, c.Timeout, c.MaxRetries, key)
}

// LogValue keeps the API key out of slog output.
func (c OpenAIConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// OpenAI embeds texts with an OpenAI-compatible /embeddings endpoint.
type OpenAI struct {
	client         *openai.Client
	model          string
	dims           int
	batchSize      int
	timeout        time.Duration
	maxRetries     int
	omitDimensions bool
	baseDelay      time.Duration // tests shorten it
}

var _ Embedder = (*OpenAI)(nil)

// NewOpenAI validates cfg and returns a client. It makes no network call.
// maxEmbeddingsResponse bounds an embeddings response body: 64 texts of
// 4,096 dimensions as JSON numbers are about 6 MiB.
const maxEmbeddingsResponse = 32 << 20

func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("embeddings: openai: model is required")
	}
	if cfg.Dimensions <= 0 {
		return nil, fmt.Errorf("embeddings: openai: dimensions must be positive, got %d", cfg.Dimensions)
	}
	if cfg.BatchSize < 0 || cfg.Timeout < 0 {
		return nil, errors.New("embeddings: openai: batch size and timeout must not be negative")
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	// The per-call timeout is a context deadline set around each attempt, so
	// that a timeout can be told apart from the caller's own cancellation.
	// A response is bounded: a batch of vectors as JSON is a few MiB; an
	// endpoint sending more is broken, and must not take the memory.
	oc.HTTPClient = &http.Client{Transport: httplimit.Transport(nil, maxEmbeddingsResponse)}
	e := &OpenAI{
		client:         openai.NewClientWithConfig(oc),
		model:          cfg.Model,
		dims:           cfg.Dimensions,
		batchSize:      cfg.BatchSize,
		timeout:        cfg.Timeout,
		maxRetries:     cfg.MaxRetries,
		omitDimensions: cfg.OmitDimensions,
		baseDelay:      openAIBaseDelay,
	}
	if e.batchSize == 0 {
		e.batchSize = DefaultOpenAIBatchSize
	}
	if e.timeout == 0 {
		e.timeout = DefaultOpenAITimeout
	}
	switch {
	case e.maxRetries == 0:
		e.maxRetries = DefaultOpenAIMaxRetries
	case e.maxRetries < 0:
		e.maxRetries = 0
	}
	return e, nil
}

// Dimensions is the length of the vectors Embed returns.
func (e *OpenAI) Dimensions() int { return e.dims }

// Name identifies model and size, e.g. "openai:text-embedding-3-small@512".
func (e *OpenAI) Name() string { return fmt.Sprintf("openai:%s@%d", e.model, e.dims) }

// Embed embeds texts in batches and returns one L2-normalised vector per text,
// in the order of texts.
func (e *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	for i, t := range texts {
		// OpenAI-compatible servers reject empty input, with a message that
		// does not say which text it was.
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("embeddings: openai: text %d is empty", i)
		}
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.batchSize {
		end := min(start+e.batchSize, len(texts))
		vecs, err := e.embedBatch(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embeddings: openai: texts %d-%d: %w", start, end-1, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// embedBatch sends one request, retrying transient failures.
func (e *OpenAI) embedBatch(ctx context.Context, batch []string) ([][]float32, error) {
	req := openai.EmbeddingRequest{Model: openai.EmbeddingModel(e.model), Input: batch}
	if !e.omitDimensions {
		req.Dimensions = e.dims
	}
	for attempt := 0; ; attempt++ {
		res, err := e.call(ctx, req)
		if err == nil {
			return e.vectors(res, len(batch))
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("create embeddings: %w: %w", ctx.Err(), err)
		}
		status := httpStatus(err)
		if !retryable(status) {
			return nil, fmt.Errorf("create embeddings (status %d): %w", status, err)
		}
		if attempt >= e.maxRetries {
			return nil, fmt.Errorf("create embeddings: giving up after %d attempts (status %d): %w", attempt+1, status, err)
		}
		wait, fromHeader := retryAfter(res.Header(), time.Now())
		if fromHeader && wait > maxRetryAfter {
			return nil, fmt.Errorf("create embeddings: server asks to retry after %s (status %d): %w", wait, status, err)
		}
		if !fromHeader {
			wait = backoff(e.baseDelay, attempt)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, fmt.Errorf("create embeddings: retry in %s would pass the deadline: %w (status %d): %w",
				wait.Round(time.Millisecond), context.DeadlineExceeded, status, err)
		}
		slog.WarnContext(ctx, "embeddings request failed, retrying",
			"model", e.model, "status", status, "attempt", attempt+1, "wait_ms", wait.Milliseconds(), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("create embeddings: waiting to retry: %w: %w", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// call makes one HTTP request bounded by the per-call timeout.
func (e *OpenAI) call(ctx context.Context, req openai.EmbeddingRequest) (openai.EmbeddingResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	return e.client.CreateEmbeddings(cctx, req)
}

// vectors checks a response against the batch and returns its vectors in
// input order, normalised.
func (e *OpenAI) vectors(res openai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(res.Data) != n {
		return nil, fmt.Errorf("model %s returned %d embeddings for %d texts", e.model, len(res.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range res.Data {
		// Servers may return the data out of order; Index is authoritative.
		if d.Index < 0 || d.Index >= n {
			return nil, fmt.Errorf("model %s returned embedding index %d for %d texts", e.model, d.Index, n)
		}
		if out[d.Index] != nil {
			return nil, fmt.Errorf("model %s returned embedding index %d twice", e.model, d.Index)
		}
		if len(d.Embedding) != e.dims {
			return nil, fmt.Errorf("model %s returned %d dimensions, configured for %d (set the dimensions to the model's size, or re-embed)",
				e.model, len(d.Embedding), e.dims)
		}
		v := make([]float32, e.dims)
		copy(v, d.Embedding)
		if !scaleToUnit(v) {
			return nil, fmt.Errorf("model %s returned a zero or non-finite vector for text %d", e.model, d.Index)
		}
		out[d.Index] = v
	}
	return out, nil
}

// scaleToUnit L2-normalises v in place; false when v has no direction.
func scaleToUnit(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	norm := math.Sqrt(sum)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return false
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return true
}

// httpStatus is the HTTP status of a go-openai error; 0 when the request got
// no HTTP answer (network error, timeout).
func httpStatus(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

// retryable reports whether a failed call may succeed when repeated: rate
// limits, server errors and calls that got no answer (including the per-call
// timeout). Other 4xx (bad key, bad model, bad input) will fail again.
func retryable(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// retryAfter parses a Retry-After header, given as seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is base·2^attempt capped at openAIMaxDelay, with jitter in
// [d/2, d) so that clients that failed together do not retry together.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 16)
	if d <= 0 || d > openAIMaxDelay {
		d = openAIMaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}
