package policy

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	// 文号: 津中小企组〔2022〕2号, 国办发[2019]6号, 京政办发【2020】7号.
	reNumber     = regexp.MustCompile(`([\p{Han}]{1,10})\s*[〔\[【［(（]\s*((?:19|20)[0-9]{2})\s*[〕\]】］)）]\s*第?\s*([0-9]{1,4})\s*号`)
	reNumberLine = regexp.MustCompile(`^` + reNumber.String() + `$`)
	reOrder      = regexp.MustCompile(`国务院令第\s*([0-9]{1,4})\s*号`)
	// A title glued to its 文号: …的通知人社部发〔2020〕11号.
	reTitleNumber = regexp.MustCompile(`(通知|意见|措施|办法|决定|公告|规定|细则|方案|批复|函)(` + reNumber.String() + `)$`)
	reParenNumber = regexp.MustCompile(`[（(](` + reNumber.String() + `)[）)]$`)
	reMetaField   = regexp.MustCompile(`^(\[[^\]]{2,8}\]|【[^】]{2,8}】|(索引号|主题分类|发布机构|发文机关|发文日期|成文日期|发布日期|实施日期|废止日期|名\s*称|文\s*号|发文字号|主题词|时\s*效|附加码|有效性|分类)\s*[:：])`)
	reDateCN      = regexp.MustCompile(`((?:19|20)[0-9]{2})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日`)
	reDateHan     = regexp.MustCompile(`([〇零一二三四五六七八九○Ｏ]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日`)
	reDateISO     = regexp.MustCompile(`((?:19|20)[0-9]{2})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})`)
	reOrgLine     = regexp.MustCompile(`(政府|办公厅|办公室|局|委员会|委|部|厅|署|总局|中心|分行|支行|银行|小组|院|会|公司|集团|管委会|党委|省委|市委|领导小组)$`)
	rePunct       = regexp.MustCompile(`[。，；：、,;:？！?!“”"《》]`)
	reCongress    = regexp.MustCompile(`([\p{Han}]{0,12}?)(?:第[一二三四五六七八九十]+届)?(全国人民代表大会|人民代表大会)(常务委员会)?`)
)

// dateLine reports whether a line is only a date (a signature date, or
// "天津市商务局办公室2020年2月15日印发") and returns it as YYYY-MM-DD.
func dateLine(l string) (string, bool) {
	s := strings.TrimSpace(l)
	for _, re := range []*regexp.Regexp{reDateCN, reDateHan} {
		loc := re.FindStringIndex(s)
		if loc == nil {
			continue
		}
		before, after := s[:loc[0]], s[loc[1]:]
		after = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(after, "印发"), "发布"))
		if after != "" || (before != "" && !(strings.HasSuffix(s, "印发") && reOrgLine.MatchString(before))) {
			continue
		}
		d := parseDate(s[loc[0]:loc[1]])
		return d, d != ""
	}
	return "", false
}

// parseDate reads 2022年6月18日 or 二〇二二年六月十八日 into 2022-06-18.
func parseDate(s string) string {
	if m := reDateCN.FindStringSubmatch(s); m != nil {
		return formatDate(parseNumber(m[1]), parseNumber(m[2]), parseNumber(m[3]))
	}
	if m := reDateHan.FindStringSubmatch(s); m != nil {
		y := 0
		for _, r := range m[1] {
			switch r {
			case '〇', '零', '○', 'Ｏ':
				y = y * 10
			default:
				y = y*10 + cnDigit[r]
			}
		}
		return formatDate(y, parseNumber(m[2]), parseNumber(m[3]))
	}
	if m := reDateISO.FindStringSubmatch(s); m != nil {
		return formatDate(parseNumber(m[1]), parseNumber(m[2]), parseNumber(m[3]))
	}
	return ""
}

