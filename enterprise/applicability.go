// Package enterprise turns "企业找政策" into "政策找企业": who a clause is for
// (Read, at ingest), enterprise profiles with their size class derived by
// 《中小企业划型标准规定》(工信部联企业〔2011〕300号), and the matching of
// one to the other (Match).
package enterprise

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"policybot/policy"
	"policybot/seeds"
)

// Kinds of subject in seeds/lexicon/subjects.txt.
const (
	kindSize          = "size"
	kindQualification = "qualification"
	kindIndustry      = "industry"
	kindCondition     = "condition"
	kindNone          = "none"
	kindAffected      = "affected"
)

// entry is one line of the subjects lexicon.
type entry struct {
	name, kind string
	sizes      []string // kindSize
	value      string   // the qualification, the 门类, or the condition's text
	phrases    []string
}

type lexicon struct {
	entries []entry
	// phrases maps each phrase to its entry, longest phrases first in order.
	order []string
	byPhr map[string]*entry
}

var (
	lexOnce sync.Once
	lex     *lexicon
	lexErr  error
)

// subjects returns the shipped lexicon, parsed once; a malformed line is a
// bug of the shipped file, so it panics in tests rather than at a user.
func subjects() *lexicon {
	lexOnce.Do(func() { lex, lexErr = parseLexicon(seeds.Subjects) })
	if lexErr != nil {
		panic(lexErr)
	}
	return lex
}

func parseLexicon(text string) (*lexicon, error) {
	l := &lexicon{byPhr: map[string]*entry{}}
	for n, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("subjects line %d: want 4 tab-separated fields, got %d", n+1, len(f))
		}
		e := entry{name: f[0], kind: f[1], value: f[2], phrases: strings.Fields(f[3])}
		switch e.kind {
		case kindSize:
			e.sizes = strings.Split(e.value, ",")
			for _, s := range e.sizes {
				if !slices.Contains(Sizes, s) {
					return nil, fmt.Errorf("subjects line %d: unknown size %q", n+1, s)
				}
			}
		case kindQualification, kindCondition, kindNone, kindAffected:
		case kindIndustry:
			if !slices.Contains(Industries, e.value) {
				return nil, fmt.Errorf("subjects line %d: %q is not a 门类", n+1, e.value)
			}
		default:
			return nil, fmt.Errorf("subjects line %d: unknown kind %q", n+1, e.kind)
		}
		l.entries = append(l.entries, e)
	}
	for i := range l.entries {
		for _, p := range l.entries[i].phrases {
			if _, dup := l.byPhr[p]; dup {
				return nil, fmt.Errorf("subjects: phrase %q listed twice", p)
			}
			l.byPhr[p] = &l.entries[i]
			l.order = append(l.order, p)
		}
	}
	slices.SortStableFunc(l.order, func(a, b string) int { return len(b) - len(a) })
	return l, nil
}

// readerVersion changes whenever Read's rules change (2: 服务 alone is
// no offer; 3: nor 提供服务; 4: 受疫情影响 as a subject; 5: industry limits).
const readerVersion = 5

// LexiconVersion identifies the shipped subjects lexicon and Read's rules:
// ingestion reads documents again when it changes (retrieval.ContentHash),
// so no stored applicability is left from older rules.
func LexiconVersion() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("reader/%d\n%s", readerVersion, seeds.Subjects)))
	return hex.EncodeToString(sum[:6])
}

// Qualifications are the qualification names a profile may hold.
func Qualifications() []string {
	var out []string
	for _, e := range subjects().entries {
		if e.kind == kindQualification {
			out = append(out, e.value)
		}
	}
	return out
}

// mention is one phrase found in a text.
type mention struct {
	e      *entry
	at     int // byte offset
	phrase string
	basis  string
}

// find returns the lexicon's phrases in text, longest first where they
// overlap, in text order.
func (l *lexicon) find(text string) []mention {
	taken := make([]bool, len(text))
	var out []mention
	for _, p := range l.order {
		for from := 0; ; {
			i := strings.Index(text[from:], p)
			if i < 0 {
				break
			}
			i += from
			from = i + len(p)
			if slices.Contains(taken[i:i+len(p)], true) {
				continue
			}
			e := l.byPhr[p]
			if e.kind == kindIndustry && !industryContext(text[i+len(p):]) {
				continue
			}
			for j := i; j < i+len(p); j++ {
				taken[j] = true
			}
			out = append(out, mention{e: e, at: i, phrase: p, basis: around(text, i, len(p))})
		}
	}
	slices.SortFunc(out, func(a, b mention) int { return a.at - b.at })
	return out
}

