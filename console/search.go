package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"policybot/answer"
	"policybot/retrieval"
	"policybot/segment"
)

const (
	maxQueryRunes = 200 // a spoken question fits easily; longer input is a paste accident
	searchK       = 10
)

func queryParam(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxQueryRunes {
		return "", userError(http.StatusBadRequest, fmt.Sprintf("问题太长：最多 %d 个字。", maxQueryRunes))
	}
	return q, nil
}

// search is the console: a search box and, with a query, the hits.
func (c *Console) search(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q, err := queryParam(r)
	if err != nil {
		return err
	}
	region := strings.TrimSpace(r.URL.Query().Get("region"))
	status, asOf, err := hitStatus(r)
	if err != nil {
		return err
	}
	p := page{Title: "政策检索", Query: q, Region: region, StatusQ: status, AsOf: asOf}
	if c.cfg.Validity != nil {
		p.Today = c.cfg.Validity.Today()
	}
	if q != "" {
		if region == "" {
			region = c.cfg.Region
		}
		start := time.Now()
		hits, err := c.cfg.Searcher.Search(r.Context(), retrieval.SearchRequest{Query: q, Region: region, K: searchK,
			AsOf: asOf, Status: status})
		if err != nil {
			return fmt.Errorf("console search: %w", err)
		}
		p.Elapsed = formatElapsed(time.Since(start))
		p.Searched = true
		terms := segment.QueryTerms(q)
		for _, h := range hits {
			p.Hits = append(p.Hits, hitView{Hit: h, Text: highlight(h.Clause.Text, terms), ClauseURL: clauseURL(h.Clause.ID)})
		}
		c.log.Info("console search", "user", si.User.Name, "hits", len(hits), "latency_ms", time.Since(start).Milliseconds())
	}
	return c.render(w, r, "console", si, p)
}

func formatElapsed(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f 毫秒", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f 秒", d.Seconds())
}

// nearby is how many clauses either side of the asked one are shown as its context.
const nearby = 2

// clause shows one clause with its neighbours, inside the whole document.
func (c *Console) clause(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	id := r.PathValue("id")
	// Clause IDs are "<document ID>#<ordinal>" (policy parser).
	docID, _, ok := strings.Cut(id, "#")
	if !ok || docID == "" {
		return errNotFound
	}
	doc, clauses, err := c.cfg.Store.Document(r.Context(), docID)
	if err != nil {
		return fmt.Errorf("console clause %s: %w", id, err)
	}
	cur := -1
	views := make([]clauseView, len(clauses))
	for i, cl := range clauses {
		views[i] = clauseView{Clause: cl, Anchor: fmt.Sprintf("c%d", i+1)}
		if cl.ID == id {
			cur = i
		}
	}
	if cur < 0 {
		return errNotFound
	}
	for i := max(0, cur-nearby); i <= min(len(views)-1, cur+nearby); i++ {
		views[i].Near = true
	}
	p := page{Title: doc.Title, Doc: doc, Clauses: views, Current: cur}
	if c.cfg.Validity != nil {
		ix, err := c.cfg.Validity.Validity(r.Context())
		if err != nil {
			return fmt.Errorf("console clause %s: %w", id, err)
		}
		p.Today = c.cfg.Validity.Today()
		p.Doc.Validity = ix.Status(doc.ID, clauses[cur].Validity, p.Today)
	}
	return c.render(w, r, "clause", si, p)
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
	region := strings.TrimSpace(r.URL.Query().Get("region"))
	if region == "" {
		region = c.cfg.Region
	}
	status, asOf, err := hitStatus(r)
	if err != nil {
		return err
	}
	// No session: an agent's searches are separate callers, not one conversation.
	ans, err := c.cfg.Asker.Ask(r.Context(), answer.Request{Question: q, Region: region, AsOf: asOf, Status: status})
	if err != nil {
		return fmt.Errorf("console answer: %w", err)
	}
	c.log.Info("console answer", "user", si.User.Name, "answered", ans.Answered, "citations", len(ans.Citations))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = fmt.Fprint(w, ans.Answer)
	return err
}