func formatDate(y, m, d int) string {
	if y < 1949 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// isOrgLine reports whether a line is only the name of one or more bodies,
// as in a signature: short, no sentence punctuation, an issuing body's suffix.
func isOrgLine(l string) bool {
	return utf8.RuneCountInString(l) <= 60 && !rePunct.MatchString(l) && reOrgLine.MatchString(l) &&
		!strings.Contains(l, "关于")
}

// isAddressee reports whether a line is the addressee line of a notice
// (各区人民政府，市政府各委、办、局：).
func isAddressee(l string) bool {
	return (strings.HasSuffix(l, "：") || strings.HasSuffix(l, ":")) && utf8.RuneCountInString(l) <= 120 &&
		!strings.ContainsAny(l, "。")
}

// markTitleBlock marks the title lines at the top: consecutive lines without
// sentence punctuation, joined (gov.cn splits titles over lines) and cut at a
// repetition (a title printed twice is one title).
func (p *parser) markTitleBlock() {
	if p.src.mdTitle != "" {
		return
	}
	lines := p.src.lines
	var title strings.Builder
	pendingOrg := ""
	var orgs []string
	for i := 0; i < len(lines) && i < 20; i++ {
		l := lines[i]
		if p.roles[i] != roleText && p.roles[i] != roleSignature {
			break
		}
		if reNumberLine.MatchString(l) || reMetaField.MatchString(l) {
			p.roles[i] = roleMeta
			if title.Len() > 0 {
				break
			}
			continue
		}
		if _, ok := matchHeading(l); ok || isAddressee(l) || strings.ContainsAny(l, "。") {
			break
		}
		if isOrgLine(l) {
			p.roles[i] = roleMeta
			if title.Len() == 0 {
				pendingOrg += l
				orgs = append(orgs, l)
			}
			continue
		}
		if utf8.RuneCountInString(l) > 80 {
			break
		}
		if m := reParenNumber.FindStringSubmatchIndex(l); m != nil {
			// 省发展改革委印发《…》的通知（黔发改服务〔2020〕111号）
			if p.doc.Number == "" {
				p.doc.Number = normaliseNumber(l[m[2]:m[3]])
			}
			l = l[:m[0]]
		}
		t := title.String()
		if t != "" && (strings.HasPrefix(t, l) || strings.HasPrefix(t, pendingOrg+l)) {
			// The title is printed again; the copy is marked too.
			p.roles[i] = roleTitle
			continue
		}
		if t != "" && !titleContinues(t) {
			break
		}
		if t == "" && len(orgs) > 0 {
			// Joint issuers printed one per line above "X关于…" or a bare "印发…".
			if i := strings.Index(l, "关于"); strings.HasPrefix(l, "印发") || (i > 0 && isOrgLine(l[:i])) {
				title.WriteString(strings.Join(orgs, " "))
				if !strings.HasPrefix(l, "印发") {
					title.WriteString(" ")
				}
			}
		}
		title.WriteString(l)
		p.roles[i] = roleTitle
	}
	p.doc.Title = dedupeTitle(title.String())
}

// titleContinues reports whether a title split over lines goes on: the
// title so far does not yet end like one.
func titleContinues(t string) bool {
	for _, end := range []string{"通知", "意见", "措施", "办法", "决定", "公告", "规定", "细则", "方案", "批复", "条例", "指引", "指南", "说明", "流程", "函", "法", "（暂行）", "(暂行)", "十六条", "十二条"} {
		if strings.HasSuffix(t, end) {
			return false
		}
	}
	return true
}

// dedupeTitle turns a title printed twice in a row (XX) into X.
func dedupeTitle(t string) string {
	if n := len(t); n%2 == 0 && n > 0 && t[:n/2] == t[n/2:] {
		return t[:n/2]
	}
	return t
}

// readMeta fills the document's metadata from the title block, the law
// header and the signature.
func (p *parser) readMeta() {
	d := p.doc
	lines := p.src.lines
	if p.src.mdTitle != "" {
		d.Title = p.src.mdTitle
	}
	if d.Title == "" && len(lines) > 0 {
		// No title block: the first line names the page (often the issuer).
		d.Title = truncate(lines[0], 80)
	}
	if m := reTitleNumber.FindStringSubmatchIndex(d.Title); m != nil {
		d.Number = normaliseNumber(d.Title[m[4]:m[5]])
		d.Title = d.Title[:m[4]]
	}
	if i := strings.Index(d.Title, "号-"); i > 0 && reNumber.MatchString(d.Title[:i+len("号")]) {
		d.Number = normaliseNumber(d.Title[:i+len("号")])
		d.Title = d.Title[i+len("号-"):]
	}

	// The head of the document: lines up to the first clause's heading.
	head := lines
	if n := p.firstBodyLine(); n >= 0 {
		head = lines[:n]
	}
	for i, l := range head {
		if d.Number == "" {
			if m := reNumberLine.FindString(l); m != "" {
				d.Number = normaliseNumber(m)
			} else if strings.HasPrefix(l, "[发文字号]") || strings.HasPrefix(l, "【发文字号】") {
				if i+1 < len(head) && reNumberLine.MatchString(head[i+1]) {
					d.Number = normaliseNumber(head[i+1])
				}
			} else if m := reNumberField.FindStringSubmatch(l); m != nil && reNumberLine.MatchString(m[2]) {
				d.Number = normaliseNumber(m[2])
			}
		}
	}
	if p.src.law {
		p.lawMeta()
	} else {
		p.noticeMeta(head)
	}
	d.Region = p.region()
	d.Kind = p.kind()
	// A 印发 notice wraps the measures it issues, and the measures are the
	// clauses: cite them by the measures' own title when the text prints it
	// (《天津市提升中小企业竞争力若干措施》 rather than the notice's title).
	if m := reIssuedTitle.FindStringSubmatch(d.Title); m != nil && p.printsLine(m[1]) {
		d.Title = m[1]
	}
}

var reRevision = regexp.MustCompile(`(修订|修正|修改)(通过)?[\s　）)]*$`)

var reIssuedTitle = regexp.MustCompile(`印发《([^《》]+)》的通知$`)

// printsLine reports whether a line of the document, title lines included, is exactly s.
func (p *parser) printsLine(s string) bool {
	for _, l := range p.src.lines {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

// firstBodyLine is the index of the first line that is clause text or
// heading: the end of the title block and preamble.
func (p *parser) firstBodyLine() int {
	for i, l := range p.src.lines {
		if p.roles[i] != roleText {
			continue
		}
		if _, ok := matchHeading(l); ok {
			return i
		}
	}
	return -1
}

func normaliseNumber(s string) string {
	m := reNumber.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return strings.TrimSpace(s)
	}
	return m[1] + "〔" + m[2] + "〕" + m[3] + "号"
}

// lawMeta reads a LawRefBook header: one line per passing or amendment, e.g.
// "2017年9月1日 第十二届全国人民代表大会常务委员会第二十九次会议修订".
func (p *parser) lawMeta() {
	d := p.doc
	latest := ""
	for _, l := range p.src.header {
		l = halfDigits(l)
		if m := reDateCN.FindString(l); m != "" {
			if dt := parseDate(m); dt > latest {
				latest = dt
			}
		}
		// The 文号 is the latest version's: a revision printed without
		// one (2016年2月6日 …第一次修订) leaves the text without a number
		// rather than with its 1993 one.
		if ms := reOrder.FindAllStringSubmatch(l, -1); ms != nil {
			d.Number = "国务院令第" + ms[len(ms)-1][1] + "号"
		} else if reRevision.MatchString(l) {
			d.Number = ""
		}
	}
	d.Date = latest
	// The first line names the body that passed it (later lines may be a
	// provincial approval of a city's regulation).
	for _, l := range p.src.header {
		if m := reCongress.FindStringSubmatch(l); m != nil {
			place := m[1]
			if i := strings.LastIndex(place, " "); i >= 0 {
				place = place[i+1:]
			}
			if m[2] == "全国人民代表大会" {
				place = ""
			}
			d.Issuer = place + m[2] + m[3]
			break
		}
		if strings.Contains(l, "国务院") {
			d.Issuer = "国务院"
			break
		}
	}
	if d.Issuer == "" && strings.HasPrefix(d.Title, "中华人民共和国") && strings.HasSuffix(d.Title, "法") {
		d.Issuer = "全国人民代表大会常务委员会"
	}
	if d.Issuer == "" && strings.HasSuffix(d.Title, "条例") && placeOf(d.Title) == "" {
		// Local regulations always carry their place; an administrative
		// regulation without a header is the State Council's.
		d.Issuer = "国务院"
	}
}

// noticeMeta reads issuer and date from the signature (the first dated
// signature; a 印发 line wins), else from the title's "X关于…" and metadata fields.
func (p *parser) noticeMeta(head []string) {
	d := p.doc
	lines := p.src.lines
	sigDate, sigIssuer := "", ""
	for i, l := range lines {
		if p.roles[i] != roleDate {
			continue
		}
		dt, _ := dateLine(l)
		issuer := ""
		for j := i - 1; j >= 0 && p.roles[j] == roleSignature; j-- {
			if isOrgLine(lines[j]) {
				issuer = lines[j]
				if j > 0 && p.roles[j-1] == roleSignature && isOrgLine(lines[j-1]) {
					// Several signing bodies: keep all, one line each.
					k := j - 1
					for k >= 0 && p.roles[k] == roleSignature && isOrgLine(lines[k]) {
						k--
					}
					issuer = strings.Join(lines[k+1:j+1], " ")
				}
				break
			}
		}
		if strings.HasSuffix(l, "印发") {
			sigDate = dt
			if issuer == "" {
				issuer = strings.TrimSpace(l[:reDateCN.FindStringIndex(l)[0]])
			}
			sigIssuer = issuer
			break
		}
		if sigDate == "" {
			sigDate, sigIssuer = dt, issuer
		}
	}
	d.Date = sigDate
	d.Issuer = sigIssuer
	for _, l := range head {
		if d.Date == "" {
			if m := reDateField.FindStringSubmatch(l); m != nil {
				d.Date = parseDate(m[2])
			}
		}
		if d.Issuer == "" {
			if m := reIssuerField.FindStringSubmatch(l); m != nil {
				d.Issuer = m[2]
			}
		}
	}
	if d.Date == "" {
		for i, l := range head {
			if (l == "[成文日期]" || l == "【成文日期】") && i+1 < len(head) {
				d.Date = parseDate(head[i+1])
			}
		}
	}
	if d.Issuer == "" {
		if i := strings.Index(d.Title, "关于"); i > 0 {
			d.Issuer = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(d.Title[:i], "印发"), "转发"))
		}
	}
	if d.Issuer == "" {
		for i, l := range head {
			if p.roles[i] == roleMeta && isOrgLine(l) {
				d.Issuer = l
				break
			}
		}
	}
}

