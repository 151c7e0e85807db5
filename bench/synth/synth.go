// Package synth writes synthetic policy documents for scale benchmarks: notices
// in the layout of real ones (issuer, 文号, numbered headings, numbered measures
// with their responsible agencies) whose wording recombines phrases of a real
// corpus read at run time. Generation is deterministic for a seed, and every
// synthetic document is marked (file name and ID prefix "synth-", title
// suffix Marker) so evaluations can tell a distractor from the original.
//
// Clauses are recombined at the phrase level — each sentence joins comma
// phrases taken from different real clauses — so a synthetic clause is
// topically close to real ones (a realistic distractor) but almost never
// repeats a real sentence verbatim, which would make it a legitimate answer.
package synth

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing/fstest"
	"unicode/utf8"

	"policybot/policy"
)

// IDPrefix starts the file name, and so the document ID, of every synthetic document.
const IDPrefix = "synth-"

// Marker ends the title of every synthetic document.
const Marker = "（合成）"

// IsSynthetic reports whether a document ID belongs to a synthetic document.
func IsSynthetic(docID string) bool { return strings.HasPrefix(docID, IDPrefix) }

// Clauses per generated document: uniform in [minClauses, maxClauses].
const (
	minClauses = 8
	maxClauses = 32
)

// issuer is a real issuing body with its region and 文号 prefix (e.g. 京政办发).
type issuer struct {
	Region string
	Name   string
	Prefix string
}

// Material is what the generator recombines, taken from parsed real documents.
type Material struct {
	issuers   []issuer
	headings  []string // level-1 headings without their numbering, e.g. 落实落细财税扶持政策
	titles    []string // clause lead phrases, e.g. 加强信贷支持
	phrases   []string // comma-separated pieces of real clause sentences
	agencies  []string
	topics    []string // subjects for document titles, e.g. 支持中小企业发展
	places    []string // every region of the material, e.g. 北京市海淀区
	measures  []measure
	Documents int // how many real documents were read
}

// measure is a real clause's title and sentences, for adapted documents.
type measure struct {
	title     string
	sentences []string
}

// LoadMaterial parses every policy file under dirs and collects their
// issuers, headings, clause titles, phrases and agencies.
func LoadMaterial(dirs ...string) (*Material, error) {
	var docs []*policy.Document
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(p))
			if d.IsDir() || (ext != ".txt" && ext != ".md" && ext != ".html" && ext != ".htm") {
				return nil
			}
			doc, err := policy.ParseFile(p)
			if err != nil {
				// A file the parser refuses is simply not material.
				return nil
			}
			docs = append(docs, doc)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("synth: load material: %w", err)
		}
	}
	return NewMaterial(docs)
}

// NewMaterial collects material from parsed documents.
func NewMaterial(docs []*policy.Document) (*Material, error) {
	m := &Material{Documents: len(docs)}
	seen := map[string]bool{}
	add := func(list *[]string, kind, s string) {
		if s == "" || seen[kind+s] {
			return
		}
		seen[kind+s] = true
		*list = append(*list, s)
	}
	for _, d := range docs {
		if d.Region != "" && d.Region != policy.RegionNational {
			add(&m.places, "r", d.Region)
		}
		if d.Region != "" && d.Issuer != "" && !strings.Contains(d.Issuer, " ") && d.Kind == policy.KindNotice {
			prefix := ""
			if i := strings.Index(d.Number, "〔"); i > 0 {
				prefix = d.Number[:i]
			}
			key := d.Region + "|" + d.Issuer
			if !seen["i"+key] {
				seen["i"+key] = true
				m.issuers = append(m.issuers, issuer{Region: d.Region, Name: d.Issuer, Prefix: prefix})
			}
		}
		if t := topic(d.Title); t != "" {
			add(&m.topics, "t", t)
		}
		for _, c := range d.Clauses {
			if c.Role != "" {
				continue // a preamble or closing paragraph is no measure
			}
			if len(c.Path) > 1 {
				if h := stripNumbering(c.Path[0]); runeLen(h) >= 4 && runeLen(h) <= 20 {
					add(&m.headings, "h", h)
				}
			}
			if n := runeLen(c.Title); n >= 4 && n <= 16 {
				add(&m.titles, "c", c.Title)
			}
			for _, a := range c.Agencies {
				add(&m.agencies, "a", a)
			}
			for _, p := range splitPhrases(c.Text) {
				add(&m.phrases, "p", p)
			}
			if n := runeLen(c.Title); n >= 4 && n <= 16 {
				if ss := plainSentences(c.Text, c.Title); len(ss) > 0 {
					m.measures = append(m.measures, measure{title: c.Title, sentences: ss})
				}
			}
		}
	}
	switch {
	case len(m.issuers) == 0:
		return nil, errors.New("synth: material: no notice with a region and a single issuer")
	case len(m.phrases) < 100 || len(m.titles) < 10 || len(m.headings) < 5 || len(m.topics) < 3:
		return nil, fmt.Errorf("synth: material too small: %d phrases, %d titles, %d headings, %d topics",
			len(m.phrases), len(m.titles), len(m.headings), len(m.topics))
	}
	if len(m.agencies) == 0 {
		m.agencies = []string{"市发展改革委", "市财政局"}
	}
	m.topics = slices.DeleteFunc(m.topics, func(t string) bool { return m.namesPlace(t) })
	m.issuers = slices.DeleteFunc(m.issuers, func(is issuer) bool { return !m.parsesAs(is) })
	if len(m.issuers) == 0 || len(m.topics) == 0 {
		return nil, fmt.Errorf("synth: material: %d usable issuers, %d topics without a place name", len(m.issuers), len(m.topics))
	}
	return m, nil
}

