package answer

import (
	"context"
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

// Extractive is the offline generator: it quotes, from the best clauses, the
// sentences that answer the question, in their original order. Every claim
// it makes is a sentence of the corpus.
type Extractive struct{}

var _ Generator = Extractive{}

// Generate cites the first hit and every further hit with at least one
// sentence sharing a term with the question. It never fails; with no hits it
// returns an empty Draft.
func (Extractive) Generate(_ context.Context, question string, hits []retrieval.Hit) (Draft, error) {
	terms := segment.Query(question)
	var d Draft
	var paras []string
	for i, h := range hits {
		quote, matched := quoteClause(h, terms)
		if i > 0 && (quote == "" || !matched) {
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

// quoteClause returns the clause's sentences that share terms with the
// question, in order and within maxClauseRunes, and whether any did; when
// none does (a purely semantic hit) it returns the clause's opening.
func quoteClause(h retrieval.Hit, terms []segment.Term) (string, bool) {
	sents := sentences(h.Clause.Text)
	// The title often opens the text ("加强信贷支持。…"): the citation names it already.
	if len(sents) > 1 && strings.TrimRight(sents[0], "。；;！？!? ") == strings.TrimSpace(h.Clause.Title) {
		sents = sents[1:]
	}
	if len(sents) == 0 {
		return "", false
	}
	type scored struct {
		i     int
		score float64
	}
	var ranked []scored
	for i, s := range sents {
		if sc := overlap(s, terms); sc > 0 {
			ranked = append(ranked, scored{i, sc})
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
	return truncate(b.String(), maxClauseRunes), matched
}

// overlap scores a sentence by the weights of the question terms it
// contains. Terms are bigrams plus whole dictionary words, so a longer
// shared phrase scores more; synonyms count less than the asker's own words.
func overlap(sentence string, terms []segment.Term) float64 {
	have := map[string]bool{}
	for _, t := range segment.Terms(sentence) {
		have[t] = true
	}
	score := 0.0
	for _, t := range terms {
		if have[t.Text] {
			score += t.Weight
		}
	}
	return score
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
