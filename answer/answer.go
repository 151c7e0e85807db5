// Package answer turns a question into a cited, honest answer: conversation
// state and follow-ups, extractive composition (default) or an LLM generator
// with verified citations, and refusal when retrieval is not confident.
package answer

import (
	"time"

	"context"

	"policybot/retrieval"
)

// Answer is what /api/ask, `policybot ask` and the WeChat bot return.
type Answer struct {
	Answered bool `json:"answered"`
	// Confidence is ConfidenceHigh when the cited clauses cover the
	// question, ConfidenceLow for a hedged answer (partial evidence) and
	// for a refusal.
	Confidence string          `json:"confidence"`
	Answer     string          `json:"answer"`
	Citations  []retrieval.Hit `json:"citations"`
}

// Confidences.
const (
	ConfidenceHigh = "high"
	ConfidenceLow  = "low"
)

// Draft is a generator's answer body. The service appends the citation block
// (《title》文号 label title, 责任单位) for the cited hits itself.
type Draft struct {
	Text  string // body, plain text, may contain [n] markers (1-based into the hits given)
	Cited []int  // 0-based indexes into the hits given, in citation order
}

// Generator writes an answer body from the retrieved hits. Implementations:
// Extractive here, llm.Generator for an OpenAI-compatible chat model.
type Generator interface {
	Generate(ctx context.Context, question string, hits []retrieval.Hit) (Draft, error)
}

// Request is one question asked in a conversation.
type Request struct {
	Session  string // WeChat openid, console user or API "session" parameter; empty: no conversation
	Region   string // empty: the configured default region
	Question string
	// Budget bounds the time an LLM generator may take before the extractive
	// answer is used instead; 0 means the service default.
	Budget time.Duration
	// AsOf is the day (YYYY-MM-DD) validity is decided on; empty: today.
	AsOf string
	// Status, when set, cites only documents of that validity status
	// (policy.StatusInForce …).
	Status string
}
