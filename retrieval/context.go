package retrieval

import (
	"slices"
	"strings"

	"policybot/policy"
)

// Section context. Service guides list a topic's facts as short items under
// one heading — "1.受理条件：…停征污水处理费。2.受理范围：…停征污水处理费的核准审批。
// 3.办理时间：自即日起至北京市疫情结束一个月内。" — and an item such as the third
// never names the topic its siblings all name. A term held by every other
// clause of a section of at least minContextClauses clauses is the
// section's topic: the clause gets it as context, counted by the scorers
// at contextWeight of an occurrence of its own.
const (
	minContextClauses = 3
	// contextWeight, measured on the three question sets: 0.3, 0.6 and 0.7
	// changed nothing; 0.85 and 1 lifted the 办理时间 item of the example
	// from beyond rank 10 to rank 3 (external-dev hit@3 0.900 → 0.933)
	// and changed no other question's rank on any set. A term only every
	// sibling holds is weaker evidence than the clause's own, hence below 1.
	contextWeight = 0.85
)

// sectionKey is what a clause's siblings share: its heading path without
// its own heading. Empty for a clause directly under the document, whose
// context is the document title.
func sectionKey(c policy.Clause) string {
	p := c.Path
	if n := len(p); n > 0 && c.Label != "" && strings.HasPrefix(p[n-1], strings.TrimSpace(c.Label)) {
		p = p[:n-1]
	}
	return strings.Join(p, "\x1f")
}

// SectionContext returns, for each clause, the terms it lacks that every
// other clause of its section holds, sorted (nil for none; see
// minContextClauses).
func SectionContext(clauses []IndexedClause) [][]string {
	out := make([][]string, len(clauses))
	sections := map[string][]int{}
	for i, c := range clauses {
		if k := sectionKey(c.Clause); k != "" {
			sections[k] = append(sections[k], i)
		}
	}
	for _, members := range sections {
		if len(members) < minContextClauses {
			continue
		}
		// held counts, for each term, the section's clauses holding it.
		held := map[string]int{}
		sets := make([]map[string]bool, len(members))
		for j, i := range members {
			sets[j] = make(map[string]bool, len(clauses[i].Terms))
			for _, t := range clauses[i].Terms {
				if !sets[j][t] {
					sets[j][t] = true
					held[t]++
				}
			}
		}
		for j, i := range members {
			var ts []string
			for t, n := range held {
				if n == len(members)-1 && !sets[j][t] {
					ts = append(ts, t)
				}
			}
			slices.Sort(ts)
			out[i] = ts
		}
	}
	return out
}
