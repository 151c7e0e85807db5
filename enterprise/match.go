package enterprise

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"policybot/policy"
)

// Outcomes of a match.
const (
	// Eligible: every condition a profile can show is met.
	Eligible = "eligible"
	// NeedMoreInfo: a condition depends on a field the profile lacks.
	NeedMoreInfo = "need_more_info"
)

// Policies gives the clauses profiles are matched to: those naming whom
// they are for and current on day ("" today), and today itself
// (retrieval.Searcher). /api/match, the WeChat bot and the console use it.
type Policies interface {
	Applicable(ctx context.Context, day string) ([]Candidate, error)
	Today() string
}

// Candidate is an in-force clause with its applicability, as the matcher
// is given it.
type Candidate struct {
	Document policy.Meta
	Clause   policy.Clause // Clause.Applicability set
}

// Match is a clause that applies to a profile.
type Match struct {
	Score    float64       `json:"score"`
	Outcome  string        `json:"outcome"`
	Document policy.Meta   `json:"document"`
	Clause   policy.Clause `json:"clause"`
	// Why are the conditions met; Check what the enterprise must still
	// confirm; Missing the profile fields a need_more_info match waits on.
	Why     []string `json:"why"`
	Check   []string `json:"check"`
	Missing []string `json:"missing,omitempty"`
}

// MatchAll returns the candidates that apply to u, best first, and how
// many there are: the first limit of them (all when limit <= 0) with their
// reasons worded. A clause whose conditions the profile fails is left out;
// one whose conditions depend on a field the profile lacks is
// need_more_info, naming the field. Every candidate is scored, but only
// those returned are explained: a profile can match tens of thousands of
// clauses of a large corpus (BenchmarkMatchAll).
func MatchAll(u Understood, cands []Candidate, limit int) ([]Match, int) {
	mt := matcher{u: u, places: map[string]placeOf{}}
	hits := spread(mt.rank(cands), cands)
	if limit <= 0 || limit > len(hits) {
		limit = len(hits)
	}
	out := make([]Match, limit)
	for k, h := range hits[:limit] {
		out[k], _ = mt.match(cands[h.i], true)
	}
	return out, len(hits)
}

// Documents returns, for each document one of whose clauses applies to u,
// its best clause, best documents first, unexplained: what a push names.
func Documents(u Understood, cands []Candidate) []Candidate {
	mt := matcher{u: u, places: map[string]placeOf{}}
	var out []Candidate
	seen := map[string]bool{}
	for _, h := range mt.rank(cands) {
		if c := cands[h.i]; !seen[c.Document.ID] {
			seen[c.Document.ID] = true
			out = append(out, c)
		}
	}
	return out
}

type ranked struct {
	i     int
	score float64
}

// rank scores every candidate and returns those that match, best first.
func (mt *matcher) rank(cands []Candidate) []ranked {
	var hits []ranked
	for i, c := range cands {
		if m, ok := mt.match(c, false); ok {
			hits = append(hits, ranked{i, m.Score})
		}
	}
	slices.SortFunc(hits, func(a, b ranked) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		da, db := cands[a.i], cands[b.i]
		if c := cmp.Compare(db.Document.Date, da.Document.Date); c != 0 {
			return c
		}
		return cmp.Compare(da.Clause.ID, db.Clause.ID)
	})
	return hits
}

// spread puts each document's best clause before any document's second
// one (then second ones before third ones), keeping the rank within each
// round: five articles of one regulation would otherwise fill the five
// lines of "适合我的政策".
func spread(hits []ranked, cands []Candidate) []ranked {
	round := map[int][]ranked{}
	seen := map[string]int{}
	last := 0
	for _, h := range hits {
		id := cands[h.i].Document.ID
		r := seen[id]
		seen[id] = r + 1
		round[r] = append(round[r], h)
		last = max(last, r)
	}
	out := make([]ranked, 0, len(hits))
	for r := 0; r <= last && len(hits) > 0; r++ {
		out = append(out, round[r]...)
	}
	return out
}

// matcher matches one profile, remembering how each document region
// relates to the profile's.
type matcher struct {
	u      Understood
	places map[string]placeOf
}

type placeOf struct {
	p      place
	detail string
}

// Score parts: what a match rests on. A qualification is the most specific
// fact about an enterprise, then its size, then a local measure; every
// condition left to confirm and every missing field make it less sure.
const (
	baseScore          = 0.4
	qualificationScore = 0.25
	sizeScore          = 0.15
	localScore         = 0.1
	industryScore      = 0.05
	checkPenalty       = 0.02
	needMoreFactor     = 0.6
)

