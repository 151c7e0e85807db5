package llm

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"policybot/retrieval"
)

// ErrUnverified is returned for an answer whose citations or agency names do
// not match the clauses it was given.
var ErrUnverified = errors.New("llm: answer not verified")

// citationRe matches [1], ［2］, 【3】 and lists such as [1,2] or [1、3]. One or
// two digits only: a 文号 written with square brackets (…组[2022]2号) is not a
// citation.
var citationRe = regexp.MustCompile(`[\[［【]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]］】]`)

var citationSepRe = regexp.MustCompile(`\s*[,，、]\s*`)

// Verify checks a model's answer against the hits it was given and returns
// the 0-based indexes of the cited hits in order of first citation. The
// answer must cite at least one clause, cite only clauses 1..len(hits), and
// name no agency other than the responsible agencies (Clause.Agencies) of the
// clauses it cites: neither an agency of another given clause nor anything
// shaped like an agency name (市财政局, 市发展改革委, 人民银行天津分行,
// 天津银保监局, 市税务局, 天津海关, 省财政厅 …). A failed check wraps
// ErrUnverified.
func Verify(text string, hits []retrieval.Hit) (cited []int, err error) {
	for _, m := range citationRe.FindAllStringSubmatch(text, -1) {
		for _, f := range citationSepRe.Split(m[1], -1) {
			n, _ := strconv.Atoi(f) // the regexp admits digits only
			if n < 1 || n > len(hits) {
				return nil, fmt.Errorf("%w: cites [%d] but %d clauses were given", ErrUnverified, n, len(hits))
			}
			if !slices.Contains(cited, n-1) {
				cited = append(cited, n-1)
			}
		}
	}
	if len(cited) == 0 {
		return nil, fmt.Errorf("%w: no citation", ErrUnverified)
	}
	if name := foreignAgency(text, hits, cited); name != "" {
		return nil, fmt.Errorf("%w: names %s, which is not a responsible agency of the cited clauses", ErrUnverified, name)
	}
	return cited, nil
}

// span is a byte range [start, end) of the answer.
type span struct{ start, end int }

func within(spans []span, s, e int) bool {
	for _, c := range spans {
		if c.start <= s && e <= c.end {
			return true
		}
	}
	return false
}

// foreignAgency returns the first agency the answer names that is not a
// responsible agency of a cited clause, or "".
func foreignAgency(text string, hits []retrieval.Hit, cited []int) string {
	allowed := map[string]bool{}
	for _, i := range cited {
		for _, a := range hitAgencies(hits[i]) {
			allowed[a] = true
		}
	}
	// Where the answer names a cited agency, in full or in a usual short form.
	var covered []span
	for a := range allowed {
		for _, v := range agencyVariants(a) {
			covered = append(covered, occurrences(text, v)...)
		}
	}

	// Agencies of the other clauses given are the likeliest wrong names.
	var others []string
	for _, h := range hits {
		for _, a := range hitAgencies(h) {
			if !allowed[a] && !slices.Contains(others, a) {
				others = append(others, a)
			}
		}
	}
	// Longest first, so that the message names 人民银行天津分行 rather than a
	// shorter agency inside it.
	slices.SortFunc(others, func(a, b string) int { return len(b) - len(a) })
	for _, a := range others {
		for _, o := range occurrences(text, a) {
			if !within(covered, o.start, o.end) {
				return a
			}
		}
	}

	// Anything else shaped like an agency name.
	for _, k := range agencyMarks(text) {
		if !within(covered, k.start, k.end) {
			return agencyName(text, k)
		}
	}
	return ""
}

