package segment

import (
	"strings"
	"unicode/utf8"
)

// Concept is one unit of meaning of a question: a dictionary word, or a run
// of characters between filler, glue characters and dictionary words
// (北京市石景山区在防疫期间对企业社保方面 → 北京市石景山区, 防疫期间, 企业, 社保).
// A clause answers a question by covering its concepts; the bigrams that
// straddle two concepts (区在, 业社 …) are no evidence of anything.
type Concept struct {
	Text  string
	Terms []string // its indexing terms (see Lexicon.Terms), distinct
	// Synonyms holds the distinct terms of each synonym of the concept
	// (社保 → 社会保险费, 养老保险 …), for clauses that use another word.
	Synonyms [][]string
}

// glueRunes separate concepts in a question unless a dictionary word holds
// them (在 in 存在, 有 in 国有企业): prepositions, conjunctions and particles
// that join the subjects of a question but are none themselves.
var glueRunes = map[rune]bool{
	'的': true, '在': true, '对': true, '和': true, '与': true, '及': true, '有': true, '是': true,
	'了': true, '吗': true, '呢': true, '把': true, '被': true, '或': true, '给': true, '向': true,
}

// conceptFiller is question wording that names no subject (方面, 相关 …)
// and is removed on top of Filler when splitting a question into concepts.
var conceptFiller = []string{"方面", "相关", "有关", "关于", "对于", "情况", "具体", "一下", "目前", "现在", "规定",
	// Colloquial asking, which names no subject either (能不能…直接续上).
	"能不能", "可不可以", "行不行", "是不是", "不过来", "直接", "打算", "想要", "能去"}

// Concepts splits a question into its concepts, in order, distinct: filler
// removed, then dictionary words by longest match, the rest split at glue
// characters. A concept of one character is kept only when it is a whole
// span (税 alone), as the index has no unigrams otherwise.
func (l *Lexicon) Concepts(q string) []Concept {
	q = l.StripFiller(Normalize(q))
	for _, f := range conceptFiller {
		q = strings.ReplaceAll(q, f, " ")
	}
	var out []Concept
	seen := map[string]bool{}
	add := func(text string) {
		if text == "" || seen[text] {
			return
		}
		seen[text] = true
		c := Concept{Text: text, Terms: distinct(l.Terms(text))}
		if len(c.Terms) == 0 {
			return
		}
		for _, v := range l.synonymsOf(text) {
			if ts := distinct(l.Terms(v)); len(ts) > 0 {
				c.Synonyms = append(c.Synonyms, ts)
			}
		}
		out = append(out, c)
	}
	spans(q, func(s span) {
		if !s.han {
			add(s.text)
			return
		}
		n := len(s.off) - 1
		if n == 1 {
			add(s.text)
			return
		}
		start := 0 // start of the pending run, in runes
		flush := func(end int) {
			if end-start >= 2 || end-start == 1 && n == 1 {
				add(s.text[s.off[start]:s.off[end]])
			}
		}
		for i := 0; i < n; {
			if m := l.longest(s, i); m >= 2 {
				flush(i)
				add(s.text[s.off[i]:s.off[i+m]])
				i += m
				start = i
				continue
			}
			r, _ := utf8.DecodeRuneInString(s.text[s.off[i]:])
			if glueRunes[r] {
				flush(i)
				start = i + 1
			}
			i++
		}
		flush(n)
	})
	return out
}

// synonymsOf returns the other words of w's synonym groups.
func (l *Lexicon) synonymsOf(w string) []string {
	var out []string
	for _, g := range l.groupOf[w] {
		for _, v := range l.groups[g] {
			if v != w {
				out = append(out, v)
			}
		}
	}
	return out
}

func distinct(ts []string) []string {
	out := ts[:0]
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Concepts splits a question into concepts with the default lexicon.
func Concepts(q string) []Concept { return Default().Concepts(q) }
