package console

import (
	"html/template"
	"strings"
	"unicode/utf8"

	"policybot/segment"
)

// wholeTerms are the words of a question to highlight in its hits: the
// dictionary words the question holds (销项税额, never the 项税额 of 进项税额
// that its bigrams would also mark) and, of the rest of the question, the
// pairs of characters no dictionary word covers (续贷 of 小微企业续贷); then
// the words of synonyms and intents, each whole. Search itself still
// matches on bigrams: this only decides what is marked.
func wholeTerms(q string) []string {
	lex := segment.Default()
	norm := segment.Normalize(lex.StripFiller(q))
	var words, pairs, extra []string
	for _, t := range lex.Query(q) {
		switch {
		case t.Weight < 1:
			extra = append(extra, t.Text)
		case utf8.RuneCountInString(t.Text) >= 3 || !hanOnly(t.Text):
			words = append(words, t.Text)
		default:
			pairs = append(pairs, t.Text)
		}
	}
	covered := make([]bool, len(norm))
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(norm[i:], w)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(w); k++ {
				covered[k] = true
			}
			i += j + len(w)
		}
	}
	out := words
	for _, p := range pairs {
		if utf8.RuneCountInString(p) < 2 || strings.ContainsAny(p, fillerRunes) {
			continue
		}
		for i := 0; ; {
			j := strings.Index(norm[i:], p)
			if j < 0 {
				break
			}
			if !covered[i+j] && !covered[i+j+len(p)-1] {
				out = append(out, p)
				break
			}
			i += j + len(p)
		}
	}
	// A synonym's bigrams inside one of its own words are left to the word.
	for _, t := range extra {
		if strings.HasPrefix(t, "#") {
			continue // a quantity marker, not text
		}
		inside := false
		for _, o := range extra {
			if o != t && utf8.RuneCountInString(o) > utf8.RuneCountInString(t) && strings.Contains(o, t) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, t)
		}
	}
	return out
}

// fillerRunes are characters a highlighted pair never holds: marking 率是
// or 么办 tells the agent nothing.
const fillerRunes = "是的了吗呢么怎什哪如何有没"

func hanOnly(s string) bool {
	for _, r := range s {
		if r < 0x3400 {
			return false
		}
	}
	return true
}

// highlight escapes text and wraps every occurrence of a term in <mark>.
// Matches are found on the raw text and each piece is escaped on its own, so
// a term can never cut through an entity or inject markup.
func highlight(text string, terms []string) template.HTML {
	lower := asciiLower(text)
	marked := make([]bool, len(text))
	for _, t := range terms {
		t = asciiLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(lower[i:], t)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(t); k++ {
				marked[k] = true
			}
			i += j + len(t)
		}
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && marked[j] == marked[i] {
			j++
		}
		if marked[i] {
			b.WriteString("<mark>")
			b.WriteString(template.HTMLEscapeString(text[i:j]))
			b.WriteString("</mark>")
		} else {
			b.WriteString(template.HTMLEscapeString(text[i:j]))
		}
		i = j
	}
	return template.HTML(b.String())
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets intact.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