// namesPlace reports whether s names one of the material's places: such a
// topic would give the document a second jurisdiction.
func (m *Material) namesPlace(s string) bool {
	if strings.Contains(s, "印发") {
		return true
	}
	for _, region := range m.places {
		for _, p := range []string{region, placeName(region)} {
			if core := strings.TrimRight(p, "省市区县"); core != "" && strings.Contains(s, core) {
				return true
			}
		}
	}
	return false
}

// parsesAs reports whether a notice of is gets is.Region from the parser:
// some issuers (昌平区经济和信息化局) name their place too briefly.
func (m *Material) parsesAs(is issuer) bool {
	g := &Generator{m: &Material{issuers: []issuer{is}, headings: m.headings, titles: m.titles,
		phrases: m.phrases, agencies: m.agencies, topics: m.topics[:1]}}
	d := g.Document(0)
	doc, err := policy.Parse(d.Name, d.Data)
	return err == nil && doc.Region == is.Region
}

// topic turns a document title into a subject: 《…》 inside an 印发 notice,
// minus the region and the trailing 若干措施/通知/意见.
func topic(title string) string {
	if i := strings.Index(title, "《"); i >= 0 {
		if j := strings.Index(title[i:], "》"); j > 0 {
			title = title[i+len("《") : i+j]
		}
	}
	for _, suffix := range []string{"的通知", "的若干措施", "若干措施", "的实施意见", "的意见", "实施细则", "的措施", "措施", "办法", "通知", "条例"} {
		title = strings.TrimSuffix(title, suffix)
	}
	if i := strings.LastIndex(title, "关于"); i >= 0 {
		title = title[i+len("关于"):]
	}
	if n := runeLen(title); n < 4 || n > 30 {
		return ""
	}
	return title
}

var numberings = []string{"一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、"}

func stripNumbering(h string) string {
	for _, n := range numberings {
		if strings.HasPrefix(h, n) {
			return strings.TrimSpace(h[len(n):])
		}
	}
	return ""
}

var reReference = regexp.MustCompile(`第[一二三四五六七八九十百零〇0-9]+[章节条款项]`)

// splitPhrases cuts text at commas, semicolons and full stops and keeps
// phrases of a useful length.
func splitPhrases(text string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(text, func(r rune) bool {
		return r == '，' || r == '；' || r == '。' || r == ',' || r == ';' || r == '\n'
	}) {
		p = strings.TrimSpace(p)
		// Headings run into the text (第五章 …) and cross-references (本法第五条)
		// point nowhere in a synthetic document.
		if n := runeLen(p); n >= 6 && n <= 40 && !strings.ContainsAny(p, "（）()：:") && !reReference.MatchString(p) {
			out = append(out, p)
		}
	}
	return out
}

