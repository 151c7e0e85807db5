// Package segment turns Chinese policy text and questions into search terms.
//
// Decision (measured, recorded here so nobody re-opens it without new figures):
// we do not use a word segmenter such as gse. Loading its dictionary took
// 1.7–3.3 s and 210–280 MB, and word segmentation of policy jargon is brittle
// (无还本续贷, 专精特新 split differently in question and clause). Instead a
// text yields
//   - CJK character bigrams (a lone CJK character between separators yields
//     itself as a unigram), which match whatever the segmentation would be;
//   - the longest domain-dictionary word starting at each position, when it
//     has three or more characters, as an extra term, so that terms of art
//     also count as a whole (a bigram term already covers two-character words);
//   - ASCII words and numbers (after full-width → half-width folding and
//     lower-casing), e.g. apec, 12366.
//
// Questions additionally lose their filler (请问, 怎么办, 有没有 …) and gain
// the terms of synonyms (续贷 → 转贷, 展期 …) at a lower weight. The lexicon
// (seeds/lexicon) is embedded in the binary.
package segment

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize folds full-width ASCII forms and the ideographic space to their
// half-width forms and lower-cases the text, so that （四） and (四), ＡＰＥＣ and
// apec are the same terms.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Terms returns the indexing terms of text with the default lexicon, in text
// order, repeated as often as they occur (term frequency matters).
func Terms(text string) []string { return Default().Terms(text) }

// QueryTerms returns the distinct search terms of a question with the default
// lexicon: its own terms first, then those of synonyms.
func QueryTerms(q string) []string { return Default().QueryTerms(q) }

// Query returns the weighted search terms of a question with the default lexicon.
func Query(q string) []Term { return Default().Query(q) }

// Term is a weighted search term. Weight is 1 for the question's own terms
// and lower for terms added by synonym expansion.
type Term struct {
	Text   string
	Weight float64
}

// SynonymWeight is the weight of a term that only a synonym of a question
// word contributes: a synonym is evidence, but weaker than the asker's word.
const SynonymWeight = 0.5

func isHan(r rune) bool {
	return unicode.Is(unicode.Han, r) || r == '〇'
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9')
}

// stopRunes never take part in a bigram: they are glue in both questions and
// clauses, and 业的, 的贷 … bigrams only add noise.
var stopRunes = map[rune]bool{'的': true, '了': true}

// span is a run of CJK characters (han) or of ASCII letters and digits: its
// text and the byte offset of each rune in it plus the end, so that terms are
// substrings of the text, not fresh allocations.
type span struct {
	text string
	off  []int
	han  bool
}

// spans splits normalised text into runs; everything else separates them.
func spans(text string, fn func(span)) {
	start, han := -1, false
	var off []int
	flush := func(end int) {
		if start >= 0 {
			off = append(off, end-start)
			fn(span{text: text[start:end], off: off, han: han})
			start, off = -1, off[:0]
		}
	}
	for i, r := range text {
		isH := isHan(r) && !stopRunes[r]
		isW := !isH && isWordRune(r)
		if !isH && !isW {
			flush(i)
			continue
		}
		if start >= 0 && isH != han {
			flush(i)
		}
		if start < 0 {
			start, han = i, isH
		}
		off = append(off, i-start)
	}
	flush(len(text))
}

// Terms returns the indexing terms of text (see the package comment).
func (l *Lexicon) Terms(text string) []string {
	text = Normalize(text)
	out := make([]string, 0, len(text)/2+8)
	spans(text, func(s span) { out = l.appendSpanTerms(out, s) })
	return out
}

func (l *Lexicon) appendSpanTerms(out []string, s span) []string {
	n := len(s.off) - 1 // runes
	if !s.han || n == 1 {
		return append(out, s.text)
	}
	for i := 0; i+1 < n; i++ {
		out = append(out, s.text[s.off[i]:s.off[i+2]])
	}
	for i := 0; i+2 < n; i++ {
		if m := l.longest(s, i); m >= 3 {
			out = append(out, s.text[s.off[i]:s.off[i+m]])
		}
	}
	return out
}

// longest returns the length in runes of the longest dictionary word
// starting at rune i of s, or 0.
func (l *Lexicon) longest(s span, i int) int {
	best := 0
	max := min(l.maxLen, len(s.off)-1-i)
	for n := 2; n <= max; n++ {
		if l.words[s.text[s.off[i]:s.off[i+n]]] {
			best = n
		}
	}
	return best
}

// QueryTerms returns the distinct terms of Query.
func (l *Lexicon) QueryTerms(q string) []string {
	ts := l.Query(q)
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Text
	}
	return out
}

// Query returns the weighted, distinct terms of a question: filler removed,
// the question's own terms at weight 1, the terms of their synonyms and of
// the question's intents (see SetIntents) at SynonymWeight.
//
// The result is shared with later calls for the same question: read it, do
// not modify it.
func (l *Lexicon) Query(q string) []Term {
	l.mu.Lock()
	ts, ok := l.queries[q]
	l.mu.Unlock()
	if ok {
		return ts
	}
	ts = l.query(q)
	l.mu.Lock()
	if l.queries == nil || len(l.queries) >= maxCachedQueries {
		l.queries = make(map[string][]Term)
	}
	l.queries[q] = ts
	l.mu.Unlock()
	return ts
}