func hitAgencies(h retrieval.Hit) []string {
	var out []string
	for _, a := range slices.Concat(h.Clause.Agencies, h.Clause.LeadAgencies) {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func occurrences(text, sub string) []span {
	var out []span
	for off := 0; sub != ""; {
		i := strings.Index(text[off:], sub)
		if i < 0 {
			break
		}
		out = append(out, span{off + i, off + i + len(sub)})
		off += i + len(sub)
	}
	return out
}

// agencyVariants are the ways an answer may write agency a: in full, without
// a leading 各 or place (天津市财政局 → 市财政局 → 财政局), and with 人民银行
// shortened to 人行.
func agencyVariants(a string) []string {
	out := []string{a}
	add := func(v string) {
		if utf8.RuneCountInString(v) >= 2 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(strings.TrimPrefix(a, "各"))
	for i, r := range a {
		if strings.ContainsRune("省市区县", r) {
			add(a[i:])
			add(a[i+utf8.RuneLen(r):])
		}
	}
	for _, v := range slices.Clone(out) {
		if strings.Contains(v, "人民银行") {
			add(strings.ReplaceAll(strings.ReplaceAll(v, "中国人民银行", "人行"), "人民银行", "人行"))
		}
	}
	return out
}

// agencyMarks finds the endings of agency-shaped names: …局, …委, …委员会,
// …管委会, …分行, …支行, …海关, …厅, skipping ordinary words that end the
// same way (布局, 委托, 大厅 …). Each span covers the ending only.
func agencyMarks(text string) []span {
	runes := []rune(text)
	offs := make([]int, len(runes)+1)
	for i, off := 0, 0; i < len(runes); i++ {
		offs[i] = off
		off += utf8.RuneLen(runes[i])
		offs[i+1] = off
	}
	at := func(i int) rune {
		if i < 0 || i >= len(runes) {
			return 0
		}
		return runes[i]
	}
	var out []span
	for i, r := range runes {
		if !unicode.Is(unicode.Han, at(i-1)) {
			continue // a name has at least one character before its ending
		}
		prev, next := at(i-1), at(i+1)
		end := -1 // rune index just past the ending
		switch r {
		case '局':
			// 电子税务局 is the online tax portal, not an agency.
			if !strings.ContainsRune("布格大全结开出当时僵残骗棋终定赌饭变危胜败平", prev) &&
				!strings.ContainsRune("面部限势促外", next) &&
				!strings.HasSuffix(string(runes[max(i-4, 0):i]), "电子税务") {
				end = i + 1
			}
		case '委':
			switch {
			case next == '员' && at(i+2) == '会':
				end = i + 3
			case next == '会':
				end = i + 2
			case strings.ContainsRune("托屈婉派任身靡实员", next):
			default:
				end = i + 1
			}
		case '厅':
			// 办税服务厅, 网厅 and 进厅 are service halls, not departments.
			if !strings.ContainsRune("大展餐客门舞歌前休营网进", prev) &&
				!strings.HasSuffix(string(runes[max(i-2, 0):i]), "服务") {
				end = i + 1
			}
		case '行':
			// Not 部分行业, 分行业 (by industry).
			if (prev == '分' || prev == '支') && next != '业' && at(i-2) != '部' {
				out = append(out, span{offs[i-1], offs[i+1]})
			}
		case '关':
			if prev == '海' {
				out = append(out, span{offs[i-1], offs[i+1]})
			}
		}
		if end > 0 {
			out = append(out, span{offs[i], offs[end]})
		}
	}
	return out
}

// agencyName is the agency-shaped name ending at mark, for the error message:
// the ending with up to eight characters before it, starting at the last
// place character (市, 省, 区, 县) or after the last verb-like character.
func agencyName(text string, mark span) string {
	before := []rune(text[:mark.start])
	start := len(before)
	for start > 0 && len(before)-start < 8 && unicode.Is(unicode.Han, before[start-1]) {
		start--
	}
	window := before[start:]
	cut := 0
	for i, r := range window {
		switch {
		case strings.ContainsRune("省市区县", r):
			cut = i
		case strings.ContainsRune("向找到由请和与经的在及或联系", r):
			cut = i + 1
		}
	}
	return string(window[cut:]) + text[mark.start:mark.end]
}

// clean turns a model's answer into plain text for a chat bubble: no
// reasoning block, no Markdown emphasis, headings, bullets, quotes or table
// rules, at most
// one blank line between paragraphs.
func clean(s string) string {
	s = thinkRe.ReplaceAllString(s, "")
	s = strings.NewReplacer("**", "", "__", "", "`", "", "*", "").Replace(s)
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		l = markdownLeadRe.ReplaceAllString(l, "")
		if tableRuleRe.MatchString(l) {
			continue
		}
		if strings.HasPrefix(l, "|") {
			// A table row reads as a list of cells.
			cells := strings.Split(strings.Trim(l, "| "), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			l = strings.Join(cells, "，")
		}
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

var (
	thinkRe        = regexp.MustCompile(`(?s)<think>.*?</think>`)
	markdownLeadRe = regexp.MustCompile(`^(?:#{1,6}\s*|>\s*|[-+•·]\s+)+`)
	tableRuleRe    = regexp.MustCompile(`^\|?\s*:?-{3,}`)
)

// normalizeCitations writes every citation as [n], one marker per clause:
// 【1】 → [1], [1，2] → [1][2].
func normalizeCitations(text string) string {
	return citationRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := citationRe.FindStringSubmatch(m)
		var b strings.Builder
		for _, f := range citationSepRe.Split(sub[1], -1) {
			n, _ := strconv.Atoi(f)
			fmt.Fprintf(&b, "[%d]", n)
		}
		return b.String()
	})
}
