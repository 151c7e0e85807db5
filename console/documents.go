package console

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/retrieval"
)

// docsPerPage is how many documents one page of /admin/documents lists.
const docsPerPage = 50

// docQuery is a search of the admin's document list: server-side, so a
// page is ~50 rows whatever the corpus holds.
type docQuery struct {
	Q        string // in title, 文号 or issuer
	Region   string
	Kind     string
	Status   string // active or retired
	Validity string // a validity status (in_force …)
	Source   string // upload or folder
	Sort     string // ingested (default), date, title, status
	Page     int    // 1-based
	Replace  string // document the upload form is to replace
}

var docSorts = []struct{ Key, Name string }{
	{"ingested", "入库时间"}, {"date", "发文日期"}, {"title", "标题"}, {"status", "效力"},
}

func docQueryOf(r *http.Request) (docQuery, error) {
	v := r.URL.Query()
	f := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q := docQuery{Q: f("q"), Region: f("region"), Kind: f("kind"), Status: f("status"), Validity: f("validity"),
		Source: f("source"), Sort: f("sort"), Page: 1, Replace: f("replace")}
	if utf8.RuneCountInString(q.Q) > 100 {
		return q, userError(http.StatusBadRequest, "检索词最多 100 个字。")
	}
	if q.Kind != "" && kindName(q.Kind) == "" {
		return q, userError(http.StatusBadRequest, "文件类型筛选有误。")
	}
	if q.Status != "" && q.Status != retrieval.StatusActive && q.Status != retrieval.StatusRetired {
		return q, userError(http.StatusBadRequest, "状态筛选有误。")
	}
	if q.Validity != "" && !slices.Contains(statusList, q.Validity) {
		return q, userError(http.StatusBadRequest, "效力筛选有误。")
	}
	// source=lost is the commit's redirect telling of an unkept upload, not a filter.
	if q.Source == "lost" {
		q.Source = ""
	}
	if q.Source != "" && q.Source != "upload" && q.Source != "folder" {
		return q, userError(http.StatusBadRequest, "来源筛选有误。")
	}
	if q.Sort == "" {
		q.Sort = "ingested"
	}
	if !slices.ContainsFunc(docSorts, func(s struct{ Key, Name string }) bool { return s.Key == q.Sort }) {
		return q, userError(http.StatusBadRequest, "排序方式有误。")
	}
	if p := f("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return q, userError(http.StatusBadRequest, "页码有误。")
		}
		q.Page = n
	}
	return q, nil
}

// values is q as URL parameters, page and replace left out.
func (q docQuery) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", q.Q}, {"region", q.Region}, {"kind", q.Kind}, {"status", q.Status},
		{"validity", q.Validity}, {"source", q.Source}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if q.Sort != "ingested" {
		v.Set("sort", q.Sort)
	}
	return v
}

// Filtered reports whether q narrows the list.
func (q docQuery) Filtered() bool { v := q.values(); v.Del("sort"); return len(v) > 0 }

// URL is the list with q's filters and another sort or page.
func (q docQuery) URL(sort string, page int) string {
	v := q.values()
	v.Del("sort")
	if sort != "ingested" {
		v.Set("sort", sort)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/admin/documents"
	}
	return "/admin/documents?" + v.Encode()
}

func (q docQuery) keep(r docRow) bool {
	switch {
	case q.Region != "" && r.Region != q.Region,
		q.Kind != "" && r.Kind != q.Kind,
		q.Status != "" && r.Status != q.Status,
		q.Validity != "" && (r.Validity == nil || r.Validity.Status != q.Validity),
		q.Source == "upload" && !isUpload(r.Source),
		q.Source == "folder" && isUpload(r.Source):
		return false
	}
	if q.Q == "" {
		return true
	}
	needle := asciiLower(q.Q)
	for _, s := range []string{r.Title, r.Number, r.Issuer, r.ID} {
		if strings.Contains(asciiLower(s), needle) {
			return true
		}
	}
	return false
}

func isUpload(source string) bool { return strings.HasPrefix(source, uploadDir+"/") }

// docList is one page of the admin's document list.
type docList struct {
	Query   docQuery
	Rows    []docRow
	Total   int // documents matching the query
	All     int // documents stored
	Pages   int
	Regions []string // every region stored, for the filter
	Prev    string
	Next    string
	Sorts   []struct{ Key, Name string }
}

func (c *Console) documents(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q, err := docQueryOf(r)
	if err != nil {
		return err
	}
	docs, err := c.cfg.Store.Documents(r.Context())
	if err != nil {
		return fmt.Errorf("admin documents: %w", err)
	}
	audit, err := c.cfg.Audit.AuditEntries(r.Context(), 20)
	if err != nil {
		return fmt.Errorf("admin documents: %w", err)
	}
	rows, err := c.documentRows(r.Context(), docs, "")
	if err != nil {
		return fmt.Errorf("admin documents: %w", err)
	}
	list := listDocuments(rows, q)
	p := page{Title: "文件管理", Docs: &list, Sort: q.Sort, Audit: audit, CanReing: c.cfg.Reingest != nil,
		CanOverride: c.cfg.Overrides != nil, MaxUpload: sizeText(c.cfg.MaxUpload), Notice: noticeText(r.URL.Query(), docs)}
	if c.cfg.Validity != nil {
		p.Today = c.cfg.Validity.Today()
	}
	if r.URL.Query().Get("source") == "lost" {
		p.Message = msgSourceLost
	}
	return c.render(w, r, "documents", si, p)
}

// listDocuments filters, sorts and pages rows. Every order is made here,
// not taken from the store, so both stores list alike; ties keep the
// store's order.
func listDocuments(rows []docRow, q docQuery) docList {
	l := docList{Query: q, All: len(rows), Sorts: docSorts}
	seen := map[string]bool{}
	kept := rows[:0:0]
	for _, r := range rows {
		if r.Region != "" && !seen[r.Region] {
			seen[r.Region] = true
			l.Regions = append(l.Regions, r.Region)
		}
		if q.keep(r) {
			kept = append(kept, r)
		}
	}
	slices.Sort(l.Regions)
	switch q.Sort {
	case "ingested": // the latest change first
		slices.SortStableFunc(kept, func(a, b docRow) int { return b.IngestedAt.Compare(a.IngestedAt) })
	case "date": // newest first, undated last
		slices.SortStableFunc(kept, func(a, b docRow) int { return cmp.Compare(b.Date, a.Date) })
	case "title":
		slices.SortStableFunc(kept, func(a, b docRow) int { return strings.Compare(a.Title, b.Title) })
	case "status":
		slices.SortStableFunc(kept, func(a, b docRow) int { return cmp.Compare(rowOrder(a), rowOrder(b)) })
	}
	l.Total = len(kept)
	l.Pages = max(1, (l.Total+docsPerPage-1)/docsPerPage)
	page := min(q.Page, l.Pages)
	l.Query.Page = page
	l.Rows = kept[(page-1)*docsPerPage : min(l.Total, page*docsPerPage)]
	if page > 1 {
		l.Prev = q.URL(q.Sort, page-1)
	}
	if page < l.Pages {
		l.Next = q.URL(q.Sort, page+1)
	}
	return l
}
