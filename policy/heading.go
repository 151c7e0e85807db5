package policy

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Heading ranks, outermost first. Ranks are fixed rather than learned from
// the order of appearance: a stray "1." in a preamble must not end up above
// the document's 一、 headings.
const (
	rankPart     = iota // an unnumbered part title in front of a numbering restart
	rankChapter         // 第X章 / 第X编
	rankSection         // 第X节
	rankArticle         // 第X条: always a clause, its sub-items are enumerations
	rankCnDun           // 一、
	rankCnParen         // （一）
	rankNum             // 1. 1、 1．
	rankNumParen        // （1）
)

const cnDigits = `一二三四五六七八九十百千零〇两`

var (
	reChapter  = regexp.MustCompile(`^第([` + cnDigits + `]+|[0-9０-９]+)([章编节])(?:\s*)(.*)$`)
	reArticle  = regexp.MustCompile(`^第([` + cnDigits + `]+|[0-9０-９]+)条(?:之[一二三四五六七八九十]+)?(?:\s*)(.*)$`)
	reCnDun    = regexp.MustCompile(`^([` + cnDigits + `]+)[、．]\s*(.*)$`)
	reCnParen  = regexp.MustCompile(`^[（(]\s*([` + cnDigits + `]+)\s*[）)]\s*(.*)$`)
	reNum      = regexp.MustCompile(`^([0-9０-９]{1,3})([.．、])\s*(.*)$`)
	reNumParen = regexp.MustCompile(`^[（(]\s*([0-9０-９]{1,3})\s*[）)]\s*(.*)$`)
)

// heading is a numbered line recognised by matchHeading.
type heading struct {
	rank  int
	num   int
	label string // canonical label: （四）, 第二十三条, 一、, 1.
	rest  string // the line after the label, as printed
}

// matchHeading recognises a numbered heading at the start of a line. It only
// looks at the start: 第十条 inside a sentence is a cross-reference.
func matchHeading(line string) (heading, bool) {
	if m := reChapter.FindStringSubmatch(line); m != nil {
		n := parseNumber(m[1])
		// A chapter line is short: 第三章 融资促进.
		if n <= 0 || utf8.RuneCountInString(m[3]) > 30 || strings.ContainsAny(m[3], "。，；：,;") {
			return heading{}, false
		}
		rank := rankChapter
		if m[2] == "节" {
			rank = rankSection
		}
		return heading{rank: rank, num: n, label: "第" + m[1] + m[2], rest: m[3]}, true
	}
	if m := reArticle.FindStringSubmatch(line); m != nil {
		n := parseNumber(m[1])
		if n <= 0 {
			return heading{}, false
		}
		label := strings.TrimSpace(line[:len(line)-len(m[2])])
		// "第十条规定的…" at a line start is a sentence, not an article: real
		// articles are followed by a space or by their text directly, which
		// never starts with a function word.
		if m[2] != "" && strings.IndexAny(m[2][:utf8.RuneLen([]rune(m[2])[0])], "规的中所至和、，") == 0 && !strings.HasPrefix(line[len(label):], " ") {
			return heading{}, false
		}
		return heading{rank: rankArticle, num: n, label: label, rest: m[2]}, true
	}
	if m := reCnParen.FindStringSubmatch(line); m != nil {
		if n := parseNumber(m[1]); n > 0 {
			return heading{rank: rankCnParen, num: n, label: "（" + m[1] + "）", rest: m[2]}, true
		}
	}
	if m := reNumParen.FindStringSubmatch(line); m != nil {
		if n := parseNumber(m[1]); n > 0 {
			return heading{rank: rankNumParen, num: n, label: "（" + m[1] + "）", rest: m[2]}, true
		}
	}
	if m := reCnDun.FindStringSubmatch(line); m != nil {
		if n := parseNumber(m[1]); n > 0 && m[2] != "" {
			return heading{rank: rankCnDun, num: n, label: m[1] + "、", rest: m[2]}, true
		}
	}
	if m := reNum.FindStringSubmatch(line); m != nil {
		n := parseNumber(m[1])
		// 1.5倍 and 2、3、4月 start with digits but are not labels.
		if n <= 0 || m[3] == "" || startsWithDigit(m[3]) || strings.HasPrefix(m[3], "%") {
			return heading{}, false
		}
		return heading{rank: rankNum, num: n, label: m[1] + m[2], rest: m[3]}, true
	}
	return heading{}, false
}

func startsWithDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return (r >= '0' && r <= '9') || (r >= '０' && r <= '９')
}

// parseNumber reads Arabic (ASCII or full-width) or Chinese numerals up to
// the thousands; -1 when s is not a number.
func parseNumber(s string) int {
	if s == "" {
		return -1
	}
	if startsWithDigit(s) {
		n := 0
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				n = n*10 + int(r-'0')
			case r >= '０' && r <= '９':
				n = n*10 + int(r-'０')
			default:
				return -1
			}
		}
		return n
	}
	total, cur := 0, 0
	for _, r := range s {
		if d, ok := cnDigit[r]; ok {
			cur = d
			continue
		}
		unit := 0
		switch r {
		case '十':
			unit = 10
		case '百':
			unit = 100
		case '千':
			unit = 1000
		default:
			return -1
		}
		if cur == 0 {
			cur = 1 // 十二 = 12
		}
		total += cur * unit
		cur = 0
	}
	return total + cur
}

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// maxFieldLabel is the longest label (in runes) read as a field name before
// a colon; longer text before a colon is a sentence introducing a list.
const maxFieldLabel = 8

// splitLead splits the text after a label into a lead phrase and a body:
// （一）加强财政资金支持。认真落实… → 加强财政资金支持, 认真落实…. A line
// that is short and has no sentence inside is all title; a long first
// sentence is a body without a title.
func splitLead(rest string) (title, body string) {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", ""
	}
	// A field label (受理条件：…, 办理时间：…) is the clause's title: the
	// clause is about it. The text keeps it, as printed, since the label
	// is what makes a short answer (自即日起至…) readable.
	if i := strings.IndexAny(rest, "：:"); i > 0 {
		if n := utf8.RuneCountInString(rest[:i]); n <= maxFieldLabel && !strings.ContainsAny(rest[:i], "，,、。；;（）()《》“”\"") {
			if after := strings.TrimSpace(rest[i+utf8.RuneLen([]rune(rest[i:])[0]):]); after != "" {
				return strings.TrimSpace(rest[:i]), rest
			}
		}
	}
	if i := strings.IndexAny(rest, "。！？!?；;"); i >= 0 {
		lead := strings.TrimSpace(rest[:i])
		after := strings.TrimSpace(rest[i+utf8.RuneLen([]rune(rest[i:])[0]):])
		if n := utf8.RuneCountInString(lead); n > 0 && n <= 30 && !strings.ContainsAny(lead, "，,") {
			return lead, after
		}
		if after == "" && utf8.RuneCountInString(lead) <= 30 {
			return lead, ""
		}
		return "", rest
	}
	if isShortHeading(rest) {
		return rest, ""
	}
	return "", rest
}

// isShortHeading reports whether text reads as a heading rather than a
// sentence: short and without sentence punctuation.
func isShortHeading(s string) bool {
	n := utf8.RuneCountInString(s)
	return n > 0 && n <= 40 && !strings.ContainsAny(s, "。；;：:！？")
}