func (l *Lexicon) query(q string) []Term {
	q = Normalize(q)
	var asked []string // the intents are read before the filler (哪些, 什么) goes
	for _, in := range l.intents {
		if in.re.MatchString(q) {
			asked = append(asked, in.words...)
		}
	}
	q = l.StripFiller(q)
	own := l.Terms(q)
	seen := make(map[string]bool, len(own)*2)
	out := make([]Term, 0, len(own)*2)
	for _, t := range own {
		if !seen[t] {
			seen[t] = true
			out = append(out, Term{Text: t, Weight: 1})
		}
	}
	for _, w := range append(l.synonymsIn(q), asked...) {
		terms := l.Terms(w)
		if strings.HasPrefix(w, "#") { // a term of its own: QuantityTerm
			terms = []string{w}
		}
		for _, t := range terms {
			if !seen[t] {
				seen[t] = true
				out = append(out, Term{Text: t, Weight: SynonymWeight})
			}
		}
	}
	return out
}

// synonymsIn returns the synonyms of the synonym-list words occurring in the
// normalised question q, excluding words q already contains.
func (l *Lexicon) synonymsIn(q string) []string {
	var out []string
	for _, g := range l.groups {
		hit := false
		for _, w := range g {
			if strings.Contains(q, w) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		for _, v := range g {
			if !strings.Contains(q, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// StripFiller replaces the question filler in normalised text q (请问, 如何,
// 有没有 …) by spaces, unless the filler is part of a longer dictionary word
// (公司 in 融资担保公司 stays). Spaces keep bigrams from spanning the gap.
func (l *Lexicon) StripFiller(q string) string {
	rs := []rune(q)
	whole := span{text: q}
	for i := range q {
		whole.off = append(whole.off, i)
	}
	whole.off = append(whole.off, len(q))
	drop := make([]bool, len(rs))
	covered := 0 // rs[:covered] lies inside a dictionary word found earlier
	for i := 0; i < len(rs); i++ {
		if n := l.longest(whole, i); i+n > covered {
			covered = i + n
		}
		if i < covered && !l.fillerAt(rs, i, covered) {
			continue
		}
		for n := l.maxFiller; n >= 1; n-- {
			if i+n <= len(rs) && l.filler[string(rs[i:i+n])] {
				for j := i; j < i+n; j++ {
					drop[j] = true
				}
				break
			}
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if drop[i] {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fillerAt reports whether a filler starting at i may be dropped although
// rs[i:covered] lies in a dictionary word: only when the filler is longer
// than what remains of that word (the word then merely overlaps it).
func (l *Lexicon) fillerAt(rs []rune, i, covered int) bool {
	for n := l.maxFiller; n > covered-i; n-- {
		if i+n <= len(rs) && l.filler[string(rs[i:i+n])] {
			return true
		}
	}
	return false
}

// Synonym returns the canonical form of w's synonym group (the first word
// of its first group) and whether w is in the synonym list at all.
func (l *Lexicon) Synonym(w string) (canonical string, ok bool) {
	if gs, ok := l.groupOf[w]; ok {
		return l.groups[gs[0]][0], true
	}
	return w, false
}

// Canonical returns the canonical form of a synonym-list word (the first
// word of its first group), or w itself.
func (l *Lexicon) Canonical(w string) string {
	if gs, ok := l.groupOf[w]; ok {
		return l.groups[gs[0]][0]
	}
	return w
}

// Canonical returns the canonical form of w in the default lexicon.
func Canonical(w string) string { return Default().Canonical(w) }

// QuantityTerm is the term a clause gets once for each quantity it states
// (30日内, 百分之六, 1%, 2020年2月1日, 三个月), and a question asking for one
// (多少, 几个月, 多久, 什么时候, 怎么算) through the intent list: such a
// question is answered by the clause that gives the figure, not by its
// sibling that only names the topic. It cannot occur in segmented text.
const QuantityTerm = "#量"

var reQuantity = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)?|(?:百分之|千分之|万分之)[零一二三四五六七八九十百千]+|` +
	`[零一二三四五六七八九十百千两半]+(?:个月|个工作日|个季度|周年|日|天|年|倍|万元|亿元|元|周|小时|成)`)

// Quantities counts the quantities normalised text states. Ordinals (第三十二条)
// and 〔2020〕 of a document number are references, not quantities.
func Quantities(text string) int {
	n := 0
	for _, m := range reQuantity.FindAllStringIndex(text, -1) {
		before := text[:m[0]]
		if strings.HasSuffix(before, "第") || strings.HasSuffix(before, "〔") || strings.HasSuffix(before, "[") {
			continue
		}
		n++
	}
	return n
}

// IndexTerms are the terms a clause is stored with: Terms, then QuantityTerm
// once per quantity.
func IndexTerms(text string) []string {
	ts := Terms(text)
	for range Quantities(Normalize(text)) {
		ts = append(ts, QuantityTerm)
	}
	return ts
}
