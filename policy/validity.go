package policy

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Validity is what a document's text says about when it applies, as the
// parser reads it: the facts, each with the sentence it was read from.
// Whether a document is in force on a given day is worked out from these
// facts, the corpus's later documents (a repeal, a revision) and an admin
// override at query time (see retrieval.ValidityIndex), never stored as a
// word: a policy expires at midnight without a re-ingest.
type Validity struct {
	// Effective is the first day in force (YYYY-MM-DD): 自…起施行, a
	// header's 施行 line, 自印发之日起施行 resolved against the document's
	// date; for a revised text, the revision's date when the text only
	// states the original one.
	Effective      string `json:"effective,omitempty"`
	EffectiveBasis string `json:"effective_basis,omitempty"`
	// Expires is the last day in force: 有效期至2020年底 → 2020-12-31,
	// 执行期限自发布之日起3个月 → the day before three months from its date.
	Expires      string `json:"expires,omitempty"`
	ExpiresBasis string `json:"expires_basis,omitempty"`
	// Term is a term counted from the document's own date when the text
	// gives no date to count from (执行期限自发布之日起3个月止 in a page
	// without its date): "3m" or "1y", resolved once the date is known (an
	// admin's correction); ExpiresBasis holds its sentence.
	Term string `json:"term,omitempty"`
	// Repealed is the day the document says it was repealed (a [废止日期]
	// field of a government page).
	Repealed      string `json:"repealed,omitempty"`
	RepealedBasis string `json:"repealed_basis,omitempty"`
	// UntilEvent is the sentence of an end tied to an event the text does
	// not date (有效期至疫情解除): kept as such, not guessed.
	UntilEvent string `json:"until_event,omitempty"`
	// Repeals are the titles of the documents this one repeals (…同时废止),
	// as written, with the sentence.
	Repeals      []string `json:"repeals,omitempty"`
	RepealsBasis string   `json:"repeals_basis,omitempty"`
	// History is a LawRefBook-style header: one line per passing,
	// publication, revision or amendment.
	History []Version `json:"history,omitempty"`
}

// Version is one line of a law's history (2025年3月17日 中华人民共和国国务院令第802号修订).
type Version struct {
	Date   string `json:"date"`             // YYYY-MM-DD
	Action string `json:"action,omitempty"` // 公布, 发布, 通过, 修订, 修正, 施行, 批准
	Number string `json:"number,omitempty"` // 国务院令第802号
	Text   string `json:"text"`
}

// Revised reports whether the history records a revision or amendment after day.
func (v Validity) Revised(after string) bool {
	for _, h := range v.History {
		if (h.Action == "修订" || h.Action == "修正" || h.Action == "修改") && h.Date > after {
			return true
		}
	}
	return false
}

// Statuses of a document (or clause) on a day.
const (
	StatusInForce       = "in_force"
	StatusNotYetInForce = "not_yet_in_force"
	StatusExpired       = "expired"
	StatusRepealed      = "repealed"
	StatusSuperseded    = "superseded"
	StatusUnknown       = "unknown"
)

// ValidityStatus is a document's status on a day, as search hits carry it.
type ValidityStatus struct {
	Status       string `json:"status"`
	Effective    string `json:"effective"`     // YYYY-MM-DD or empty
	Expires      string `json:"expires"`       // YYYY-MM-DD or empty
	SupersededBy string `json:"superseded_by"` // a document ID, or empty
	Basis        string `json:"basis"`         // the sentence the status rests on
	// SupersededByTitle and Since are what an answer says: the
	// replacement's title and the day the status began.
	SupersededByTitle  string `json:"superseded_by_title,omitempty"`
	SupersededByNumber string `json:"superseded_by_number,omitempty"`
	Since              string `json:"since,omitempty"`
}

// Current reports whether the status lets an answer present the text as current law.
func (s *ValidityStatus) Current() bool {
	return s == nil || s.Status == StatusInForce
}

// Day is the day of t in China (UTC+8), as YYYY-MM-DD: what "as of today" means
// for a Chinese policy.
func Day(t time.Time) string {
	return t.In(chinaTime).Format(time.DateOnly)
}

var chinaTime = time.FixedZone("CST", 8*3600)

// ParseDay checks a YYYY-MM-DD day.
func ParseDay(s string) (string, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t.Format(time.DateOnly), nil
}

