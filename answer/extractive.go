package answer

import (
	"context"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/segment"
)

// sentenceShare is the share of the best sentence's overlap another
// sentence needs to be quoted, and another clause to be cited.
const sentenceShare = 0.6

// Extractive is the offline generator: it quotes, from the best clauses, the
// sentences that answer the question, in their original order. Every claim
// it makes is a sentence of the corpus.
type Extractive struct{}

var _ Generator = Extractive{}

// Generate cites the first hit and every further hit whose best sentence
// shares about as much with the question as the first hit's best does, or
// shares any of it and sits in the section of a clause already cited:
// sibling items answer facets of one topic (受理条件, 受理范围, 办理时间) and an
// item need not repeat the topic its section names (measured with
// TestIntegrationEval: external-dev gold clause cited in 24 answers instead
// of 23, for 2 more citations in 30 answers). It never fails; with no hits
// it returns an empty Draft.
func (Extractive) Generate(_ context.Context, question string, hits []retrieval.Hit) (Draft, error) {
	terms := segment.Query(question)
	list := reAsksList.MatchString(question)
	// Each hit's quote is worked out once per length, though the lead's
	// choice and the citing loop both need it.
	type key struct{ i, limit int }
	type quoted struct {
		text string
		best float64
	}
	memo := map[key]quoted{}
	quote := func(i, limit int) (string, float64) {
		k := key{i, limit}
		q, ok := memo[k]
		if !ok {
			q.text, q.best = quoteClause(hits[i], terms, question, limit)
			memo[k] = q
		}
		return q.text, q.best
	}
	order := leadOrder(hits, question, quote)
	var d Draft
	var paras []string
	first := 0.0
	covered := map[string]bool{}
	for _, i := range order {
		h := hits[i]
		if len(d.Cited) == maxCitations {
			break
		}
		limit := firstQuoteRunes
		if len(d.Cited) > 0 { // by its place in the answer, not in the hits: a close hit may lead
			limit = furtherQuoteRunes
		}
		text, best := quote(i, limit)
		if len(d.Cited) == 0 {
			first = best
		} else if text == "" || best == 0 || best < sentenceShare*first && !siblingOfCited(h, hits, d.Cited) ||
			!list && !adds(text, terms, covered) {
			// A further clause is cited when it answers as well and
			// adds: the question asks for several measures, or the
			// clause states what the cited ones leave out.
			continue
		}
		for _, t := range segment.Terms(text) {
			covered[t] = true
		}
		d.Cited = append(d.Cited, i)
		if text != "" { // a clause of only a title is still cited
			paras = append(paras, text+"["+strconv.Itoa(i+1)+"]")
		}
	}
	d.Text = strings.Join(paras, "\n\n")
	return d, nil
}

// leadShare: a close hit may lead instead of the best one when it scores
// at least this share of the best's score.
const leadShare = 0.9

// leadOrder is the order the hits are considered in: the searcher's, except
// that the first is a clause that states what was asked when a close one
// does and the best does not (the rate of 增值税法 第十条 over 第十六条's
// 销项税额 for "税率是多少"), and a document's preamble or closing text
// gives way to a close measure or article.
func leadOrder(hits []retrieval.Hit, question string, quote func(i, limit int) (string, float64)) []int {
	order := make([]int, len(hits))
	for i := range order {
		order[i] = i
	}
	if len(hits) < 2 {
		return order
	}
	close := func(i int) bool { return hits[i].Score >= leadShare*hits[0].Score }
	lead := 0
	if hits[0].Clause.Role != "" {
		for i := 1; i < len(hits) && close(i); i++ {
			if hits[i].Clause.Role == "" {
				lead = i
				break
			}
		}
	}
	if want := askedFor(question); want != nil {
		if q, _ := quote(lead, firstQuoteRunes); !want.MatchString(q) {
			for i := 0; i < len(hits) && close(i); i++ {
				if q, best := quote(i, firstQuoteRunes); best > 0 && want.MatchString(q) && hits[i].Clause.Role == "" {
					lead = i
					break
				}
			}
		}
	}
	if lead > 0 {
		order = append([]int{lead}, append(order[:lead:lead], order[lead+1:]...)...)
	}
	return order
}

// Quote lengths, in runes: the first clause's answer, and what a further
// clause adds (the whole clause is a "原文" follow-up or the /a/ page away).
const (
	firstQuoteRunes   = 180
	furtherQuoteRunes = 100
)

// adds reports whether quote holds one of the question's own terms that
// the quotes so far lack.
func adds(quote string, terms []segment.Term, covered map[string]bool) bool {
	in := map[string]bool{}
	for _, t := range segment.Terms(quote) {
		in[t] = true
	}
	for _, t := range terms {
		if t.Weight >= 1 && in[t.Text] && !covered[t.Text] {
			return true
		}
	}
	return false
}

