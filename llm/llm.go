// Package llm writes answers with an OpenAI-compatible chat model (DeepSeek,
// Qwen in DashScope compatible mode, Zhipu, Ollama, vLLM …) from the retrieved
// clauses only, and checks every answer's citations and agency names before
// it is used: an answer that fails the check is an error, and the caller falls
// back to the extractive answer.
package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"policybot/internal/httplimit"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"policybot/answer"
	"policybot/retrieval"
)

// Defaults of Config.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxTokens = 600
)

// minTemperature is sent for Temperature 0: go-openai drops a zero
// temperature from the request (omitempty), which would leave the provider's
// default (often 0.7–1.0); some providers also reject exactly 0.
const minTemperature = 0.01

var (
	// ErrRateLimited is returned on HTTP 429. The generator does not retry:
	// the caller has a time budget and falls back instead.
	ErrRateLimited = errors.New("llm: rate limited")
	// ErrNoAnswer is returned when the model says the clauses do not answer
	// the question.
	ErrNoAnswer = errors.New("llm: the clauses do not answer the question")
)

// Config configures a Generator.
type Config struct {
	BaseURL   string        // e.g. https://api.deepseek.com/v1; empty: OpenAI
	APIKey    string        // empty: no Authorization header (Ollama, vLLM)
	Model     string        // required, e.g. deepseek-chat, qwen-plus
	Timeout   time.Duration // per call, on top of the caller's ctx; 0: DefaultTimeout
	MaxTokens int           // 0: DefaultMaxTokens
	// Temperature 0 is sent as 0.01 (see minTemperature); a negative value
	// leaves it out, so the provider's default applies.
	Temperature float32
}

// String describes the configuration without the API key.
func (c Config) String() string {
	key := "unset"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("llm {base_url=%s model=%s timeout=%s max_tokens=%d temperature=%g key=%s}",
		c.BaseURL, c.Model, c.Timeout, c.MaxTokens, c.Temperature, key)
}

// LogValue keeps the API key out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Generator writes an answer body with a chat model.
type Generator struct {
	client      *openai.Client
	model       string
	timeout     time.Duration
	maxTokens   int
	temperature float32
}

var _ answer.Generator = (*Generator)(nil)

// New validates cfg and returns a Generator. It makes no network call.
// maxResponse bounds a chat completion response body.
const maxResponse = 1 << 20

func New(cfg Config) (*Generator, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("llm: model is required")
	}
	if cfg.Timeout < 0 || cfg.MaxTokens < 0 {
		return nil, errors.New("llm: timeout and max tokens must not be negative")
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	// Time limits come from ctx (the caller's budget and Timeout).
	// A chat completion of a few hundred tokens is a few KiB; a response
	// past maxResponse is an error (the extractive answer is used), not
	// memory taken (measured before: one 400 MB reply took RSS to 1.5 GiB).
	oc.HTTPClient = &http.Client{Transport: httplimit.Transport(nil, maxResponse)}
	g := &Generator{
		client:      openai.NewClientWithConfig(oc),
		model:       cfg.Model,
		timeout:     cfg.Timeout,
		maxTokens:   cfg.MaxTokens,
		temperature: cfg.Temperature,
	}
	if g.timeout == 0 {
		g.timeout = DefaultTimeout
	}
	if g.maxTokens == 0 {
		g.maxTokens = DefaultMaxTokens
	}
	if g.temperature == 0 {
		g.temperature = minTemperature
	} else if g.temperature < 0 {
		g.temperature = 0 // omitted from the request
	}
	return g, nil
}

// Generate asks the model to answer question from hits and returns the
// verified answer. Errors: ErrRateLimited, ErrNoAnswer, ErrUnverified, the
// ctx error, or an API error wrapped with its HTTP status.
func (g *Generator) Generate(ctx context.Context, question string, hits []retrieval.Hit) (answer.Draft, error) {
	if len(hits) == 0 {
		return answer.Draft{}, errors.New("llm: generate: no clauses to answer from")
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model:       g.model,
		Messages:    messages(question, hits),
		MaxTokens:   g.maxTokens,
		Temperature: g.temperature,
	}
	res, err := g.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return answer.Draft{}, chatError(ctx, err)
	}
	if len(res.Choices) == 0 {
		return answer.Draft{}, errors.New("llm: chat completion: no choices in the response")
	}
	choice := res.Choices[0]
	switch choice.FinishReason {
	case openai.FinishReasonLength:
		// A cut-off answer may end mid-sentence or before its citation.
		return answer.Draft{}, fmt.Errorf("llm: chat completion: answer cut off at %d tokens", g.maxTokens)
	case openai.FinishReasonContentFilter:
		return answer.Draft{}, errors.New("llm: chat completion: answer blocked by the provider's content filter")
	}
	text := clean(choice.Message.Content)
	if text == "" {
		return answer.Draft{}, errors.New("llm: chat completion: empty answer")
	}
	if !citationRe.MatchString(text) && strings.Contains(text, noAnswerMarker) {
		return answer.Draft{}, ErrNoAnswer
	}
	cited, err := Verify(text, hits)
	if err != nil {
		return answer.Draft{}, fmt.Errorf("llm: generate: %w", err)
	}
	return answer.Draft{Text: normalizeCitations(text), Cited: cited}, nil
}

// chatError names the operation and the HTTP status of a failed call.
func chatError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("llm: chat completion: %w: %w", ctx.Err(), err)
	}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	status := 0
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	default:
		return fmt.Errorf("llm: chat completion: %w", err)
	}
	if status == http.StatusTooManyRequests {
		return fmt.Errorf("%w: chat completion (status %d): %w", ErrRateLimited, status, err)
	}
	return fmt.Errorf("llm: chat completion (status %d): %w", status, err)
}
