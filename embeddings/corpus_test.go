package embeddings

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"policybot/policy"
)

// seedModel is trained once on the documents the binary ships (seeds/: the
// seed policy and 13 national laws and regulations, 765 clauses): a corpus
// small enough for a unit test and real enough for neighbours to mean
// something.
var seedModel = sync.OnceValues(trainOnSeeds)

func trainOnSeeds() (*Model, error) {
	files, _ := filepath.Glob("../seeds/laws/*.md")
	files = append(files, "../seeds/000_28e46f3fd46f944c.txt")
	var texts []string
	for _, f := range files {
		doc, err := policy.ParseFile(f)
		if err != nil {
			return nil, err
		}
		for _, c := range doc.Clauses {
			texts = append(texts, c.Title+"\n"+c.Text)
		}
	}
	return Train(context.Background(), texts, TrainConfig{Dims: 64})
}

func mustSeedModel(t *testing.T) *Model {
	t.Helper()
	m, err := seedModel()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestNeighbours: words used alike lie near each other, words of other
// matters far (贷款 near 信贷, far from 专利).
func TestNeighbours(t *testing.T) {
	m := mustSeedModel(t)
	tests := []struct{ word, near, far string }{
		{"贷款", "信贷", "专利"},
		{"专利", "知识产权", "贷款"},
		{"税率", "税额", "就业"},
	}
	for _, tt := range tests {
		w, n, f := m.Vector(tt.word), m.Vector(tt.near), m.Vector(tt.far)
		if w == nil || n == nil || f == nil {
			t.Fatalf("%s, %s or %s not in the model", tt.word, tt.near, tt.far)
		}
		if cn, cf := cosine(w, n), cosine(w, f); cn <= cf+0.1 {
			t.Errorf("cos(%s, %s) = %.2f, cos(%s, %s) = %.2f: want the first clearly higher", tt.word, tt.near, cn, tt.word, tt.far, cf)
		}
	}
	c, err := NewCorpus(m)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := c.Embed(context.Background(), []string{"小微企业申请贷款", "中小企业信贷融资支持", "专利申请费用资助", ""})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := cosine(vs[0], vs[1]), cosine(vs[0], vs[2]); a <= b {
		t.Errorf("loan texts %.2f apart, loan and patent %.2f: want loans closer", a, b)
	}
	for i, v := range vs[:3] {
		if n := cosine(v, v); n < 0.999 || n > 1.001 {
			t.Errorf("text %d: |v|² = %.4f, want unit length", i, n)
		}
	}
	if cosine(vs[3], vs[3]) != 0 {
		t.Error("an empty text should embed as the zero vector")
	}
}

// TestModelFile: a model written and read back embeds alike under the same
// name; the same texts train the same model, byte for byte.
func TestModelFile(t *testing.T) {
	m := mustSeedModel(t)
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.pbce")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := LoadCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := NewCorpus(m)
	if err != nil {
		t.Fatal(err)
	}
	if read.Name() != mine.Name() || !strings.HasPrefix(read.Name(), "corpus-v1-64-") || read.Dimensions() != 64 {
		t.Errorf("names %q and %q, dims %d", read.Name(), mine.Name(), read.Dimensions())
	}
	text := []string{"对符合条件的小微企业开展无还本续贷业务"}
	a, _ := mine.Embed(context.Background(), text)
	c, _ := read.Embed(context.Background(), text)
	if cosine(a[0], c[0]) < 0.99999 {
		t.Errorf("read-back model embeds differently: cos %.6f", cosine(a[0], c[0]))
	}

	again, err := trainOnSeeds()
	if err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if _, err := again.WriteTo(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("training twice on the same texts gave two models")
	}
}

// TestBadModelFiles: what is not a model of this format says so.
func TestBadModelFiles(t *testing.T) {
	m := mustSeedModel(t)
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	version := bytes.Clone(good)
	version[4] = 9
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a corpus model"},
		{"text", []byte("贷款 0.1 0.2\n"), "not a corpus model"},
		{"other version", version, "format version 9"},
		{"cut short", good[:len(good)/2], "cut short"},
		{"trailing bytes", append(bytes.Clone(good), 0), "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadModel(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Train(context.Background(), []string{"贷款"}, TrainConfig{}); err == nil {
		t.Error("a one-word corpus trained a model")
	}
}