// match scores c for the profile; with explain it words why and what to
// check too (the score is the same either way).
func (mt *matcher) match(c Candidate, explain bool) (Match, bool) {
	u := mt.u
	a := c.Clause.Applicability
	if a == nil {
		return Match{}, false
	}
	m := Match{Document: c.Document, Clause: c.Clause, Why: []string{}, Check: []string{}}
	why := func(s string) {
		if explain {
			m.Why = append(m.Why, s)
		}
	}
	check := func(s string) {
		if explain {
			m.Check = append(m.Check, s)
		}
	}
	score := baseScore
	missing := map[string]bool{}

	// Jurisdiction: a national document applies everywhere; a local one to
	// enterprises of its place.
	po, ok := mt.places[c.Document.Region]
	if !ok {
		po.p, po.detail = jurisdiction(u.Region, c.Document.Region)
		mt.places[c.Document.Region] = po
	}
	j, detail := po.p, po.detail
	switch j {
	case placeNo:
		return Match{}, false
	case placeUnknown:
		missing["region"] = true
		check(detail)
	case placeLocal:
		score += localScore
		why(detail)
	default:
		why(detail)
	}

	// Subjects are alternatives: any one met will do, the most specific
	// (a qualification over a size) giving the reason.
	met, waiting := false, map[string]bool{}
	var reason string
	gain := 0.0
	for _, s := range a.Subjects {
		ok, field, because := subjectMet(u, s, a.FromTitle, explain)
		switch {
		case ok:
			g := sizeScore
			if s.Qualification != "" {
				g = qualificationScore
			}
			if !met || g > gain {
				reason, gain = because, g
			}
			met = true
		case field != "":
			waiting[field] = true
		}
	}
	if met {
		why(reason)
		score += gain
	}
	if len(a.Subjects) > 0 && !met {
		if len(waiting) == 0 {
			return Match{}, false
		}
		for f := range waiting {
			missing[f] = true
		}
		if explain {
			check("是否属于" + subjectNames(a.Subjects) + "（需补充企业信息）")
		}
	}
	if r := a.Required; r != nil {
		ok, field, because := subjectMet(u, *r, false, explain)
		switch {
		case ok:
			why(because)
			score += qualificationScore
		case field != "":
			missing[field] = true
			check("是否为" + r.Name + "（需补充企业资质）")
		default:
			return Match{}, false
		}
	}
	if len(a.Industries) > 0 {
		switch {
		case u.Sector == "":
			missing["industry"] = true
			if explain {
				check("所属行业是否为" + strings.Join(a.Industries, "、") + "（「" + a.IndustryBasis + "」）")
			}
		case slices.Contains(a.Industries, u.Sector):
			if explain {
				why("行业：贵企业属" + u.Sector + "（「" + a.IndustryBasis + "」）")
			}
			score += industryScore
		default:
			return Match{}, false
		}
	}
	for _, cond := range a.Conditions {
		if cond.Industries != nil {
			if u.Sector != "" && slices.Contains(cond.Industries, u.Sector) {
				if explain {
					why("行业：贵企业属" + u.Sector + "（「" + cond.Basis + "」）")
				}
				score += industryScore
				continue
			}
			if explain {
				check("本条主要面向" + strings.Join(cond.Industries, "、") + "（「" + cond.Basis + "」）")
			}
			score -= checkPenalty
			continue
		}
		if explain {
			check(cond.Text + "（「" + cond.Basis + "」）")
		}
		score -= checkPenalty
	}
	m.Outcome = Eligible
	if len(missing) > 0 {
		m.Outcome = NeedMoreInfo
		for _, f := range []string{"region", "size", "industry", "qualifications"} {
			if missing[f] {
				m.Missing = append(m.Missing, f)
			}
		}
		score *= needMoreFactor
	}
	m.Score = min(max(score, 0), 1)
	return m, true
}

// subjectMet tells whether u is subject s; when it cannot tell, the field
// that would; why words a met subject with its basis.
func subjectMet(u Understood, s policy.Subject, fromTitle, explain bool) (ok bool, field, why string) {
	where := "条款"
	if fromTitle {
		where = "文件标题"
	}
	if s.Qualification != "" {
		if u.Qualifications == nil {
			return false, "qualifications", ""
		}
		if !u.holds(s.Qualification) {
			return false, "", ""
		}
		if !explain {
			return true, "", ""
		}
		return true, "", fmt.Sprintf("资质：贵企业为%s（%s「%s」）", s.Qualification, where, s.Basis)
	}
	if u.Size == "" {
		if u.holds("个体工商户") {
			// 个体工商户 are not classed by the size standard: a measure for
			// 小微企业 names them when it means them (小微企业和个体工商户).
			return false, "", ""
		}
		return false, "size", ""
	}
	if !slices.Contains(s.Sizes, u.Size) {
		return false, "", ""
	}
	if !explain {
		return true, "", ""
	}
	size := SizeNames[u.Size] + "企业"
	if u.SizeDerived {
		size += "（按划型标准推算）"
	}
	return true, "", fmt.Sprintf("规模：%s面向%s，贵企业为%s（%s「%s」）", where, s.Name, size, where, s.Basis)
}

func subjectNames(ss []policy.Subject) string {
	var names []string
	for _, s := range ss {
		names = append(names, s.Name)
	}
	return strings.Join(names, "或")
}

// place is how a document's region relates to an enterprise's.
type place int

const (
	placeNational place = iota // a national document: everywhere
	placeLocal                 // the enterprise is in the document's place
	placeUnknown               // the profile does not say enough
	placeNo                    // another place's
)

// jurisdiction relates an enterprise's region to a document's, with the
// words for why or what to check. A document of a district is for that
// district: an enterprise known only to be in its city waits on its
// district. A document whose region the parser could not tell is never
// matched: it would be pushed to every place.
func jurisdiction(profile, doc string) (place, string) {
	switch {
	case doc == "":
		return placeNo, ""
	case doc == policy.RegionNational:
		return placeNational, "地区：全国性政策"
	case profile == "":
		return placeUnknown, "企业是否在" + doc + "（需补充企业所在地区）"
	}
	pp, dp := policy.Places(profile), policy.Places(doc)
	if len(pp) == 0 || len(dp) == 0 {
		return placeNo, ""
	}
	switch {
	case slices.Contains(pp, dp[0]):
		return placeLocal, "地区：" + doc + "的政策，贵企业在" + profile
	case slices.Contains(dp, pp[0]):
		return placeUnknown, "企业是否在" + doc + "（该政策只适用于" + doc + "）"
	}
	return placeNo, ""
}
