package console

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"policybot/staff"
	"policybot/state"
)

// queue records a small work queue: two regions, three days.
func (h *harness) queue() {
	h.t.Helper()
	ctx := context.Background()
	day := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC) // 10:00 in China
	for _, u := range []state.Unanswered{
		{Question: "外资企业怎么退税？", Region: "天津市", Refused: true, At: day},
		{Question: "外资企业怎么退税", Region: "天津市", Refused: true, At: day.Add(time.Hour)},
		{Question: "养老保险断缴怎么办", Region: "北京市", Refused: true, At: day.Add(24 * time.Hour)},
		{Question: "=HYPERLINK(\"http://x\")", Region: "北京市", Refused: true, At: day.Add(48 * time.Hour)},
		{Question: "小微企业续贷怎么办", Region: "天津市", Refused: false, BestScore: 0.4, At: day.Add(48 * time.Hour)},
	} {
		if err := h.state.RecordUnanswered(ctx, u); err != nil {
			h.t.Fatal(err)
		}
	}
}

func TestUnansweredFilters(t *testing.T) {
	h := newHarness(t)
	h.queue()
	cl, _ := h.clientAs(staff.RoleAdmin)
	tests := []struct {
		name, query string
		status      int
		want, not   []string
	}{
		{"All", "", 200, []string{"外资企业怎么退税", "养老保险断缴怎么办", "小微企业续贷怎么办"}, nil},
		{"Region", "?region=" + url.QueryEscape("北京市"), 200, []string{"养老保险断缴怎么办"}, []string{"外资企业怎么退税", "小微企业续贷怎么办"}},
		{"From", "?from=2026-12-01", 200, []string{"养老保险断缴怎么办", "小微企业续贷怎么办"}, []string{"外资企业怎么退税"}},
		{"To", "?to=2026-11-30", 200, []string{"外资企业怎么退税"}, []string{"养老保险断缴怎么办"}},
		{"ErrDate", "?from=30/11/2026", 400, nil, nil},
		{"ErrShow", "?show=some", 400, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.get(cl, "/admin/unanswered"+tt.query)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 200 && !strings.Contains(body, `href="/admin/unanswered.csv`+strings.ReplaceAll(tt.query, "&", "&amp;")+`" id="export"`) {
				t.Errorf("export link %q, want the queue's filters", regexpFind(`href="([^"]*)" id="export"`, body))
			}
			for _, w := range tt.want {
				if !strings.Contains(body, "<td>"+w) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, "<td>"+n) {
					t.Errorf("lists %s", n)
				}
			}
		})
	}
}