var (
	// The document itself as a sentence's subject: 本法, 本条例, 本通知,
	// 以上政策措施, 上述措施, 本实施意见 …
	reSelf = regexp.MustCompile(`^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|[0-9]+[.．、]|第[一二三四五六七八九十百零〇]+条)?\s*(?:本|以上|上述|此)(?:[^，。；、,]{0,12}?)(法|条例|规定|办法|细则|通知|意见|措施|政策|方案|决定|通告|公告|规则|解释|条|文件|指引|指南|标准|制度)`)
	// 自2026年1月1日起施行, 自印发之日起实施, 即日起执行, 2020年3月1日起施行.
	reFrom  = regexp.MustCompile(`(?:自|从)?\s*((?:19|20)[0-9]{2}\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日|[〇零一二三四五六七八九○Ｏ]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日|[^，。；,自从]{0,10}?之日|即日|发布|印发|公布)\s*起(?:[^，。；]{0,4}?)(施行|实施|执行|生效)`)
	reStart = regexp.MustCompile(`自\s*((?:19|20)[0-9]{2}\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日)\s*起`)
	// The period of validity: 有效期, 执行期限, 实施期限, 执行期.
	reTerm     = regexp.MustCompile(`(有效期|执行期限|实施期限|执行期|实施期|有效期限)`)
	reUntil    = regexp.MustCompile(`(?:至|到)\s*((?:19|20)[0-9]{2})\s*年\s*(?:([0-9]{1,2})\s*月\s*(?:([0-9]{1,2})\s*日|(底|末))?|(底|末))`)
	reMonths   = regexp.MustCompile(`([0-9]+|[一二三四五六七八九十两半]+)\s*个月`)
	reYears    = regexp.MustCompile(`^[为是]?\s*([0-9]+|[一二三四五两])\s*年`)
	reEvent    = regexp.MustCompile(`疫情|响应|解除|结束|防控期间`)
	reRepeal   = regexp.MustCompile(`(?:同时|予以|宣布|一并)?废止`)
	reQuoted   = regexp.MustCompile(`《([^《》]{2,80})》`)
	reFileDate = regexp.MustCompile(`\(((?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2})\)$`)
	reFileOrd  = regexp.MustCompile(`^guoling-([0-9]{1,4})-((?:19|20)[0-9]{2})-`)
	reAction   = regexp.MustCompile(`(公布|发布|通过|修订|修正|施行|批准|修改)`)
)

// readValidity reads the document's validity from its header, its clauses
// (the closing paragraph of a notice, the last article of a law) and, where
// the text carries no date or number, its file name. It runs after readMeta.
func (p *parser) readValidity(name string) {
	d := p.doc
	v := &d.Validity
	p.fromFileName(name)
	p.pageFields(v)
	for _, l := range p.src.header {
		l = halfDigits(l)
		dt := ""
		if m := reDateCN.FindString(l); m != "" {
			dt = parseDate(m)
		}
		if dt == "" {
			continue
		}
		if strings.Count(l, "）") > strings.Count(l, "（") {
			l = strings.TrimSuffix(l, "）") // 2025年3月17日 …第802号修订） closes a bracket of the page's
		}
		h := Version{Date: dt, Text: l}
		if m := reRevision.FindString(l); m != "" {
			h.Action = reAction.FindString(m)
		} else if ms := reAction.FindAllString(l, -1); ms != nil {
			h.Action = ms[len(ms)-1]
		}
		if m := reOrder.FindStringSubmatch(l); m != nil {
			h.Number = "国务院令第" + m[1] + "号"
		}
		v.History = append(v.History, h)
		if h.Action == "施行" {
			v.Effective, v.EffectiveBasis = dt, l
		}
	}
	for i := range d.Clauses {
		c := &d.Clauses[i]
		for _, s := range sentences(c.Text) {
			s = halfDigits(s)
			self := reSelf.MatchString(s)
			if self && p.readSelf(v, s) {
				continue
			}
			if !self && c.Role != RoleClosing {
				p.readClause(c, s)
			}
			if titles := repealed(s); len(titles) > 0 {
				v.Repeals = append(v.Repeals, titles...)
				if v.RepealsBasis == "" {
					v.RepealsBasis = s
				}
			}
		}
		if strings.Contains(d.Title, "废止") {
			// 国务院关于废止部分行政法规的决定: its list items name what it repeals.
			for _, m := range reQuoted.FindAllStringSubmatch(c.Text, -1) {
				v.Repeals = append(v.Repeals, m[1])
				if v.RepealsBasis == "" {
					v.RepealsBasis = d.Title
				}
			}
		}
	}
	v.Repeals = dedupe(v.Repeals)
	// A revised text that states only the original effective date (本法自
	// 1994年7月1日起施行, revised 2016) is in force, in this wording, from
	// its last revision.
	if last := p.lastRevision(); last != nil && last.Date > v.Effective {
		v.Effective, v.EffectiveBasis = last.Date, last.Text
	}
	// A file named for a later version than its header records (中药品种
	// 保护条例(2018-09-18).md with only its 1992 line): the text is that
	// version, whose 文号 the header does not give.
	if m := reFileDate.FindStringSubmatch(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))); m != nil && p.src.law &&
		len(v.History) > 0 && m[1] > v.History[len(v.History)-1].Date {
		d.Warnings = append(d.Warnings, fmt.Sprintf("validity: the file is the version of %s, later than the header's last line; its 文号 is not known", m[1]))
		d.Date, d.Number = m[1], ""
		if m[1] > v.Effective {
			v.Effective, v.EffectiveBasis = m[1], "文件名所载版本日期 "+m[1]
		}
	}
	if v.Effective == "" && len(d.Date) == len("2006-01-02") {
		basis := "未写明施行日期，按成文日期"
		if p.src.law {
			basis = "未写明施行日期，按通过或公布日期"
		}
		v.Effective, v.EffectiveBasis = d.Date, basis
	}
	if v.Expires != "" && v.Expires < v.Effective {
		d.Warnings = append(d.Warnings, fmt.Sprintf("validity: ends %s before it takes effect %s", v.Expires, v.Effective))
	}
}