// industryContext: an industry word names the enterprises a clause is for
// only when 企业, 行业 or 商户 follows in the same phrase, across an
// enumeration (批发零售、住宿餐饮、物流运输等行业; 制造业企业), not in
// 先进制造业发展.
func industryContext(rest string) bool {
	n := 0
	for i, r := range rest {
		if n == 30 || strings.ContainsRune("。；;，,：:（(", r) {
			return false
		}
		for _, w := range []string{"企业", "行业", "商户", "经营主体", "市场主体"} {
			if strings.HasPrefix(rest[i:], w) {
				return true
			}
		}
		n++
	}
	return false
}

// around returns up to 12 characters either side of text[i:i+n], within its
// sentence: the basis phrase kept with what was read.
func around(text string, i, n int) string {
	start, end := i, i+n
	for k := 0; k < 12 && start > 0; k++ {
		r, size := utf8.DecodeLastRuneInString(text[:start])
		if strings.ContainsRune("。；;\n", r) {
			break
		}
		start -= size
	}
	for k := 0; k < 12 && end < len(text); k++ {
		r, size := utf8.DecodeRuneInString(text[end:])
		if strings.ContainsRune("。；;\n", r) {
			break
		}
		end += size
	}
	return strings.TrimSpace(text[start:end])
}

// Read works out who clause c of document d is for. Subjects come from the
// clause (its heading and text); a clause naming none inherits its
// document title's (天津市提升中小企业竞争力若干措施: every measure is for
// 中小企业). A qualification named in the clause's own heading is required
// (（十）支持"专精特新"企业发展). It returns nil for a clause that names no
// one — most articles of a law, a closing paragraph — which no profile is
// matched to; preambles and closings are never matched either.
func Read(c policy.Clause, d policy.Meta) *policy.Applicability {
	if c.Role != "" {
		return nil
	}
	l := subjects()
	heading := c.Title
	if len(c.Path) > 0 {
		heading = c.Path[len(c.Path)-1] + " " + heading
	}
	a := &policy.Applicability{}
	mentions := l.find(heading + "。" + c.Text)
	for _, m := range mentions {
		add(a, m)
	}
	var affected *mention
	for _, m := range mentions {
		if m.e.kind == kindAffected {
			affected = &m
			break
		}
	}
	if len(a.Subjects) == 0 {
		for _, m := range l.find(d.Title) {
			if m.e.kind == kindSize || m.e.kind == kindQualification {
				add(a, m)
				a.FromTitle = true
			}
		}
	}
	if len(a.Subjects) == 0 && affected != nil {
		// 对受疫情影响的企业…: every enterprise so affected, whatever its size;
		// the condition stays to be confirmed.
		a.Subjects = append(a.Subjects, policy.Subject{Name: affected.e.name, Sizes: Sizes, Basis: affected.basis})
	}
	for _, m := range l.find(heading) {
		if m.e.kind == kindQualification {
			s := subjectOf(m)
			a.Required = &s
			break
		}
	}
	if len(a.Subjects) == 0 && a.Required == nil {
		return nil
	}
	if inds, basis := l.industryLimit(heading + "。" + c.Text); len(inds) > 0 {
		a.Industries, a.IndustryBasis = inds, basis
		a.Conditions = slices.DeleteFunc(a.Conditions, func(c policy.Condition) bool { return c.Industries != nil })
	}
	if (d.Kind == policy.KindLaw || d.Kind == policy.KindRegulation) && !offers(heading+c.Text) {
		return nil
	}
	return a
}

// benefits are the words of an article that offers its subjects something.
// An article of a law or regulation naming a subject without one defines or
// obliges it (单位和个体工商户为增值税的纳税人: "服务" there is what is taxed,
// so only 服务体系 counts; 有偿提供服务 is taxed too) and is no policy to push to it;
// the measures of a notice are offers by what they are (推动节能低碳发展).
var benefits = []string{"支持", "扶持", "优惠", "减免", "免征", "减征", "减按", "免收", "减收", "补贴", "补助", "奖励", "奖补",
	"资助", "贷款", "信贷", "融资", "担保", "贴息", "降低", "减轻", "缓缴", "延期", "返还", "退还", "鼓励", "帮助", "服务体系",
	"培育", "给予", "便利", "保护", "倾斜", "优先", "纾困", "激励"}

