// Package embeddings turns texts into vectors: a local offline embedder (the
// default, pure Go, deterministic) and a client for any OpenAI-compatible
// embeddings endpoint.
package embeddings

import "context"

// Embedder embeds a batch of texts. Vectors are L2-normalised.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dimensions() int
	// Name identifies model and version, e.g. "local-v1" or "openai:text-embedding-3-small@512":
	// vectors of two embedders with different names are not comparable.
	Name() string
}