// pageFields reads a government page's [实施日期] and [废止日期] fields
// ("----" when empty).
func (p *parser) pageFields(v *Validity) {
	lines := p.src.lines
	for i := 0; i+1 < len(lines) && i < 40; i++ {
		name := strings.Trim(lines[i], "[]【】 ")
		day := parseDate(lines[i+1])
		if day == "" {
			if m := reDateISO.FindString(lines[i+1]); m != "" {
				day = parseDate(m)
			}
		}
		if day == "" {
			continue
		}
		switch name {
		case "实施日期":
			v.Effective, v.EffectiveBasis = day, lines[i]+" "+lines[i+1]
		case "废止日期":
			v.Repealed, v.RepealedBasis = day, lines[i]+" "+lines[i+1]
		}
	}
}

// fromFileName fills what the text lacks from a LawRefBook-style file name:
// 促进个体工商户发展条例(2022-10-01).md gives the date, the corpus's
// guoling-728-2020-….txt the 国务院令 number and year.
func (p *parser) fromFileName(name string) {
	d := p.doc
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	if m := reFileDate.FindStringSubmatch(base); m != nil && d.Date == "" {
		d.Date = m[1]
	}
	if m := reFileOrd.FindStringSubmatch(strings.ToLower(base)); m != nil {
		if d.Number == "" {
			d.Number = "国务院令第" + m[1] + "号"
		}
		if d.Date == "" {
			d.Date = m[2]
		}
	}
}

// lastRevision is the history's last revision or amendment, nil without one.
func (p *parser) lastRevision() *Version {
	h := p.doc.Validity.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Action == "修订" || h[i].Action == "修正" || h[i].Action == "修改" {
			if i == 0 {
				return nil // the first line is the passing itself
			}
			return &h[i]
		}
	}
	return nil
}

// readSelf reads a sentence about the document itself (本办法自…起施行，
// 有效期至…); it reports whether the sentence said anything about validity.
func (p *parser) readSelf(v *Validity, s string) bool {
	found := false
	start := ""
	if m := reFrom.FindStringSubmatch(s); m != nil {
		start = p.resolveStart(m[1])
		if start != "" && v.Effective == "" {
			v.Effective, v.EffectiveBasis = start, s
		}
		found = found || start != ""
	} else if m := reStart.FindStringSubmatch(s); m != nil && reTerm.MatchString(s) {
		// 执行期为自2020年2月1日起至2020年6月30日止: the term's first day.
		start = parseDate(m[1])
		if start != "" && v.Effective == "" {
			v.Effective, v.EffectiveBasis = start, s
		}
	}
	end, term, event := p.readTerm(s, start, v.Effective)
	if end != "" && v.Expires == "" {
		v.Expires, v.ExpiresBasis = end, s
		found = true
	} else if term != "" && v.Expires == "" && v.Term == "" {
		v.Term, v.ExpiresBasis = term, s
		found = true
	} else if event && v.UntilEvent == "" && v.Expires == "" {
		v.UntilEvent = s
		found = true
	}
	return found
}

// readClause reads a measure's own term (实施期限至2020年12月31日) into the clause.
func (p *parser) readClause(c *Clause, s string) {
	loc := reTerm.FindStringIndex(s)
	if loc == nil || strings.ContainsAny(s[:loc[0]], "证照") || strings.Contains(s[:loc[0]], "合同") ||
		strings.Contains(s[:loc[0]], "许可") || strings.Contains(s[:loc[0]], "登记") {
		return
	}
	end, _ := p.readEnd(s, "", "")
	if end == "" {
		return
	}
	if c.Validity == nil {
		c.Validity = &Validity{}
	}
	if c.Validity.Expires == "" {
		c.Validity.Expires, c.Validity.ExpiresBasis = end, s
	}
}

