package embeddings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

func cos(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}

func TestLocalEmbed(t *testing.T) {
	l := NewLocal(512)
	if l.Dimensions() != 512 || l.Name() != "local-v1-512" {
		t.Fatalf("Dimensions %d Name %q", l.Dimensions(), l.Name())
	}
	texts := []string{
		"对符合条件的小微企业开展续贷业务",
		"对符合条件的小微企业开展展期业务",
		"减免疫情防控期间停工企业容量电费",
		"",
	}
	vs, err := l.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs[:3] {
		if len(v) != 512 {
			t.Fatalf("vector %d has %d dimensions", i, len(v))
		}
		if n := cos(v, v); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has squared norm %v, want 1", i, n)
		}
	}
	if slices.ContainsFunc(vs[3], func(x float32) bool { return x != 0 }) {
		t.Error("empty text: want the zero vector")
	}
	synonyms, unrelated := cos(vs[0], vs[1]), cos(vs[0], vs[2])
	if synonyms <= unrelated+0.3 {
		t.Errorf("cosine of synonym sentences %.3f, of unrelated ones %.3f: want synonyms far closer", synonyms, unrelated)
	}
	again, err := NewLocal(512).Embed(context.Background(), texts[:1])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again[0], vs[0]) {
		t.Error("same text, different vector: want deterministic embeddings")
	}
}

func TestLocalDefaultsAndCancel(t *testing.T) {
	if d := NewLocal(0).Dimensions(); d != 1024 {
		t.Errorf("NewLocal(0).Dimensions() = %d, want 1024", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewLocal(64).Embed(ctx, []string{"续贷"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v, want context.Canceled", err)
	}
}

// TestLocalEmbedLargeBatch: a batch split over the cores gives each text the
// vector it gets alone, in order; a cancelled context stops it.
func TestLocalEmbedLargeBatch(t *testing.T) {
	l := NewLocal(256)
	var texts []string
	for i := range 200 {
		texts = append(texts, fmt.Sprintf("第%d条 对符合条件的小微企业开展续贷业务，补贴%d万元", i, i%7))
	}
	vs, err := l.Embed(context.Background(), texts)
	if err != nil || len(vs) != len(texts) {
		t.Fatalf("%d vectors, %v", len(vs), err)
	}
	for i, text := range texts {
		one, _ := l.Embed(context.Background(), []string{text})
		if !slices.Equal(one[0], vs[i]) {
			t.Fatalf("text %d: batch vector differs from its own", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Embed(ctx, texts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v, want context.Canceled", err)
	}
}
