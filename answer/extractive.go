package answer

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/retrieval"
	"policybot/segment"
)

// maxClauseRunes caps the sentences quoted from one clause: enough for the
// answering sentences, short enough for a chat bubble (the whole clause is a
// "原文" follow-up away).
const maxClauseRunes = 300

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
	var d Draft
	var paras []string
	first := 0.0
	for i, h := range hits {
		quote, best := quoteClause(h, terms)
		if i == 0 {
			first = best
		} else if quote == "" || best == 0 || best < sentenceShare*first && !siblingOfCited(h, hits, d.Cited) {
			continue
		}
		d.Cited = append(d.Cited, i)
		if quote != "" { // a clause of only a title is still cited
			paras = append(paras, quote+"["+strconv.Itoa(i+1)+"]")
		}
	}
	d.Text = strings.Join(paras, "\n\n")
	return d, nil
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
// order and within maxClauseRunes, and the best sentence's overlap with the
// question; when no sentence shares a term (a purely semantic hit) it
// returns the clause's opening and 0.
func quoteClause(h retrieval.Hit, terms []segment.Term) (string, float64) {
	sents := sentences(h.Clause.Text)
	// The title often opens the text ("加强信贷支持。…"): the citation names it already.
	if len(sents) > 1 && strings.TrimRight(sents[0], "。；;！？!? ") == strings.TrimSpace(h.Clause.Title) {
		sents = sents[1:]
	}
	if len(sents) == 0 {
		return "", 0
	}
	type scored struct {
		i     int
		score float64
	}
	// has[i][j]: sentence i has question term j; df[j]: how many sentences do.
	qidx := make(map[string]int, len(terms))
	for j, t := range terms {
		if _, ok := qidx[t.Text]; !ok {
			qidx[t.Text] = j
		}
	}
	has := make([][]bool, len(sents))
	df := make([]int, len(terms))
	for i, s := range sents {
		has[i] = make([]bool, len(terms))
		for _, t := range segment.Terms(s) {
			if j, ok := qidx[t]; ok && !has[i][j] {
				has[i][j] = true
				df[j]++
			}
		}
	}
	// Within the clause, a term every sentence shares (企业) tells the
	// sentences apart less than one only the answering sentence has (续贷).
	var all []scored
	top, best := 0.0, 0.0
	for i := range sents {
		sc, raw := 0.0, 0.0
		for j, t := range terms {
			if has[i][j] {
				raw += t.Weight
				sc += t.Weight * math.Log(1+float64(len(sents))/float64(df[j]))
			}
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
	matched := len(ranked) > 0
	if !matched {
		ranked = make([]scored, len(sents))
		for i := range sents {
			ranked[i] = scored{i, 0}
		}
	}
	// Best sentences first until the cap; the first always fits (cut if longer).
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].score > ranked[b].score })
	var keep []int
	total := 0
	for _, r := range ranked {
		n := utf8.RuneCountInString(sents[r.i])
		if len(keep) > 0 && total+n > maxClauseRunes {
			if matched {
				continue // a shorter, lower-scored sentence may still fit
			}
			break // the opening must stay contiguous
		}
		keep = append(keep, r.i)
		total += n
	}
	sort.Ints(keep)
	var b strings.Builder
	for _, i := range keep {
		b.WriteString(sents[i])
	}
	return truncate(b.String(), maxClauseRunes), best
}

// sentences splits text after each 。；！？!?; keeping the delimiter, and at
// line breaks; blank pieces are dropped.
func sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	for _, r := range text {
		if r == '\n' || r == '\r' {
			flush()
			continue
		}
		b.WriteRune(r)
		if strings.ContainsRune("。；！？!?;", r) {
			flush()
		}
	}
	flush()
	return out
}

// truncate cuts s to n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
