package console

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
)

// ValidityView works out documents' validity; *retrieval.Searcher implements it.
type ValidityView interface {
	Validity(ctx context.Context) (*retrieval.ValidityIndex, error)
	// Today is the day validity is decided on (the configured as_of, else today).
	Today() string
	// Invalidate makes the next look see a change just made.
	Invalidate()
}

var _ ValidityView = (*retrieval.Searcher)(nil)

// statusNames are the agents' words for the statuses.
var statusNames = map[string]string{
	policy.StatusInForce:       "现行有效",
	policy.StatusNotYetInForce: "尚未施行",
	policy.StatusExpired:       "已到期",
	policy.StatusRepealed:      "已废止",
	policy.StatusSuperseded:    "已被替代",
	policy.StatusUnknown:       "效力待定",
}

// statusList is the order statuses are offered in a filter.
var statusList = []string{policy.StatusInForce, policy.StatusNotYetInForce, policy.StatusExpired, policy.StatusRepealed,
	policy.StatusSuperseded, policy.StatusUnknown}

// statusOrder sorts documents by status: what needs an admin's eye
// (unknown) first, then what no longer applies, then what applies.
var statusOrder = map[string]int{
	policy.StatusUnknown: 0, policy.StatusExpired: 1, policy.StatusRepealed: 2, policy.StatusSuperseded: 3,
	policy.StatusNotYetInForce: 4, policy.StatusInForce: 5,
}

// docRow is one row of the admin's document list.
type docRow struct {
	retrieval.StoredDocument
	Validity *policy.ValidityStatus
	Override *retrieval.ValidityOverride
}

// documentRows joins the documents with their validity today, sorted as asked
// (sort=status; default: the store's order, newest first).
func (c *Console) documentRows(ctx context.Context, docs []retrieval.StoredDocument, sortBy string) ([]docRow, error) {
	var ix *retrieval.ValidityIndex
	var over map[string]retrieval.ValidityOverride
	day := ""
	if c.cfg.Validity != nil {
		var err error
		if ix, err = c.cfg.Validity.Validity(ctx); err != nil {
			return nil, err
		}
		day = c.cfg.Validity.Today()
	}
	if c.cfg.Overrides != nil {
		var err error
		if over, err = c.cfg.Overrides.ValidityOverrides(ctx); err != nil {
			return nil, err
		}
	}
	rows := make([]docRow, len(docs))
	for i, d := range docs {
		rows[i] = docRow{StoredDocument: d, Validity: ix.Status(d.ID, nil, day)}
		if o, ok := over[d.ID]; ok {
			rows[i].Override = &o
		}
	}
	if sortBy == "status" {
		slices.SortStableFunc(rows, func(a, b docRow) int {
			return cmp.Compare(rowOrder(a), rowOrder(b))
		})
	}
	return rows, nil
}

func rowOrder(r docRow) int {
	if r.Validity == nil {
		return -1 // retired: not in the index
	}
	return statusOrder[r.Validity.Status]
}

// setValidity stores an admin's override of a document's validity (all
// fields empty, or the 清除 button: removes it). Overrides are kept apart
// from the document, so they survive re-ingest; each change is audited.
func (c *Console) setValidity(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	if c.cfg.Overrides == nil {
		return userError(http.StatusNotImplemented, "此部署未开启效力更正。")
	}
	id := r.PathValue("id")
	if _, _, err := c.cfg.Store.Document(r.Context(), id); err != nil {
		return fmt.Errorf("admin validity %s: %w", id, err)
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	o := retrieval.ValidityOverride{Effective: f("effective"), Expires: f("expires"), Repealed: f("repealed"),
		SupersededBy: f("superseded_by"), Note: f("note"), By: si.User.Name, At: c.now().UTC()}
	if r.PostFormValue("clear") != "" {
		o = retrieval.ValidityOverride{}
	}
	if err := o.Check(); err != nil {
		return userError(http.StatusBadRequest, "效力更正有误："+err.Error()+"（日期格式为 YYYY-MM-DD）")
	}
	if o.SupersededBy != "" {
		if o.SupersededBy == id {
			return userError(http.StatusBadRequest, "效力更正有误：文件不能被它自己替代。")
		}
		if _, _, err := c.cfg.Store.Document(r.Context(), o.SupersededBy); err != nil {
			return userError(http.StatusBadRequest, "效力更正有误：找不到替代文件 "+o.SupersededBy+"。")
		}
	}
	if err := c.cfg.Overrides.SetValidityOverride(r.Context(), id, o); err != nil {
		return fmt.Errorf("admin validity %s: %w", id, err)
	}
	if c.cfg.Validity != nil {
		c.cfg.Validity.Invalidate()
	}
	c.audit(r, staff.AuditEntry{User: si.User.Name, Action: "validity", Target: id, Detail: overrideText(o)})
	http.Redirect(w, r, "/admin/documents?done=validity&doc="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// overrideText is an override as the audit log records it.
func overrideText(o retrieval.ValidityOverride) string {
	if o.Empty() {
		return "清除效力更正"
	}
	var parts []string
	for _, kv := range [][2]string{{"施行", o.Effective}, {"有效期至", o.Expires}, {"废止/替代日期", o.Repealed},
		{"替代文件", o.SupersededBy}, {"说明", o.Note}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, "；")
}

// hitStatus reads the status filter and day of a console search: 只看现行
// (status=in_force) and 查询日期 (as_of).
func hitStatus(r *http.Request) (status, asOf string, err error) {
	status = strings.TrimSpace(r.URL.Query().Get("status"))
	if err := retrieval.CheckStatus(status); err != nil {
		return "", "", userError(http.StatusBadRequest, "效力筛选有误。")
	}
	asOf = strings.TrimSpace(r.URL.Query().Get("as_of"))
	if asOf != "" {
		if asOf, err = policy.ParseDay(asOf); err != nil {
			return "", "", userError(http.StatusBadRequest, "查询日期格式为 YYYY-MM-DD。")
		}
	}
	return status, asOf, nil
}
