package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
	"policybot/state"
)

// page is what every template gets; each page uses the fields it needs.
type page struct {
	Title   string
	Message string // an error or notice shown above the content
	Notice  string // a success message
	Status  int
	Next    string
	Name    string

	// set by render
	User *staff.User
	CSRF string

	Query        string
	Region       string
	Results      []hitGroup // hits grouped by document
	HitCount     int
	Filter       hitFilter
	OwnRegion    string // the agent's own default region
	ServerRegion string
	Nav          *clauseNav
	Elapsed      string
	Searched     bool
	Doc          retrieval.StoredDocument
	Clauses      []clauseView
	Current      int      // index into Clauses of the clause asked for
	Docs         *docList // a page of the admin's document list
	Sort         string
	StatusQ      string // the search's status filter (in_force: 只看现行)
	AsOf         string // the search's day, empty: today
	Today        string
	Audit        []staff.AuditEntry
	Preview      *previewView
	Unanswered   *unansweredList
	CanReing     bool
	CanOverride  bool
	MaxUpload    string
	Match        *matchView
	CanMatch     bool
	Pushes       []state.PushEntry
	CanPushes    bool
}

type hitView struct {
	Hit       retrieval.Hit
	Text      template.HTML // escaped, with <mark> around the query's words
	ClauseURL string
}

type clauseView struct {
	policy.Clause
	Anchor string
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, si *signedIn, p page) error {
	if si != nil {
		p.User = &si.User
		p.CSRF = si.Session.CSRF
	}
	p.CanMatch = c.cfg.Matcher != nil
	p.CanPushes = c.cfg.Pushes != nil
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}

var funcs = template.FuncMap{
	"kinds":      func() any { return kindNames },
	"kindName":   kindName,
	"isUpload":   isUpload,
	"statuses":   func() []string { return statusList },
	"statusName": func(s string) string { return statusNames[s] },
	"join":       strings.Join,
	"path":       func(p []string) string { return strings.Join(p, " › ") },
	"clauseURL":  clauseURL,
	"time":       func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"score":      func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"orDash":     orDash,
	"statusText": func(s string) string {
		if s == retrieval.StatusRetired {
			return "已停用"
		}
		return "有效"
	},
	"validityText": func(v *policy.ValidityStatus) string {
		if v == nil {
			return "—"
		}
		return statusNames[v.Status]
	},
	"validityClass": func(v *policy.ValidityStatus) string {
		if v == nil {
			return "v-none"
		}
		return "v-" + v.Status
	},
	"actionText": func(a string) string {
		if t, ok := actionNames[a]; ok {
			return t
		}
		return a
	},
}

var actionNames = map[string]string{
	"upload": "上传", "replace": "替换", "retire": "停用", "activate": "恢复", "reingest": "重新入库", "validity": "效力更正", "handled": "标记已处理", "reopen": "重新打开",
}

func clauseURL(id string) string { return "/console/clause/" + url.PathEscape(id) }

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
