package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"policybot/policy"
)

// clauseNav is what the clause page links to: the search it came from, the
// neighbouring clauses and the document's headings above the clause.
type clauseNav struct {
	Back      string // the console search the agent came from
	Query     url.Values
	Prev      string // clause page of the clause before; empty for the first
	Next      string
	Crumbs    []string // headings above the clause, outermost first
	Position  string   // "第 3 / 12 条"
	Citation  string   // what "复制原文" copies: the clause with its citation
	QueryText string   // the question searched, for "复制答复"
}

// clause shows the whole document scrolled to one clause: its headings as
// breadcrumbs, its neighbours one key away, and both the ready answer and
// the clause's own text to copy.
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
	nav := backTo(r)
	from := ""
	if len(nav.Query) > 0 {
		from = "?from=" + url.QueryEscape(nav.Query.Encode())
	}
	if cur > 0 {
		nav.Prev = clauseURL(clauses[cur-1].ID) + from
	}
	if cur+1 < len(clauses) {
		nav.Next = clauseURL(clauses[cur+1].ID) + from
	}
	cl := clauses[cur]
	if len(cl.Path) > 1 {
		nav.Crumbs = cl.Path[:len(cl.Path)-1]
	}
	nav.Position = fmt.Sprintf("第 %d / %d 条", cur+1, len(clauses))
	nav.Citation = citation(doc.Meta, cl)
	p := page{Title: doc.Title, Doc: doc, Clauses: views, Current: cur, Nav: &nav}
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

// backTo finds the search the agent came from: the from parameter the
// clause page's own links carry, else the Referer of a console search.
// Only search parameters are kept, so the link can only lead to /console.
func backTo(r *http.Request) clauseNav {
	raw := r.URL.Query().Get("from")
	if raw == "" {
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Path == "/console" && (ref.Host == "" || ref.Host == r.Host) {
			raw = ref.RawQuery
		}
	}
	q := searchQuery(raw)
	nav := clauseNav{Back: "/console", Query: q, QueryText: q.Get("q")}
	if len(q) > 0 {
		nav.Back = "/console?" + q.Encode()
	}
	return nav
}

// citation is a clause as "复制原文" copies it: the text, then where it is from.
func citation(m policy.Meta, cl policy.Clause) string {
	var b strings.Builder
	b.WriteString(cl.Text)
	b.WriteString("\n——《")
	b.WriteString(m.Title)
	b.WriteString("》")
	if m.Number != "" {
		b.WriteString("（" + m.Number + "）")
	}
	if len(cl.Path) > 0 {
		b.WriteString(cl.Path[len(cl.Path)-1])
	}
	if len(cl.Agencies) > 0 {
		b.WriteString("；责任单位：" + strings.Join(cl.Agencies, "、"))
	}
	return b.String()
}