// siblingOfCited reports whether h is in the same section of the same
// document as a hit already cited.
func siblingOfCited(h retrieval.Hit, hits []retrieval.Hit, cited []int) bool {
	for _, i := range cited {
		c := hits[i]
		if c.Document.ID == h.Document.ID && len(c.Clause.Path) > 1 && len(h.Clause.Path) == len(c.Clause.Path) &&
			slices.Equal(c.Clause.Path[:len(c.Clause.Path)-1], h.Clause.Path[:len(h.Clause.Path)-1]) {
			return true
		}
	}
	return false
}

// quoteClause returns the clause's sentences that answer the question, in
// order and within limit runes, and the best sentence's overlap with the
// question; when no sentence shares a term (a purely semantic hit) it
// returns the clause's opening and 0. A sentence that carries what the
// question asks for — a number for 多少/几天/税率, the body for 找谁 — wins
// over one that only repeats the question's words, and a lead-in
// (…下列条件：) brings its list items along.
func quoteClause(h retrieval.Hit, terms []segment.Term, question string, limit int) (string, float64) {
	units := quoteUnits(h.Clause.Text)
	// The title often opens the text ("加强信贷支持。…"): the citation names it already.
	if len(units) > 1 && strings.TrimRight(units[0], "。；;！？!? ") == strings.TrimSpace(h.Clause.Title) {
		units = units[1:]
	}
	if len(units) == 0 {
		return "", 0
	}
	want := askedFor(question)
	// has[i][j]: unit i has question term j; df[j]: how many units do.
	qidx := make(map[string]int, len(terms))
	for j, t := range terms {
		if _, ok := qidx[t.Text]; !ok {
			qidx[t.Text] = j
		}
	}
	has := make([][]bool, len(units))
	df := make([]int, len(terms))
	for i, u := range units {
		has[i] = make([]bool, len(terms))
		for _, t := range segment.Terms(u) {
			if j, ok := qidx[t]; ok && !has[i][j] {
				has[i][j] = true
				df[j]++
			}
		}
	}
	type scored struct {
		i     int
		score float64
	}
	// Within the clause, a term every unit shares (企业) tells the units
	// apart less than one only the answering unit has (续贷).
	var all []scored
	top, best := 0.0, 0.0
	for i, u := range units {
		sc, raw := 0.0, 0.0
		for j, t := range terms {
			if has[i][j] {
				raw += t.Weight
				sc += t.Weight * math.Log(1+float64(len(units))/float64(df[j]))
			}
		}
		if want != nil && sc > 0 && want.MatchString(u) {
			sc *= askedForBonus
		}
		all = append(all, scored{i, sc})
		top, best = max(top, sc), max(best, raw)
	}
	var ranked []scored
	for _, r := range all {
		if r.score > 0 && r.score >= sentenceShare*top {
			ranked = append(ranked, r)
		}
	}
	// "如何做好受影响企业和个人金融服务？" asked of the clause headed
	// 做好受影响企业和个人金融服务: the heading is the question, the whole
	// clause its answer, quoted from the top.
	if reAsksHow.MatchString(question) && headingAnswers(h.Clause, terms) {
		ranked = nil
	}
	matched := len(ranked) > 0
	if !matched {
		ranked = make([]scored, len(units))
		for i := range units {
			ranked[i] = scored{i, 0}
		}
	}
	// Best units first until the limit; the first always fits (cut if longer).
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].score > ranked[b].score })
	keep := map[int]bool{}
	total := 0
	add := func(i int) bool {
		n := utf8.RuneCountInString(units[i])
		if keep[i] {
			return true
		}
		if len(keep) > 0 && total+n > limit {
			return false
		}
		keep[i] = true
		total += n
		return true
	}
	for _, r := range ranked {
		if !add(r.i) {
			if matched {
				continue // a shorter, lower-scored unit may still fit
			}
			break // the opening must stay contiguous
		}
		// A lead-in ("应当符合下列条件：") is nothing without its items,
		// and an item is read under its lead-in.
		for j := r.i; j+1 < len(units) && (leadsIn(units[j]) || keep[j] && isListItem(units[j+1]) && leadsInBefore(units, j+1)); j++ {
			if !add(j + 1) {
				break
			}
		}
		if isListItem(units[r.i]) {
			for k := r.i - 1; k >= 0 && (isListItem(units[k]) || leadsIn(units[k])); k-- {
				if leadsIn(units[k]) {
					add(k)
					break
				}
			}
		}
	}
	idx := make([]int, 0, len(keep))
	for i := range keep {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(units[i])
	}
	return truncate(b.String(), limit), best
}

// askedForBonus is what a unit carrying the kind of fact asked for counts
// over one that does not.
const askedForBonus = 1.5