// kind classifies the document: a 中华人民共和国…法 is a law; 条例, 办法 and
// 规定 passed by a congress or by 国务院令 are regulations; the rest are notices.
func (p *parser) kind() string {
	d := p.doc
	t := d.Title
	switch {
	case strings.HasPrefix(t, "中华人民共和国") && strings.HasSuffix(t, "法"):
		return KindLaw
	case (strings.HasSuffix(t, "条例") || strings.HasSuffix(t, "办法") || strings.HasSuffix(t, "规定") || strings.HasSuffix(t, "细则")) &&
		(strings.Contains(d.Issuer, "人民代表大会") || d.Issuer == "国务院" || strings.HasPrefix(d.Number, "国务院令")):
		return KindRegulation
	case strings.HasSuffix(t, "条例") && p.src.law:
		return KindRegulation
	}
	return KindNotice
}

// Metadata fields some pages print as "name：value" lines.
var (
	reNumberField = regexp.MustCompile(`^(文\s*号|发文字号)\s*[:：]\s*(.+)$`)
	reDateField   = regexp.MustCompile(`^(发文日期|成文日期|发布日期)\s*[:：]\s*(.+)$`)
	reIssuerField = regexp.MustCompile(`^(发布机构|发文机关)\s*[:：]\s*(.+)$`)
)