func offers(text string) bool {
	return slices.ContainsFunc(benefits, func(w string) bool { return strings.Contains(text, w) })
}

func subjectOf(m mention) policy.Subject {
	s := policy.Subject{Name: m.e.name, Basis: m.basis}
	if m.e.kind == kindSize {
		s.Sizes = m.e.sizes
	} else {
		s.Qualification = m.e.value
	}
	return s
}

// add records one mention in a, once per subject, industry or condition.
func add(a *policy.Applicability, m mention) {
	switch m.e.kind {
	case kindSize, kindQualification:
		if !slices.ContainsFunc(a.Subjects, func(s policy.Subject) bool { return s.Name == m.e.name }) {
			a.Subjects = append(a.Subjects, subjectOf(m))
		}
	case kindIndustry:
		for i, c := range a.Conditions {
			if c.Industries != nil {
				if !slices.Contains(c.Industries, m.e.value) {
					a.Conditions[i].Industries = append(c.Industries, m.e.value)
				}
				return
			}
		}
		a.Conditions = append(a.Conditions, policy.Condition{Text: "主要面向所列行业", Basis: m.basis, Industries: []string{m.e.value}})
	case kindCondition, kindAffected:
		if !slices.ContainsFunc(a.Conditions, func(c policy.Condition) bool { return c.Text == m.e.value }) {
			a.Conditions = append(a.Conditions, policy.Condition{Text: m.e.value, Basis: m.basis})
		}
	}
}

// industrySubject: what an enumeration of industries must be followed by to
// be the clause's subject (…等行业中小微企业, …行业企业, …企业).
var industrySubject = regexp.MustCompile(`^(等)?(行业|领域)?(的)?(中小微企业|小微企业|中小企业|企业|商户|经营主体|市场主体)`)

// onlySubject: the clause names no size or qualification outside
// [from, to), the industries' subject phrase; a clause that also names
// 小微企业 elsewhere (…支持建筑业企业参与城市更新…) is not limited to them.
func onlySubject(ms []mention, from, to int) bool {
	for _, m := range ms {
		if (m.e.kind == kindSize || m.e.kind == kindQualification) && (m.at < from || m.at >= to) {
			return false
		}
	}
	return true
}

// subjectPosition: text before an enumeration puts it where a clause says
// whom it is for — right after 对, 支持, 扶持 or 帮助, with 受疫情影响（较大）的
// between at most (对住宿餐饮等行业中小微企业…).
func subjectPosition(before string) bool {
	for _, q := range []string{"受疫情影响较大的", "受疫情影响的", "受疫情冲击较大的"} {
		before = strings.TrimSuffix(before, q)
	}
	for _, w := range []string{"对", "支持", "扶持", "帮助"} {
		if strings.HasSuffix(before, w) {
			return true
		}
	}
	return false
}

// industryLimit finds an enumeration made of industries only, in subject
// position, directly naming the enterprises a clause is for, and returns
// the 门类 it stands for with its phrase.
func (l *lexicon) industryLimit(text string) ([]string, string) {
	ms := l.find(text)
	for i := 0; i < len(ms); i++ {
		if ms[i].e.kind != kindIndustry {
			continue
		}
		start := ms[i].at
		if !subjectPosition(text[:start]) {
			continue // 增加制造业中小微企业贷款, 向文旅企业倾斜: not whom the clause is for
		}
		var inds []string
		end := start
		j := i
		for ; j < len(ms) && ms[j].e.kind == kindIndustry && ms[j].at == end; j++ {
			if !slices.Contains(inds, ms[j].e.value) {
				inds = append(inds, ms[j].e.value)
			}
			end = ms[j].at + len(ms[j].phrase)
			if r, size := utf8.DecodeRuneInString(text[end:]); strings.ContainsRune("、和及与", r) {
				end += size
			}
		}
		// end is past the last industry (and a separator after it, if any).
		last := ms[j-1].at + len(ms[j-1].phrase)
		if loc := industrySubject.FindStringIndex(text[last:]); loc != nil && onlySubject(ms, start, last+loc[1]) {
			return inds, around(text, start, last-start)
		}
		i = j - 1
	}
	return nil, ""
}
