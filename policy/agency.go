package policy

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

const noteKeys = `责任单位|牵头单位|配合单位|责任部门|牵头部门|配合部门|对接部门|主责单位|协办单位|参与单位`

var (
	// （责任单位：…）, (责任单位:…), （牵头单位：…；配合单位：…）; one level of
	// nested brackets is allowed inside.
	reKeyedNote = regexp.MustCompile(`[（(]\s*(?:` + noteKeys + `)\s*[:：](?:[^（）()]|[（(][^（）()]*[）)])*[）)]`)
	// 责任单位：… as a line of its own.
	reKeyedLine = regexp.MustCompile(`^(?:` + noteKeys + `)\s*[:：]`)
	// gov.cn: （人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同） at a paragraph's end.
	reDutyNote    = regexp.MustCompile(`[（(]([^（）()]{2,200}?)(?:按职责分工负责|按职责分别负责|分别负责|共同负责|负责)(?:[。．.，,]\s*(列第一位者为牵头单位)[^（）()]*)?[）)]\s*[。.]?$`)
	reNoteKey     = regexp.MustCompile(`^\s*(` + noteKeys + `|联系人|联系电话|电话|联系方式|地址|邮箱)\s*[:：]\s*`)
	reAgencySplit = regexp.MustCompile(`[、，,；;]+`)
	// Names of bodies end like this; a note whose items do not is an ordinary sentence.
	reOrgSuffix = regexp.MustCompile(`(局|部|委|会|厅|办|院|行|府|署|室|所|处|科|站|队|单位|部门|机构|中心|集团|公司|海关|政府|总局|银行|分行|支行|小组|组织|企业|协会|联合会|园区|区|县|市|省|街道|乡镇|镇)$`)
)

// hasAgencyNote reports whether a paragraph carries an agency note.
func hasAgencyNote(s string) bool {
	return reKeyedNote.MatchString(s) || reKeyedLine.MatchString(s) || dutyNote(s) != nil
}

// extractAgencies cuts agency notes out of a clause's paragraphs and returns
// the remaining text, the agencies (lead first) and the lead agencies.
func (p *parser) extractAgencies(paras []string) (string, []string, []string) {
	var kept, agencies, lead []string
	seen := map[string]bool{}
	add := func(names []string, isLead bool) {
		for _, a := range names {
			if seen[a] {
				if isLead && !contains(lead, a) {
					lead = append(lead, a)
				}
				continue
			}
			seen[a] = true
			agencies = append(agencies, a)
			if isLead {
				lead = append(lead, a)
			}
		}
	}
	for _, para := range paras {
		if reKeyedLine.MatchString(para) {
			l, o := parseKeyed(para)
			add(l, true)
			add(o, false)
			continue
		}
		para = reKeyedNote.ReplaceAllStringFunc(para, func(note string) string {
			inner := note[len(firstRune(note)) : len(note)-len(lastRune(note))]
			l, o := parseKeyed(inner)
			add(l, true)
			add(o, false)
			return ""
		})
		if d := dutyNote(para); d != nil {
			if d.leadFirst || p.leadFirst {
				add(d.names[:1], true)
				add(d.names[1:], false)
			} else {
				add(d.names, false)
			}
			para = para[:d.start]
		}
		if para = strings.TrimSpace(para); para != "" {
			kept = append(kept, para)
		}
	}
	// Lead agencies come first.
	if len(lead) > 0 {
		ordered := append([]string{}, lead...)
		for _, a := range agencies {
			if !contains(lead, a) {
				ordered = append(ordered, a)
			}
		}
		agencies = ordered
	}
	return strings.Join(kept, "\n"), agencies, lead
}

// parseKeyed reads "牵头单位：A；配合单位：B、C" (or "责任单位：A、B") into
// lead and other agencies; contact details are ignored.
func parseKeyed(s string) (lead, other []string) {
	key := ""
	for _, seg := range reSemicolon.Split(s, -1) {
		if m := reNoteKey.FindStringSubmatch(seg); m != nil {
			key = m[1]
			seg = seg[len(m[0]):]
		}
		switch key {
		case "联系人", "联系电话", "电话", "联系方式", "地址", "邮箱":
			continue
		}
		names := splitAgencies(seg)
		if strings.HasPrefix(key, "牵头") {
			lead = append(lead, names...)
		} else {
			other = append(other, names...)
		}
	}
	return lead, other
}

func splitAgencies(s string) []string {
	var out []string
	for _, a := range reAgencySplit.Split(s, -1) {
		a = strings.TrimSpace(strings.Trim(a, "。. "))
		a = strings.TrimSuffix(a, "等")
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

type duty struct {
	start     int // byte offset where the note starts
	names     []string
	leadFirst bool
}

// dutyNote finds a gov.cn style （A、B负责） note closing a paragraph. Every
// item must look like the name of a body, so an ordinary parenthesis ending
// in 负责 is left alone.
func dutyNote(s string) *duty {
	m := reDutyNote.FindStringSubmatchIndex(s)
	if m == nil {
		return nil
	}
	inner := strings.TrimPrefix(s[m[2]:m[3]], "由")
	names := splitAgencies(inner)
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if utf8.RuneCountInString(n) > 25 || !reOrgSuffix.MatchString(n) || strings.ContainsAny(n, "。：:") {
			return nil
		}
	}
	return &duty{start: m[0], names: names, leadFirst: m[4] >= 0}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

func lastRune(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[len(s)-n:]
}

var reSemicolon = regexp.MustCompile(`[；;]`)
