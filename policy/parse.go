// The parser turns a policy document — plain text, Markdown (the LawRefBook
// law files) or an HTML page, in UTF-8 or GBK/GB18030 — into a Document of
// citable clauses.
//
// Approach, in passes over lines rather than one grammar, because real files
// mix website chrome, wrapped titles and inconsistent numbering:
//
//  1. decode: detect the encoding, drop a BOM, normalise line endings; HTML is
//     reduced to block-structured text and Markdown heading marks are removed.
//  2. clean: trim each line and drop website chrome (a list of patterns).
//  3. mark: date lines, the signature lines above them, and the title block
//     at the top are found first so they never become clause text.
//  4. structure: numbered lines are headings with a fixed rank (第X章 > 第X节 >
//     第X条 > 一、 > （一） > 1. > （1））; a heading is accepted only when its number
//     continues the numbering of its level, so 2、3、4月 or a cross-reference is
//     text. Headings form a tree; the clauses are the nodes that have a body. A
//     heading carrying its own body (an article, or 四、在疫情防控期间…) is a
//     clause whose lower-ranked items are enumerations kept in its text.
//     Attachments (附件…) are parsed the same way, each under a part named
//     附件：<its title>, when their numbered items are measures (a forwarding
//     notice's real content); forms and contact lists are left out.
//  5. finish: agency notes are cut out of each clause's text into Agencies,
//     closing remarks after the last clause are dropped, and the metadata
//     (title, 文号, issuer, date, region, kind) is read from the title block,
//     the law header and the signature.
//
// Full-width and ASCII punctuation are equivalent when matching; clause text
// keeps the characters as printed and labels are canonical (（四）).
package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseFile reads and parses one document file.
func ParseFile(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	doc, err := Parse(filepath.Base(path), data)
	if err != nil {
		return nil, err
	}
	doc.Source = path
	return doc, nil
}

// Parse parses one document; name is its file name, which gives the document
// ID and, by extension (.md, .txt, .html, .htm), the format.
func Parse(name string, data []byte) (*Document, error) {
	text, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	ext := strings.ToLower(filepath.Ext(name))
	isHTML := ext == ".html" || ext == ".htm" || (ext != ".md" && looksLikeHTML(text))
	if isHTML {
		text = htmlToText(text)
	}
	isMarkdown := !isHTML && (ext == ".md" || strings.Contains(text, "<!-- INFO END -->") || strings.HasPrefix(strings.TrimSpace(text), "# "))

	src := splitLines(text, isMarkdown)
	if len(src.lines) == 0 {
		return nil, fmt.Errorf("parse %s: %w", name, ErrEmpty)
	}
	doc := &Document{ID: DocumentID(name), Source: name}
	p := &parser{doc: doc, src: src}
	p.run()
	p.markTruncated()
	p.readValidity(name)
	if len(doc.Clauses) == 0 {
		return nil, fmt.Errorf("parse %s: %w", name, ErrNoClauses)
	}
	return doc, nil
}

