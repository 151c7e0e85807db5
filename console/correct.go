package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"policybot/policy"
	"policybot/upload"
)

// correctedFields are the metadata an admin may correct in an upload's
// preview: form field, the agents' word, and where it is in a Meta.
var correctedFields = []struct {
	form, name string
	meta       func(*policy.Meta) *string
	corr       func(*upload.Correction) *string
}{
	{"title", "标题", func(m *policy.Meta) *string { return &m.Title }, func(c *upload.Correction) *string { return &c.Title }},
	{"number", "文号", func(m *policy.Meta) *string { return &m.Number }, func(c *upload.Correction) *string { return &c.Number }},
	{"issuer", "发文机关", func(m *policy.Meta) *string { return &m.Issuer }, func(c *upload.Correction) *string { return &c.Issuer }},
	{"date", "日期", func(m *policy.Meta) *string { return &m.Date }, func(c *upload.Correction) *string { return &c.Date }},
	{"region", "地区", func(m *policy.Meta) *string { return &m.Region }, func(c *upload.Correction) *string { return &c.Region }},
}

// correctionOf reads the preview's metadata fields: what differs from what
// the parser read is the correction, described for the audit log. A form
// without the fields (a deployment without corrections, an older page)
// corrects nothing.
func (c *Console) correctionOf(r *http.Request, p pendingUpload) (upload.Correction, string, error) {
	var corr upload.Correction
	var changes []string
	if c.cfg.Corrections == nil {
		return corr, "", nil
	}
	for _, f := range correctedFields {
		v, ok := r.PostForm[f.form]
		if !ok {
			continue
		}
		got := strings.TrimSpace(strings.Join(v, ""))
		parsed := *f.meta(&p.parsed)
		if got == "" || got == parsed {
			continue // an emptied field keeps what was read: nothing is lost by mistake
		}
		if f.form == "date" {
			day, err := policy.ParseDay(got)
			if err != nil {
				return corr, "", userError(http.StatusBadRequest, "日期格式为 YYYY-MM-DD，例如 2024-03-01；请返回预览页改正后再提交。")
			}
			got = day
		}
		*f.corr(&corr) = got
		changes = append(changes, fmt.Sprintf("%s %s → %s", f.name, orDash(parsed), got))
	}
	if err := corr.Check(); err != nil {
		return corr, "", userError(http.StatusBadRequest, "更正有误："+err.Error()+"；请返回预览页改正后再提交。")
	}
	if !corr.Empty() {
		si, _ := sessionFrom(r.Context())
		corr.By, corr.At = si.User.Name, c.now().UTC()
	}
	return corr, strings.Join(changes, "；"), nil
}

// saveCorrection stores corr as the correction of document id before the
// upload is ingested (the store applies it as it stores the document) and
// returns how to put back the one it replaced should the ingestion fail.
func (c *Console) saveCorrection(r *http.Request, id string, corr upload.Correction) (restore func(), err error) {
	if c.cfg.Corrections == nil {
		return func() {}, nil
	}
	all, err := c.cfg.Corrections.Corrections(r.Context())
	if err != nil {
		return nil, err
	}
	prev, had := all[id]
	if !had && corr.Empty() {
		return func() {}, nil
	}
	if err := c.cfg.Corrections.SetCorrection(r.Context(), id, corr); err != nil {
		return nil, err
	}
	return func() {
		// The request may be ending; putting the correction back must not.
		ctx := context.WithoutCancel(r.Context())
		if err := c.cfg.Corrections.SetCorrection(ctx, id, prev); err != nil {
			c.log.Error("correction not restored after a failed upload", "doc", id, "err", err)
		}
	}, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