var (
	// Questions asking for a quantity, and the units that state one.
	reAsksQuantity = regexp.MustCompile(`多少|几[天日个月年次成项]|多久|多长|多大|多高|比例|税率|征收率|费率|利率|期限|时限|标准|金额|上限|最高|最长|最多|额度|幅度|几倍`)
	reQuantity     = regexp.MustCompile(`[0-9０-９]+|百分之|[一二三四五六七八九十两半]+(个|日|天|月|年|倍|成|万|千|百)`)
	// Questions asking who handles something, and the units that name a body.
	reAsksBody = regexp.MustCompile(`找谁|哪个部门|哪些部门|什么部门|哪个单位|哪里办|去哪|向谁|谁负责|由谁`)
	reBody     = regexp.MustCompile(`负责|部门|机关|单位|局|委|中心|办公室`)
	// Questions asking how far something of the asker's has got (快递到哪里了,
	// 申请到哪一步了), which a clause answers only by naming where to look.
	reAsksStatus = regexp.MustCompile(`到哪(里|儿|一步)?了|办到哪`)
	reStatus     = regexp.MustCompile(`查询|平台|网站|网址|热线|电话|窗口|http|www`)
	// Questions asking for a list.
	reAsksList = regexp.MustCompile(`(哪些|什么|哪几[项条个])(措施|政策|支持|优惠|补贴|扶持|办法|举措|帮扶)|还有哪些|有哪些`)
)

// reAsksHow: questions asking what is done about a matter, which a
// clause headed by that matter answers as a whole.
var reAsksHow = regexp.MustCompile(`如何|怎么|怎样|什么办法|采取了?哪些|有何|有什么|哪些措施|什么措施|什么政策`)

// headingAnswers reports whether the clause's heading (title and last path
// element) holds most of the question's own terms.
func headingAnswers(c policy.Clause, terms []segment.Term) bool {
	head := c.Title
	if len(c.Path) > 0 {
		head += " " + c.Path[len(c.Path)-1]
	}
	in := map[string]bool{}
	for _, t := range segment.Terms(head) {
		in[t] = true
	}
	var all, got float64
	for _, t := range terms {
		if t.Weight < 1 {
			continue
		}
		all++
		if in[t.Text] {
			got++
		}
	}
	return all > 0 && got/all >= headingShare
}

// headingShare is the share of the question's terms a heading must hold to answer it.
const headingShare = 0.5

// askedFor is the pattern of the units that carry what q asks for, nil when
// it asks for nothing in particular.
func askedFor(q string) *regexp.Regexp {
	switch {
	case reAsksStatus.MatchString(q):
		return reStatus
	case reAsksQuantity.MatchString(q):
		return reQuantity
	case reAsksBody.MatchString(q):
		return reBody
	}
	return nil
}

// unmet reports whether q asks for a kind of fact (askedFor) that none of
// the hits' clauses states.
func unmet(q string, hits []retrieval.Hit) bool {
	want := askedFor(q)
	if want == nil {
		return false
	}
	for _, h := range hits {
		if want.MatchString(h.Clause.Text) {
			return false
		}
	}
	return true
}

// leadsIn reports whether a unit introduces what follows (…下列条件：).
func leadsIn(u string) bool {
	u = strings.TrimSpace(u)
	return strings.HasSuffix(u, "：") || strings.HasSuffix(u, ":")
}

// leadsInBefore reports whether the list item at j follows a lead-in, directly or after other items.
func leadsInBefore(units []string, j int) bool {
	for k := j - 1; k >= 0; k-- {
		if leadsIn(units[k]) {
			return true
		}
		if !isListItem(units[k]) {
			return false
		}
	}
	return false
}

var reListItem = regexp.MustCompile(`^\s*([（(][一二三四五六七八九十0-9]+[）)]|[0-9]+[.．、]|[一二三四五六七八九十]+、)`)

func isListItem(u string) bool { return reListItem.MatchString(u) }

// maxUnitRunes: a sentence longer than this is quoted by its parts (split
// at ；), so the part holding the answer is not lost to the cap.
const maxUnitRunes = 120

// quoteUnits splits a clause's text into the units an answer quotes:
// sentences (ending at 。！？), the lines of a list, and the ；-parts of an
// overlong sentence. A line break inside a sentence (a hard-wrapped source
// file) does not split it.
func quoteUnits(text string) []string {
	var out []string
	for _, s := range sentences(text) {
		if utf8.RuneCountInString(s) <= maxUnitRunes || !strings.ContainsAny(s, "；;") {
			out = append(out, s)
			continue
		}
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r)
			if r == '；' || r == ';' {
				out = append(out, b.String())
				b.Reset()
			}
		}
		if rest := strings.TrimSpace(b.String()); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

// sentences splits text after each 。！？!? (keeping the delimiter), and at
// a line break that ends a sentence, a lead-in (：) or a ；-item, or starts
// a list item; a line break elsewhere is a hard wrap and joins the lines.
// Blank pieces are dropped.
func sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r", ""), "\n")
	for li, line := range lines {
		line = strings.TrimSpace(line)
		if li > 0 && b.Len() > 0 {
			prev := strings.TrimSpace(b.String())
			if strings.ContainsAny(lastRune(prev), "。！？!?；;：:") || isListItem(line) || line == "" {
				flush()
			}
		}
		for _, r := range line {
			b.WriteRune(r)
			if strings.ContainsRune("。！？!?", r) {
				flush()
			}
		}
	}
	flush()
	return out
}

func lastRune(s string) string {
	r, _ := utf8.DecodeLastRuneInString(s)
	if r == utf8.RuneError {
		return ""
	}
	return string(r)
}

// truncate cuts s to n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
