package answer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/retrieval"
)

// Errors of a generator's draft that fails verification.
var (
	ErrNoCitation  = errors.New("draft cites no clause")
	ErrBadCitation = errors.New("draft cites a clause it was not given")
	ErrBadAgency   = errors.New("draft names an agency its clauses do not")
)

// agencyRE finds agency-like names: a run of Han characters ending in a
// suffix that government bodies carry. The run may start with other words
// ("请联系市财政局"); verify checks its tails.
var agencyRE = regexp.MustCompile(`\p{Han}{1,16}?(?:委员会|管委会|办公室|人民政府|分行|支行|银保监局|监督管理局|局|厅)`)

// Words ending in an agency suffix that are not agencies.
var notAgency = []string{"布局", "格局", "大局", "全局", "结局", "开局", "当局", "出局", "僵局", "定局", "残局", "时局", "政局", "棋局", "饭局", "骗局", "邮局"}

// verify checks a generator's draft against the hits it was given: it cites
// at least one of them, every [n] marker is one it cites, and every agency
// it names appears in what it cites (their agencies, texts or issuers).
func verify(d Draft, hits []retrieval.Hit) error {
	if len(d.Cited) == 0 || strings.TrimSpace(d.Text) == "" {
		return fmt.Errorf("verify: %w", ErrNoCitation)
	}
	cited := map[int]bool{}
	for _, i := range d.Cited {
		if i < 0 || i >= len(hits) || cited[i] {
			return fmt.Errorf("verify: citation %d of %d hits: %w", i, len(hits), ErrBadCitation)
		}
		cited[i] = true
	}
	for _, m := range markerRE.FindAllStringSubmatch(d.Text, -1) {
		n, _ := strconv.Atoi(m[1])
		if !cited[n-1] {
			return fmt.Errorf("verify: marker [%d]: %w", n, ErrBadCitation)
		}
	}
	var known strings.Builder
	for i := range cited {
		h := hits[i]
		known.WriteString(strings.Join(h.Clause.Agencies, "|"))
		known.WriteString("|" + h.Clause.Title + "|" + h.Clause.Text + "|" + h.Document.Issuer + "|" + h.Document.Title + "|")
	}
	for _, name := range agencyRE.FindAllString(d.Text, -1) {
		if !knownAgency(name, known.String()) {
			return fmt.Errorf("verify: %q: %w", name, ErrBadAgency)
		}
	}
	return nil
}

// knownAgency reports whether some tail of name of three or more runes
// (name may start with other words) occurs in known, or name is no agency.
func knownAgency(name, known string) bool {
	for _, w := range notAgency {
		if strings.HasSuffix(name, w) {
			return true
		}
	}
	r := []rune(name)
	for i := 0; i+3 <= len(r); i++ {
		if strings.Contains(known, string(r[i:])) {
			return true
		}
	}
	return utf8.RuneCountInString(name) < 3
}