// plainSentences returns the full sentences of text other than its title,
// leaving out those a parser could read as a heading or a numbered item.
func plainSentences(text, title string) []string {
	var out []string
	for _, p := range strings.SplitAfter(strings.ReplaceAll(text, "\n", ""), "。") {
		p = strings.TrimSpace(p)
		if p == "" || strings.TrimSuffix(p, "。") == title || runeLen(p) < 6 ||
			strings.ContainsAny(p, "（）()：:") || reReference.MatchString(p) {
			continue
		}
		if !strings.HasSuffix(p, "。") {
			p += "。"
		}
		out = append(out, p)
	}
	return out
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// Generator writes synthetic documents. Document i depends only on the
// material, the seed and i, so corpora of different sizes share prefixes
// and documents can be generated in any order or in parallel.
type Generator struct {
	m       *Material
	seed    uint64
	adapted bool
}

// NewGenerator returns a generator over m.
func NewGenerator(m *Material, seed uint64) *Generator {
	return &Generator{m: m, seed: seed}
}

// Adapted makes the generator write each measure as one real clause adapted
// the way a regional notice adapts a national one: its title and some of its
// sentences, in order. Such clauses repeat real sentences verbatim, so they
// compete with the originals as equals; the default recombines phrases of
// different clauses instead (see the package comment).
func (g *Generator) Adapted() *Generator {
	return &Generator{m: g.m, seed: g.seed, adapted: true}
}

// Document is one generated file.
type Document struct {
	Name    string // file name, e.g. synth-0000042.txt
	Region  string
	Title   string
	Clauses int // clauses the parser finds in Data
	Data    []byte
}

// Document generates document i (0-based) as a plain-text notice.
func (g *Generator) Document(i int) Document {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	m := g.m
	iss := m.issuers[r.IntN(len(m.issuers))]
	year := 2018 + r.IntN(8)
	subject := pick(r, m.topics)
	measures := placeName(iss.Region) + subject + "若干措施" + Marker
	title := iss.Name + "关于印发《" + measures + "》的通知"
	number := ""
	if iss.Prefix != "" {
		number = fmt.Sprintf("%s〔%d〕%d号", iss.Prefix, year, 1+r.IntN(150))
	}
	n := minClauses + r.IntN(maxClauses-minClauses+1)

	var b strings.Builder
	b.WriteString(title + "\n")
	if number != "" {
		b.WriteString(number + "\n")
	}
	fmt.Fprintf(&b, "\n各有关单位：\n\n现将《%s》印发给你们，请结合实际认真贯彻落实。\n\n%s\n%d年%d月%d日\n\n（此件主动公开）\n\n",
		measures, iss.Name, year, 1+r.IntN(12), 1+r.IntN(28))
	b.WriteString(measures + "\n\n")
	// Sections of 2–5 measures each, numbered 一、 (一) as real notices are.
	written, section := 0, 0
	for written < n && section < len(numberings) {
		per := min(2+r.IntN(4), n-written)
		if section == len(numberings)-1 {
			per = n - written
		}
		fmt.Fprintf(&b, "%s%s\n\n", numberings[section], pick(r, m.headings))
		for j := range per {
			title, body := pick(r, m.titles), ""
			if g.adapted && len(m.measures) > 0 {
				title, body = g.adapt(r)
			} else {
				body = g.body(r)
			}
			fmt.Fprintf(&b, "（%s）%s。%s\n\n", chineseNumber(j+1), title, body)
			if r.IntN(3) > 0 {
				fmt.Fprintf(&b, "（责任单位：%s）\n\n", strings.Join(pickN(r, m.agencies, 1+r.IntN(3)), "、"))
			}
		}
		written += per
		section++
	}
	return Document{
		Name:    fmt.Sprintf("%s%07d.txt", IDPrefix, i),
		Region:  iss.Region,
		Title:   title,
		Clauses: written,
		Data:    []byte(b.String()),
	}
}

// adapt picks a real measure and keeps its title and, in order, each of its
// sentences with probability 3/4 (at least one).
func (g *Generator) adapt(r *rand.Rand) (title, body string) {
	ms := g.m.measures[r.IntN(len(g.m.measures))]
	var b strings.Builder
	for _, s := range ms.sentences {
		if r.IntN(4) > 0 {
			b.WriteString(s)
		}
	}
	if b.Len() == 0 {
		b.WriteString(ms.sentences[r.IntN(len(ms.sentences))])
	}
	return ms.title, b.String()
}

// body is one to three sentences, each of two to four phrases from
// different real clauses.
func (g *Generator) body(r *rand.Rand) string {
	var b strings.Builder
	for range 1 + r.IntN(3) {
		b.WriteString(strings.Join(pickN(r, g.m.phrases, 2+r.IntN(3)), "，"))
		b.WriteString("。")
	}
	return b.String()
}

// placeName is the short form used inside titles: 天津市, 北京市海淀区 → 海淀区; 全国 → nothing.
func placeName(region string) string {
	if region == policy.RegionNational {
		return ""
	}
	for _, sep := range []string{"省", "自治区"} {
		if i := strings.Index(region, sep); i >= 0 && i+len(sep) < len(region) {
			return region[i+len(sep):]
		}
	}
	if i := strings.Index(region, "市"); i >= 0 && i+len("市") < len(region) {
		return region[i+len("市"):]
	}
	return region
}

var digits = []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// chineseNumber writes 1–99 as 一 … 九十九.
func chineseNumber(n int) string {
	switch {
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + digits[n-10]
	default:
		return digits[n/10] + "十" + digits[n%10]
	}
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// pickN picks n distinct elements (fewer when s is shorter).
func pickN(r *rand.Rand, s []string, n int) []string {
	n = min(n, len(s))
	out := make([]string, 0, n)
	for len(out) < n {
		if p := pick(r, s); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Corpus generates documents 0, 1, … until they hold at least clauses
// clauses, and returns them with the exact total.
func (g *Generator) Corpus(clauses int) ([]Document, int) {
	var docs []Document
	total := 0
	for i := 0; total < clauses; i++ {
		d := g.Document(i)
		docs = append(docs, d)
		total += d.Clauses
	}
	return docs, total
}

// FS holds docs as an in-memory file system for retrieval.Ingester.IngestFS.
func FS(docs []Document) fstest.MapFS {
	fsys := make(fstest.MapFS, len(docs))
	for _, d := range docs {
		fsys[d.Name] = &fstest.MapFile{Data: d.Data, Mode: 0o644}
	}
	return fsys
}

// WriteDir writes docs as files into dir, which is created if needed.
func WriteDir(dir string, docs []Document) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: write %s: %w", dir, err)
	}
	for _, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, d.Name), d.Data, 0o644); err != nil {
			return fmt.Errorf("synth: write %s: %w", dir, err)
		}
	}
	return nil
}