// readEnd reads the last day of a term stated in s: a date, a number of
// months or years from start (or from effective, or the document's date), or
// an event (reported, not dated).
func (p *parser) readEnd(s, start, effective string) (end string, event bool) {
	end, _, event = p.readTerm(s, start, effective)
	return end, event
}

// readTerm is readEnd that also returns a term it could not count for want
// of a start ("3m", "1y").
func (p *parser) readTerm(s, start, effective string) (end, term string, event bool) {
	loc := reTerm.FindStringIndex(s)
	if loc == nil {
		if m := reUntil.FindStringSubmatchIndex(s); m != nil && strings.Contains(s[m[1]:], "止") && strings.Contains(s[:m[0]], "起") {
			// 自2020年2月1日起至2020年6月30日止.
			return untilDate(s[m[0]:m[1]]), "", false
		}
		return "", "", false
	}
	tail := s[loc[1]:]
	if m := reUntil.FindStringIndex(tail); m != nil && !reEvent.MatchString(tail[:m[0]]) {
		return untilDate(tail[m[0]:m[1]]), "", false
	}
	from := start
	if from == "" {
		from = effective
	}
	if from == "" && len(p.doc.Date) == len("2006-01-02") {
		from = p.doc.Date
	}
	if m := reMonths.FindStringSubmatchIndex(tail); m != nil && !reEvent.MatchString(tail[:m[0]]) {
		if n := countOf(tail[m[2]:m[3]]); n > 0 {
			if from == "" {
				return "", fmt.Sprintf("%dm", n), false
			}
			return addPeriod(from, 0, n), "", false
		}
	}
	if m := reYears.FindStringSubmatch(tail); m != nil {
		if n := countOf(m[1]); n > 0 {
			if from == "" {
				return "", fmt.Sprintf("%dy", n), false
			}
			return addPeriod(from, n, 0), "", false
		}
	}
	return "", "", reEvent.MatchString(tail)
}

// EndOfTerm counts a Term ("3m", "1y") from the day from: its last day.
func EndOfTerm(from, term string) string {
	var n int
	var unit byte
	if _, err := fmt.Sscanf(term, "%d%c", &n, &unit); err != nil || n <= 0 {
		return ""
	}
	switch unit {
	case 'm':
		return addPeriod(from, 0, n)
	case 'y':
		return addPeriod(from, n, 0)
	}
	return ""
}

// resolveStart turns the start of 自…起施行 into a day: a date as written,
// or the document's own date for 印发之日, 公布之日, 发布之日, 即日.
func (p *parser) resolveStart(s string) string {
	if d := parseDate(s); d != "" {
		return d
	}
	if len(p.doc.Date) == len("2006-01-02") {
		return p.doc.Date
	}
	return ""
}

// untilDate reads 至2020年底, 至2020年6月底, 至2020年6月30日 as the last day.
func untilDate(s string) string {
	m := reUntil.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	y := parseNumber(m[1])
	switch {
	case m[2] == "":
		return formatDate(y, 12, 31)
	case m[3] != "":
		return formatDate(y, parseNumber(m[2]), parseNumber(m[3]))
	default:
		mo := parseNumber(m[2])
		if mo < 1 || mo > 12 {
			return ""
		}
		last := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC)
		return last.Format(time.DateOnly)
	}
}

// addPeriod is the last day of a term of years and months starting on from.
func addPeriod(from string, years, months int) string {
	t, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return ""
	}
	return t.AddDate(years, months, -1).Format(time.DateOnly)
}

// countOf reads 3, 三, 两, 十二 (半 is not a whole count).
func countOf(s string) int {
	if s == "半" {
		return 0
	}
	return parseNumber(s)
}

// repealed returns the titles a sentence repeals: 《…》同时废止, 《…》、《…》予以废止.
func repealed(s string) []string {
	loc := reRepeal.FindStringIndex(s)
	if loc == nil || strings.Contains(s[:loc[0]], "不得") {
		return nil
	}
	head := s[:loc[0]]
	var out []string
	for _, m := range reQuoted.FindAllStringSubmatchIndex(head, -1) {
		after := head[m[1]:]
		// 《…》第三条同时废止 repeals an article, not the document.
		if strings.HasPrefix(after, "第") {
			continue
		}
		out = append(out, head[m[2]:m[3]])
	}
	return out
}

// sentences splits a clause's text at 。 and line ends, keeping each
// sentence's punctuation out.
func sentences(text string) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		for _, s := range strings.Split(para, "。") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// halfDigits turns full-width digits (２０１３年１月１日) into ASCII ones.
func halfDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '０' && r <= '９' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