func TestUnansweredHandled(t *testing.T) {
	h := newHarness(t)
	h.queue()
	ctx := context.Background()
	cl, csrf := h.clientAs(staff.RoleAdmin)
	agent, agentCSRF := h.clientAs(staff.RoleAgent)
	form := url.Values{"csrf": {csrf}, "question": {"外资企业怎么退税？"}, "note": {"已转税务局，补充文件中"}, "back": {"region=天津市"}}
	if resp := h.post(agent, "/admin/unanswered/handled", url.Values{"csrf": {agentCSRF}, "question": {"外资企业怎么退税"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent marks handled: status %d, want 403", resp.StatusCode)
	}
	if resp := h.post(cl, "/admin/unanswered/handled", url.Values{"question": {"外资企业怎么退税"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF: status %d, want 403", resp.StatusCode)
	}
	if resp := h.post(cl, "/admin/unanswered/handled", url.Values{"csrf": {csrf}, "question": {"  "}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no question: status %d, want 400", resp.StatusCode)
	}
	resp := h.post(cl, "/admin/unanswered/handled", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/unanswered?done=handled&region="+url.QueryEscape("天津市") {
		t.Fatalf("mark handled: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	marks, _ := h.state.HandledQuestions(ctx)
	if m, ok := marks["外资企业怎么退税"]; !ok || m.Note != "已转税务局，补充文件中" || m.By != "admin1" {
		t.Errorf("marks %+v", marks)
	}
	entries, _ := h.users.AuditEntries(ctx, 1)
	if len(entries) != 1 || entries[0].Action != "handled" || entries[0].Detail != "已转税务局，补充文件中" {
		t.Errorf("audit %+v, want the mark", entries)
	}
	_, open := h.get(cl, "/admin/unanswered")
	_, done := h.get(cl, "/admin/unanswered?show=handled")
	if strings.Contains(open, "<td>外资企业怎么退税") || !strings.Contains(open, "待处理（3）") {
		t.Error("the handled question is still in the open queue")
	}
	if !strings.Contains(done, "<td>外资企业怎么退税") || !strings.Contains(done, "已处理（admin1") || !strings.Contains(done, "已转税务局") {
		t.Error("the handled question is not listed as handled with its note")
	}
	if resp := h.post(cl, "/admin/unanswered/reopen", url.Values{"csrf": {csrf}, "question": {"外资企业 怎么退税"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: %d", resp.StatusCode)
	}
	if marks, _ := h.state.HandledQuestions(ctx); len(marks) != 0 {
		t.Errorf("after reopen: %v", marks)
	}
	if entries, _ := h.users.AuditEntries(ctx, 1); entries[0].Action != "reopen" {
		t.Errorf("reopen not audited: %+v", entries[0])
	}
}

func TestUnansweredRerun(t *testing.T) {
	h := newHarness(t)
	h.queue()
	ctx := context.Background()
	cl, _ := h.clientAs(staff.RoleAdmin)
	before, _ := h.state.ListUnanswered(ctx, 0)
	_, body := h.get(cl, "/admin/unanswered?rerun="+url.QueryEscape("小微企业续贷怎么办")+"&rerun_region="+url.QueryEscape("天津市"))
	answerText := regexpFind(`(?s)<pre class="answer" id="rerun-answer">(.*?)</pre>`, body)
	if !strings.Contains(answerText, "续贷") || !strings.Contains(body, "可以回答") {
		t.Errorf("re-run does not show today's answer: %q", answerText)
	}
	_, body = h.get(cl, "/admin/unanswered?rerun="+url.QueryEscape("养老保险断缴怎么办"))
	if !strings.Contains(body, "仍无法回答") {
		t.Error("a question still unanswerable is not said to be so")
	}
	if after, _ := h.state.ListUnanswered(ctx, 0); len(after) != len(before) {
		t.Errorf("re-runs were recorded as unanswered: %d entries, had %d", len(after), len(before))
	}
	if !strings.Contains(body, `href="/admin/unanswered?rerun=`) {
		t.Error("no re-run link in the list")
	}
}

func TestUnansweredCSV(t *testing.T) {
	h := newHarness(t)
	h.queue()
	cl, csrf := h.clientAs(staff.RoleAdmin)
	h.post(cl, "/admin/unanswered/handled", url.Values{"csrf": {csrf}, "question": {"养老保险断缴怎么办"}, "note": {"非本热线业务"}})
	resp, body := h.get(cl, "/admin/unanswered.csv?show=all&region="+url.QueryEscape("北京市"))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("status %d, %q, %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Error("no byte-order mark: Excel would misread the Chinese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "问题" {
		t.Fatalf("rows %q, want a header and the two Beijing questions", rows)
	}
	byQ := map[string][]string{}
	for _, r := range rows[1:] {
		byQ[r[0]] = r
	}
	if r := byQ["养老保险断缴怎么办"]; r == nil || r[8] != "已处理" || r[9] != "非本热线业务" || r[10] != "admin1" || r[3] != "北京市" {
		t.Errorf("handled row %q", r)
	}
	if _, ok := byQ[`'=HYPERLINK("http://x")`]; !ok {
		t.Errorf("a formula question is not defused: %q", rows)
	}
	agent, _ := h.clientAs(staff.RoleAgent)
	if resp, _ := h.get(agent, "/admin/unanswered.csv"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent export: status %d, want 403", resp.StatusCode)
	}
}
