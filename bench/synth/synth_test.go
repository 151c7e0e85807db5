package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"policybot/testenv"
	"slices"
	"strings"
	"sync"
	"testing"

	"policybot/policy"
)

var (
	materialOnce sync.Once
	material     *Material
	materialErr  error
)

func loadMaterial(t *testing.T) *Material {
	t.Helper()
	shared := testenv.Shared(t)
	materialOnce.Do(func() {
		material, materialErr = LoadMaterial(filepath.Join(shared, "corpus"), filepath.Join(shared, "seeds"))
	})
	if materialErr != nil {
		t.Fatalf("LoadMaterial: %v", materialErr)
	}
	return material
}

// TestDocumentsParse checks that the parser reads back what the generator
// meant: the clause count, the region, the marked title and ID.
func TestDocumentsParse(t *testing.T) {
	g := NewGenerator(loadMaterial(t), 1)
	t.Run("Recombined", func(t *testing.T) { testDocumentsParse(t, g) })
	t.Run("Adapted", func(t *testing.T) { testDocumentsParse(t, g.Adapted()) })
}

// TestAdapted: an adapted measure is a real clause's title and some of its
// sentences, in their order.
func TestAdapted(t *testing.T) {
	m := loadMaterial(t)
	real := map[string][]string{}
	for _, ms := range m.measures {
		real[ms.title] = append(real[ms.title], strings.Join(ms.sentences, ""))
	}
	g := NewGenerator(m, 2).Adapted()
	for i := range 50 {
		d := g.Document(i)
		doc, err := policy.Parse(d.Name, d.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Clauses {
			if c.Role != "" {
				continue // the closing paragraph
			}
			// The generator wrote （n）title。body; the parser may not take a
			// title with a comma for one.
			text := strings.ReplaceAll(c.Text, "\n", "")
			title, body := c.Title, strings.TrimPrefix(text, c.Title+"。")
			if title == "" {
				title, body, _ = strings.Cut(text, "。")
			}
			texts, ok := real[title]
			if !ok {
				t.Fatalf("document %d clause %s: title %q is no real clause's", i, c.Label, title)
			}
			// An agency named with brackets (各县（市、区）) can leave part of
			// the agency note in the text, after the last sentence.
			body = body[:strings.LastIndex(body, "。")+len("。")]
			if !slices.ContainsFunc(texts, func(full string) bool { return inOrder(body, full) }) {
				t.Fatalf("document %d clause %s: %q is not sentences of a real %q clause", i, c.Label, body, c.Title)
			}
		}
	}
}

// inOrder reports whether part's sentences all occur in full, in order.
func inOrder(part, full string) bool {
	for _, s := range strings.SplitAfter(part, "。") {
		if s == "" {
			continue
		}
		i := strings.Index(full, s)
		if i < 0 {
			return false
		}
		full = full[i+len(s):]
	}
	return true
}

func testDocumentsParse(t *testing.T, g *Generator) {
	regions := map[string]bool{}
	for i := range 200 {
		d := g.Document(i)
		doc, err := policy.Parse(d.Name, d.Data)
		if err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, d.Data)
		}
		// The generator counts the measures it wrote; the parser also keeps
		// a closing paragraph as a clause with a role.
		measures := 0
		for _, c := range doc.Clauses {
			if c.Role == "" {
				measures++
			}
		}
		if measures != d.Clauses {
			t.Fatalf("document %d: parser found %d measures, generator wrote %d\n%s", i, measures, d.Clauses, d.Data)
		}
		if doc.Region != d.Region {
			t.Errorf("document %d: parsed region %q, generated %q (title %s)", i, doc.Region, d.Region, doc.Title)
		}
		if !strings.Contains(doc.Title, strings.Trim(Marker, "（）")) {
			t.Errorf("document %d: title %q lacks the marker", i, doc.Title)
		}
		if !IsSynthetic(doc.ID) {
			t.Errorf("document %d: ID %q is not marked synthetic", i, doc.ID)
		}
		for _, c := range doc.Clauses {
			if c.Text == "" {
				t.Fatalf("document %d: clause %s without text", i, c.ID)
			}
		}
		regions[d.Region] = true
	}
	if len(regions) < 10 {
		t.Errorf("200 documents cover %d regions, want at least 10", len(regions))
	}
}

func TestDeterministic(t *testing.T) {
	m := loadMaterial(t)
	a, b, c := NewGenerator(m, 7), NewGenerator(m, 7), NewGenerator(m, 8)
	for _, i := range []int{0, 1, 999, 123456} {
		if !bytes.Equal(a.Document(i).Data, b.Document(i).Data) {
			t.Errorf("document %d differs between two generators with one seed", i)
		}
		if bytes.Equal(a.Document(i).Data, c.Document(i).Data) {
			t.Errorf("document %d is the same under seeds 7 and 8", i)
		}
	}
	if bytes.Equal(a.Document(0).Data, a.Document(1).Data) {
		t.Error("documents 0 and 1 are equal")
	}
}

func TestCorpusSize(t *testing.T) {
	g := NewGenerator(loadMaterial(t), 3)
	for _, want := range []int{1, 500, 10_000} {
		docs, total := g.Corpus(want)
		sum := 0
		for _, d := range docs {
			sum += d.Clauses
		}
		if sum != total || total < want || total >= want+maxClauses {
			t.Errorf("Corpus(%d): total %d, documents sum to %d", want, total, sum)
		}
	}
}

// TestRecombines checks the property the quality benchmark relies on: a
// synthetic clause rarely repeats a whole real sentence, so it is a
// distractor, not a copy of the answer.
func TestRecombines(t *testing.T) {
	shared := testenv.Shared(t)
	real := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(shared, "corpus"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		doc, err := policy.ParseFile(p)
		if err != nil {
			return nil
		}
		for _, c := range doc.Clauses {
			for _, s := range strings.Split(c.Text, "。") {
				if len([]rune(s)) >= 12 {
					real[s] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGenerator(loadMaterial(t), 5)
	var sentences, copies int
	for i := range 300 {
		d := g.Document(i)
		doc, err := policy.Parse(d.Name, d.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Clauses {
			for _, s := range strings.Split(c.Text, "。") {
				if s == "" {
					continue
				}
				sentences++
				if real[s] {
					copies++
				}
			}
		}
	}
	if share := float64(copies) / float64(sentences); share > 0.01 {
		t.Fatalf("%d of %d synthetic sentences (%.1f%%) copy a real sentence verbatim", copies, sentences, 100*share)
	}
}

func TestChineseNumber(t *testing.T) {
	for n, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 32: "三十二"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPlaceName(t *testing.T) {
	for region, want := range map[string]string{
		"天津市": "天津市", "北京市海淀区": "海淀区", "福建省三明市": "三明市", "陕西省": "陕西省", "全国": "",
	} {
		if got := placeName(region); got != want {
			t.Errorf("placeName(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestSplitPhrases(t *testing.T) {
	got := splitPhrases("加大对中小企业的信贷支持力度，第五章 优化营商环境；依照本法第五条规定执行。短句，（责任单位：市财政局）")
	want := []string{"加大对中小企业的信贷支持力度"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("splitPhrases = %q, want %q", got, want)
	}
}
