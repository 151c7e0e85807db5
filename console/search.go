package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"policybot/answer"
	"policybot/policy"
	"policybot/retrieval"
)

const (
	maxQueryRunes = 200 // a spoken question fits easily; longer input is a paste accident
	searchK       = 10  // documents shown
	// searchPool is how many clauses are asked for: enough that ten
	// documents remain after grouping several clauses of one document and
	// after the filters the searcher does not know (kind, issuer, dates).
	searchPool = 50
	// groupShown is how many clauses of one document are shown; the rest
	// are counted.
	groupShown = 3
)

func queryParam(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxQueryRunes {
		return "", userError(http.StatusBadRequest, fmt.Sprintf("问题太长：最多 %d 个字。", maxQueryRunes))
	}
	return q, nil
}

// kindNames are the agents' words for document kinds, in the filter's order.
var kindNames = []struct{ Kind, Name string }{
	{policy.KindLaw, "法律"}, {policy.KindRegulation, "法规"}, {policy.KindNotice, "规范性文件"},
}

// hitFilter is what the agent narrowed a search to beyond region and status.
type hitFilter struct {
	Kind, Issuer, From, To string
}

func (f hitFilter) empty() bool { return f == hitFilter{} }

func (f hitFilter) keep(m policy.Meta) bool {
	switch {
	case f.Kind != "" && m.Kind != f.Kind:
		return false
	case f.Issuer != "" && !strings.Contains(m.Issuer, f.Issuer):
		return false
	case (f.From != "" || f.To != "") && m.Date == "":
		return false
	case f.From != "" && m.Date < f.From, f.To != "" && m.Date > f.To:
		return false
	}
	return true
}

// filterParams reads kind, issuer, from and to; dates are YYYY-MM-DD.
func filterParams(r *http.Request) (hitFilter, error) {
	q := r.URL.Query()
	f := hitFilter{Kind: strings.TrimSpace(q.Get("kind")), Issuer: strings.TrimSpace(q.Get("issuer"))}
	if f.Kind != "" && kindName(f.Kind) == "" {
		return f, userError(http.StatusBadRequest, "文件类型筛选有误。")
	}
	if utf8.RuneCountInString(f.Issuer) > 50 {
		return f, userError(http.StatusBadRequest, "发文机关最多 50 个字。")
	}
	for _, d := range []struct {
		dst  *string
		name string
	}{{&f.From, "from"}, {&f.To, "to"}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		day, err := policy.ParseDay(v)
		if err != nil {
			return f, userError(http.StatusBadRequest, "发文日期格式为 YYYY-MM-DD。")
		}
		*d.dst = day
	}
	if f.From != "" && f.To != "" && f.From > f.To {
		return f, userError(http.StatusBadRequest, "发文日期的起始日期晚于截止日期。")
	}
	return f, nil
}

func kindName(k string) string {
	for _, kn := range kindNames {
		if kn.Kind == k {
			return kn.Name
		}
	}
	return ""
}

// searchRegion is the region a search is for: the one typed, else the
// agent's own default, else the server's.
func (c *Console) searchRegion(r *http.Request, si *signedIn) string {
	if region := strings.TrimSpace(r.URL.Query().Get("region")); region != "" {
		return region
	}
	if si != nil && si.User.Region != "" {
		return si.User.Region
	}
	return c.cfg.Region
}

// search is the console: a search box, filters and, with a query, the hits
// grouped by document.
func (c *Console) search(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q, err := queryParam(r)
	if err != nil {
		return err
	}
	region := c.searchRegion(r, si)
	status, asOf, err := hitStatus(r)
	if err != nil {
		return err
	}
	filter, err := filterParams(r)
	if err != nil {
		return err
	}
	p := page{Title: "政策检索", Query: q, Region: region, StatusQ: status, AsOf: asOf, Filter: filter,
		OwnRegion: si.User.Region, ServerRegion: c.cfg.Region}
	if c.cfg.Validity != nil {
		p.Today = c.cfg.Validity.Today()
	}
	if q != "" {
		start := time.Now()
		hits, err := c.cfg.Searcher.Search(r.Context(), retrieval.SearchRequest{Query: q, Region: region, K: searchPool,
			AsOf: asOf, Status: status})
		if err != nil {
			return fmt.Errorf("console search: %w", err)
		}
		p.Elapsed = formatElapsed(time.Since(start))
		p.Searched = true
		p.Results = groupHits(hits, filter, wholeTerms(q))
		for _, g := range p.Results {
			p.HitCount += len(g.Hits) + g.More
		}
		c.log.Info("console search", "user", si.User.Name, "hits", len(hits), "documents", len(p.Results),
			"latency_ms", time.Since(start).Milliseconds())
	}
	return c.render(w, r, "console", si, p)
}

// hitGroup is one document's matching clauses, best first.
type hitGroup struct {
	Document policy.Meta
	Hits     []hitView
	More     int // matching clauses not shown
}

// groupHits keeps the hits the filter lets through and groups them by
// document in the order of each document's best hit, at most searchK
// documents and groupShown clauses each.
func groupHits(hits []retrieval.Hit, f hitFilter, terms []string) []hitGroup {
	var out []hitGroup
	idx := map[string]int{}
	for _, h := range hits {
		if !f.keep(h.Document) {
			continue
		}
		i, ok := idx[h.Document.ID]
		if !ok {
			if len(out) == searchK {
				continue
			}
			i = len(out)
			idx[h.Document.ID] = i
			out = append(out, hitGroup{Document: h.Document})
		}
		g := &out[i]
		if len(g.Hits) == groupShown {
			g.More++
			continue
		}
		g.Hits = append(g.Hits, hitView{Hit: h, Text: highlight(h.Clause.Text, terms), ClauseURL: clauseURL(h.Clause.ID)})
	}
	return out
}

func formatElapsed(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f 毫秒", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f 秒", d.Seconds())
}

// answer returns, as plain text, the ready answer with its citation that the
// "复制答复" button copies (the same answer /api/ask and WeChat give).
func (c *Console) answer(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q, err := queryParam(r)
	if err != nil {
		return err
	}
	if q == "" {
		return userError(http.StatusBadRequest, "请输入问题。")
	}
	status, asOf, err := hitStatus(r)
	if err != nil {
		return err
	}
	// No session: an agent's searches are separate callers, not one conversation.
	ans, err := c.cfg.Asker.Ask(r.Context(), answer.Request{Question: q, Region: c.searchRegion(r, si), AsOf: asOf, Status: status})
	if err != nil {
		return fmt.Errorf("console answer: %w", err)
	}
	c.log.Info("console answer", "user", si.User.Name, "answered", ans.Answered, "citations", len(ans.Citations))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = fmt.Fprint(w, ans.Answer)
	return err
}

// searchKeys are the parameters of a console search, which the clause page
// carries so that going back restores the search.
var searchKeys = []string{"q", "region", "status", "as_of", "kind", "issuer", "from", "to"}

// searchQuery keeps only the search parameters of a query string, so a
// back link built from it can lead nowhere but the console.
func searchQuery(raw string) url.Values {
	in, err := url.ParseQuery(raw)
	out := url.Values{}
	if err != nil {
		return out
	}
	for _, k := range searchKeys {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out
}