// DocumentID derives a document's ID from its file name: the base name
// without extension, lower-cased, kept as it reads — Chinese names stay
// Chinese (上海市价格管理条例), parentheses and other punctuation stay — with
// each run of characters that cannot sit in an ID (spaces, control
// characters, '#' which separates a clause's number, and the characters
// that need escaping in a URL or a path: / \ ? % " ' < > & `) replaced by
// one '-'. Names that differ only in those characters share an ID; the
// ingester tells such files apart (see Ingester). An empty name gives "doc".
func DocumentID(name string) string {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.ToValidUTF8(base, "-")
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		if idUnsafe(r) {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	id := strings.TrimRight(b.String(), "-")
	id = strings.TrimLeft(id, ".")
	if id == "" {
		return "doc"
	}
	return id
}

func idUnsafe(r rune) bool {
	if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar || !unicode.IsPrint(r) {
		return true
	}
	return strings.ContainsRune("#/\\?%\"'<>&`", r)
}

// source is the cleaned text of a document as lines, with what the format
// itself says about it.
type source struct {
	lines   []string
	mdTitle string   // the Markdown "# " title
	header  []string // Markdown lines before <!-- INFO END -->: dates of passing and amendment
	law     bool     // a LawRefBook file: metadata comes from the header
	cutTail bool     // site chrome follows the text's last line, or is glued to it (…绿色制造工 【政府扶持政策】相关法规)
}

func splitLines(text string, markdown bool) source {
	var s source
	raw := strings.Split(text, "\n")
	if markdown {
		if end := indexOf(raw, "<!-- INFO END -->"); end >= 0 {
			s.law = true
			for _, l := range raw[:end] {
				l = cleanLine(l)
				if strings.HasPrefix(l, "# ") && s.mdTitle == "" {
					s.mdTitle = strings.TrimSpace(l[2:])
					continue
				}
				if l != "" {
					s.header = append(s.header, l)
				}
			}
			raw = raw[end+1:]
		}
	}
	for _, l := range raw {
		l = cleanLine(l)
		if markdown {
			if strings.HasPrefix(l, "#") {
				h := strings.TrimSpace(strings.TrimLeft(l, "#"))
				if strings.HasPrefix(l, "# ") && s.mdTitle == "" {
					s.mdTitle = h
					continue
				}
				l = h
			}
			if strings.HasPrefix(l, "<!--") && strings.HasSuffix(l, "-->") {
				continue
			}
		}
		stripped := stripChrome(l)
		switch {
		case stripped != "":
			s.lines = append(s.lines, stripped)
			// Site chrome glued to the text's last line: the page was cut there.
			s.cutTail = stripped != l
		case l != "":
			s.cutTail = true // site chrome follows the text
		}
	}
	return s
}

func indexOf(lines []string, want string) int {
	for i, l := range lines {
		if strings.TrimSpace(l) == want {
			return i
		}
	}
	return -1
}

// Line roles decided before the structure pass.
const (
	roleText = iota
	roleTitle
	roleMeta      // 文号, 索引号 and similar fields of the title block
	roleSignature // issuer lines of a signature, 代章, 特此通知
	roleDate      // a line that is only a date
)

type parser struct {
	doc   *Document
	src   source
	roles []int

	leadFirst bool // the document says 列第一位者为牵头单位
	// firstHeading is the line of the document's first numbered heading
	// (-1: none yet); the lines above it are its title block and preamble.
	firstHeading int
}

func (p *parser) run() {
	lines := p.src.lines
	p.roles = make([]int, len(lines))
	p.markSignatures()
	p.markTitleBlock()
	for _, l := range lines {
		if strings.Contains(l, "列第一位者为牵头单位") {
			p.leadFirst = true
		}
	}
	p.firstHeading = -1
	root, next := p.buildTree(0, len(lines))
	if len(root.children) == 0 {
		p.paragraphs(root)
	} else if p.firstHeading > 0 {
		root.children = append(p.preamble(p.firstHeading), root.children...)
	}
	if closing := p.trimTrailing(root); closing != nil {
		root.children = append(root.children, closing)
	}
	for next < len(lines) {
		var att *node
		att, next = p.attachment(next)
		if att != nil {
			root.children = append(root.children, att)
		}
	}
	p.emit(root)
	p.readMeta()
}

var (
	reClosing  = regexp.MustCompile(`^(以上|上述|本通知|本意见|本措施|本政策|本办法|本细则|本实施|本规定|本方案|特此|各地|各级|各单位|各有关|国家、|国家和|如国家|中央、|此前|执行中|请各)`)
	reFormula  = regexp.MustCompile(`^特此(通知|公告|函告|批复)[。.]?$`)
	reAttach   = regexp.MustCompile(`^附件\s*[0-9０-９一二三四五六七八九十]*\s*[:：.．]?`)
	reDaizhang = regexp.MustCompile(`^[（(][^（）()]{2,40}(代章|印章|盖章)[）)]$`)
)

// markSignatures marks date lines and the issuer lines just above them.
func (p *parser) markSignatures() {
	lines := p.src.lines
	for i, l := range lines {
		if reFormula.MatchString(l) {
			p.roles[i] = roleSignature
			continue
		}
		if _, ok := dateLine(l); !ok {
			continue
		}
		p.roles[i] = roleDate
		for j := i - 1; j >= 0 && j >= i-6; j-- {
			if p.roles[j] != roleText || !(isOrgLine(lines[j]) || reDaizhang.MatchString(lines[j])) {
				break
			}
			p.roles[j] = roleSignature
		}
	}
}

// node is a heading and what follows it up to the next heading.
type node struct {
	h        heading
	part     string // set on part nodes (unnumbered title before a numbering restart)
	title    string
	inline   string   // body printed on the heading line
	body     []string // following paragraphs
	isBody   bool     // the heading line is itself a clause
	children []*node
	last     map[int]int // highest number seen per rank among children
	role     string      // Clause.Role of the node's clause
}

func (n *node) pathElem() string {
	switch {
	case n.part != "":
		return n.part
	case n.h.rank == rankChapter || n.h.rank == rankSection:
		if n.h.rest != "" {
			return n.h.label + " " + n.h.rest
		}
		return n.h.label
	case n.title != "":
		return n.h.label + n.title
	}
	return n.h.label
}

// buildTree sorts lines[from:to] into a heading tree. Lines before the
// first heading (title block, addressee, preamble, a wrapping notice) are not
// clauses. It stops at an attachment line (附件…) after the first heading and
// returns that line's index, or to.
func (p *parser) buildTree(from, to int) (*node, int) {
	lines := p.src.lines
	root := &node{h: heading{rank: -1}, last: map[int]int{}}
	stack := []*node{root}
	global := map[int]int{} // last number per rank in the whole document, for numbering continued across parents
	topRank := -1
	seenHeading := false
	var prevText *struct {
		n   *node
		idx int
	}
	for i := from; i < to; i++ {
		l := lines[i]
		if p.roles[i] == roleDate || p.roles[i] == roleSignature {
			continue
		}
		cur := stack[len(stack)-1]
		// In the document an attachment line counts after the first
		// heading (before it, 附件 may be the preamble's word); inside an
		// attachment any line starting the next one does.
		if (seenHeading || from > 0) && reAttach.MatchString(l) {
			return root, i
		}
		if h, ok := matchHeading(l); ok && p.roles[i] != roleTitle {
			// A clause that is a body by itself keeps lower-ranked items as
			// enumerations (an article's （一）（二）).
			if cur != root && cur.isBody && h.rank > cur.h.rank {
				cur.body = append(cur.body, l)
				prevText = nil
				continue
			}
			depth := len(stack)
			for depth > 1 && stack[depth-1].h.rank >= h.rank {
				depth--
			}
			parent := stack[depth-1]
			prev := parent.last[h.rank]
			accept := false
			restart := false
			switch {
			case prev == 0:
				accept = h.num == 1 || h.num == global[h.rank]+1
			case h.num > prev && h.num <= prev+5:
				accept = true
			case h.num == 1 && h.rank == topRank && prevText != nil && isShortHeading(lines[prevText.idx]):
				accept, restart = true, true
			}
			if h.rank == rankArticle && global[h.rank] > 0 && h.num <= global[h.rank] {
				accept = false
			}
			if accept {
				if restart {
					// The short line before the restart names a new part.
					pn := prevText.n
					pn.body = pn.body[:len(pn.body)-1]
					part := &node{h: heading{rank: rankPart}, part: lines[prevText.idx], last: map[int]int{}}
					root.children = append(root.children, part)
					stack = []*node{root, part}
					parent = part
					depth = 2
					global = map[int]int{}
				}
				if topRank < 0 {
					topRank = h.rank
				}
				n := &node{h: h, last: map[int]int{}}
				n.title, n.inline = splitLead(h.rest)
				switch h.rank {
				case rankChapter, rankSection:
					n.title, n.inline = h.rest, ""
				case rankArticle:
					// An article has no lead phrase: its whole text is the body.
					n.title, n.inline = "", strings.TrimSpace(h.rest)
					n.isBody = true
				default:
					n.isBody = h.rank == rankArticle || n.inline != ""
				}
				parent.children = append(parent.children, n)
				parent.last[h.rank] = h.num
				global[h.rank] = h.num
				stack = append(stack[:depth], n)
				if !seenHeading && from == 0 && p.firstHeading < 0 {
					p.firstHeading = i
				}
				seenHeading = true
				prevText = nil
				continue
			}
		}
		if !seenHeading {
			continue // preamble
		}
		cur.body = append(cur.body, l)
		prevText = &struct {
			n   *node
			idx int
		}{cur, i}
	}
	return root, to
}

// Attachments whose numbered items are measures are parsed like the
// document itself: a forwarding notice (转发…的通知) often carries the real
// measures only in its attachment. Forms, tables and contact lists are not:
// an attachment counts when it has attachMinClauses clauses or more and
// most of them are sentences rather than form fields.
const (
	attachMinClauses = 2
	attachMinRunes   = 30
)

// attachment parses the attachment starting at the 附件 line at index at,
// up to the next attachment line. It returns the attachment as a part node
// titled 附件：<its title> (nil when it holds no measures) and where the next
// attachment starts.
func (p *parser) attachment(at int) (*node, int) {
	lines := p.src.lines
	sub, next := p.buildTree(at+1, len(lines))
	if closing := p.trimTrailing(sub); closing != nil {
		sub.children = append(sub.children, closing)
	}
	var total, sentences int
	var count func(n *node)
	count = func(n *node) {
		for _, c := range n.children {
			if body := strings.Join(append([]string{c.inline}, c.body...), ""); body != "" {
				total++
				if utf8.RuneCountInString(body) >= attachMinRunes {
					sentences++
				}
			}
			count(c)
		}
	}
	count(sub)
	if total < attachMinClauses || sentences*2 <= total {
		p.doc.Warnings = append(p.doc.Warnings, fmt.Sprintf("attachment at line %d has no measures, not parsed: %s", at+1, truncate(lines[at], 30)))
		return nil, next
	}
	title := p.attachmentTitle(at, next)
	sub.h = heading{rank: rankPart}
	sub.part = "附件：" + title
	if title == "" {
		sub.part = "附件"
	}
	return sub, next
}

// attachmentTitle is what the 附件 line names after its number (附件1：…
// 办法) or else the title lines the attachment starts with, which a long
// title wraps over (商务部办公厅关于… / 加强…的通知).
func (p *parser) attachmentTitle(at, end int) string {
	lines := p.src.lines
	rest := strings.TrimSpace(lines[at][len(reAttach.FindString(lines[at])):])
	rest = strings.Trim(rest, "《》")
	if rest != "" && utf8.RuneCountInString(rest) <= 60 {
		return rest
	}
	var title strings.Builder
	for i := at + 1; i < end && i <= at+3; i++ {
		l := lines[i]
		if _, ok := matchHeading(l); ok || !isShortHeading(l) || strings.HasPrefix(l, "（") || strings.HasPrefix(l, "(") {
			break
		}
		title.WriteString(l)
	}
	return title.String()
}

// paragraphs makes one node per paragraph for a document without numbering;
// short heading-like lines become the title of the paragraph after them.
func (p *parser) paragraphs(root *node) {
	var title []string
	for i, l := range p.src.lines {
		if p.roles[i] != roleText || isAddressee(l) {
			continue
		}
		if isShortHeading(l) && utf8.RuneCountInString(l) <= 25 {
			title = append(title, l)
			continue
		}
		n := &node{h: heading{rank: rankPart}, body: []string{l}}
		if len(title) > 0 {
			n.title = strings.Join(title, " ")
			n.part = n.title
			title = nil
		}
		root.children = append(root.children, n)
	}
	if len(title) > 0 && len(root.children) == 0 {
		// Only short lines: each is its own clause rather than nothing.
		for _, t := range title {
			root.children = append(root.children, &node{h: heading{rank: rankPart}, body: []string{t}})
		}
	}
}

// preambleMinRunes is the length from which a paragraph above the first
// numbered heading is kept as a clause: shorter lines there are the title
// block's remains, a lead-in or an addressee.
const preambleMinRunes = 30

// preamble returns a node for each paragraph of substance above line end
// (the first numbered heading). A news release or a notice written as prose
// states its facts there (卫健委组建1230人医疗救治队… before the numbered
// points); a lead-in ending in "：" (现提出如下意见：) is left out.
func (p *parser) preamble(end int) []*node {
	var out []*node
	for i, l := range p.src.lines[:end] {
		if p.roles[i] != roleText || isAddressee(l) || utf8.RuneCountInString(l) < preambleMinRunes || reTransmittal.MatchString(l) {
			continue
		}
		out = append(out, &node{h: heading{rank: rankPart}, body: []string{l}, role: RolePreamble})
	}
	return out
}

// reTransmittal matches the sentence by which a notice hands on what it
// prints (现将《…》印发给你们，请认真贯彻执行): it says nothing of the measures.
var reTransmittal = regexp.MustCompile(`(印发|转发|下发)给你们|现(予)?(印发|转发)|请(认真|结合实际)?(遵照|贯彻|组织|抓好)`)

// emit turns the tree into clauses in document order.
func (p *parser) emit(root *node) {
	var walk func(n *node, path []string)
	walk = func(n *node, path []string) {
		if n != root {
			if e := n.pathElem(); e != "" {
				path = append(path[:len(path):len(path)], e)
			}
			var paras []string
			if n.inline != "" {
				paras = append(paras, n.inline)
			}
			paras = append(paras, n.body...)
			if len(paras) == 0 && len(n.children) == 0 && n.part == "" {
				// A numbered line with nothing under it: its own text is the body.
				paras = []string{strings.TrimSpace(n.h.rest)}
			}
			if len(paras) > 0 {
				p.addClause(n, path, paras)
			}
		}
		for _, c := range n.children {
			walk(c, path)
		}
	}
	walk(root, nil)
}

func (p *parser) addClause(n *node, path []string, paras []string) {
	text, agencies, lead := p.extractAgencies(paras)
	if text == "" {
		if len(agencies) == 0 {
			return
		}
		// A note with nothing else: keep the note itself rather than lose it.
		text = strings.Join(paras, "\n")
	}
	label := n.h.label
	if n.h.rank == rankPart {
		label = ""
	}
	c := Clause{
		ID:           fmt.Sprintf("%s#%d", p.doc.ID, len(p.doc.Clauses)+1),
		Label:        label,
		Path:         append([]string{}, path...),
		Title:        n.title,
		Text:         text,
		Agencies:     agencies,
		LeadAgencies: lead,
		Role:         n.role,
	}
	if c.Agencies == nil {
		c.Agencies = []string{}
	}
	if c.Path == nil {
		c.Path = []string{}
	}
	p.doc.Clauses = append(p.doc.Clauses, c)
}

// trimTrailing takes the closing remarks that follow the last clause off it
// when that clause is complete on its heading line: text after its agency
// note or starting like 以上政策… / 本通知自… belongs to the document, not to
// it. They are returned as a clause of their own (nil when there are none):
// the closing paragraph is where a notice says when it takes effect and ends
// (以上政策措施自印发之日起施行，有效期至2020年底).
func (p *parser) trimTrailing(root *node) *node {
	n := root
	for len(n.children) > 0 {
		n = n.children[len(n.children)-1]
	}
	if n == root || !n.isBody || n.h.rank == rankArticle {
		return nil
	}
	prevNote := n.inline != "" && hasAgencyNote(n.inline)
	for i, para := range n.body {
		if prevNote || reClosing.MatchString(para) {
			p.doc.Warnings = append(p.doc.Warnings, fmt.Sprintf("closing text after the last clause kept apart: %s", truncate(para, 30)))
			closing := &node{h: heading{rank: rankPart}, body: n.body[i:], role: RoleClosing}
			n.body = n.body[:i]
			return closing
		}
		prevNote = hasAgencyNote(para)
	}
	return nil
}

// truncatedMark ends the text of a clause the source cuts off mid-sentence
// (a page copied only in part): an answer quoting it shows the cut rather
// than passing a half sentence off as whole.
const truncatedMark = "……（原文在此中断）"

// markTruncated states a truncation: a document whose last clause stops
// without any closing punctuation (…绿色制造工) gets the mark and a warning.
func (p *parser) markTruncated() {
	cs := p.doc.Clauses
	if len(cs) == 0 || !p.src.cutTail {
		return
	}
	last := &cs[len(cs)-1]
	if last.Label == "" || last.Role != "" {
		return // a numbered measure or article cut off, not a page's loose ending
	}
	text := strings.TrimSpace(last.Text)
	line := text[strings.LastIndex(text, "\n")+1:]
	if _, isDate := dateLine(line); isDate || utf8.RuneCountInString(line) < 20 || isOrgLine(line) || strings.Contains(line, "来源") {
		return // a signature, a date or a source line ends many a page
	}
	r, _ := utf8.DecodeLastRuneInString(text)
	if text == "" || strings.ContainsRune("。！？；：.!?;:）)」』”\"》】…", r) || !unicode.Is(unicode.Han, r) {
		return
	}
	last.Text = text + truncatedMark
	tail := []rune(text)
	p.doc.Warnings = append(p.doc.Warnings, fmt.Sprintf("the text stops mid-sentence (…%s): the source is cut off", string(tail[max(0, len(tail)-12):])))
}

// Clip cuts s to n runes, marking the cut with "…" (shown text: warnings,
// status lines, eval output).
func Clip(s string, n int) string { return truncate(s, n) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
