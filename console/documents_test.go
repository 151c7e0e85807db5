package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
)

// addDocs stores n documents without clauses: enough for the list.
func (h *harness) addDocs(n int) {
	h.t.Helper()
	ctx := context.Background()
	for i := range n {
		region := []string{"天津市", "北京市", "上海市"}[i%3]
		d := retrieval.StoredDocument{Meta: policy.Meta{ID: fmt.Sprintf("gen-%03d", i), Title: fmt.Sprintf("测试文件%03d", i),
			Number: fmt.Sprintf("测〔2024〕%d号", i), Issuer: region + "财政局", Date: fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28),
			Region: region, Kind: policy.KindNotice}, Source: fmt.Sprintf("/corpus/gen-%03d.txt", i), ContentHash: "h",
			Status: retrieval.StatusActive, IngestedAt: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC)}
		if err := h.store.ReplaceDocument(ctx, d, nil); err != nil {
			h.t.Fatal(err)
		}
	}
}

func TestDocumentList(t *testing.T) {
	h := newHarness(t)
	h.addDocs(120)
	cl, _ := h.clientAs(staff.RoleAdmin)
	rows := func(body string) int {
		return strings.Count(body, `<tr class="active">`) + strings.Count(body, `<tr class="retired">`)
	}
	tests := []struct {
		name   string
		query  string
		status int
		rows   int
		want   []string
		not    []string
	}{
		{name: "FirstPage", query: "", status: 200, rows: 50, want: []string{"文件列表（121）", "第 1 / 3 页", `id="page-next"`}, not: []string{`id="page-prev"`}},
		{name: "LastPage", query: "?page=3", status: 200, rows: 21, want: []string{"第 3 / 3 页", `id="page-prev"`}},
		{name: "PastTheEnd", query: "?page=9", status: 200, rows: 21, want: []string{"第 3 / 3 页"}},
		{name: "SearchNumber", query: "?q=" + url.QueryEscape("测〔2024〕17号"), status: 200, rows: 1, want: []string{"测试文件017", "文件列表（1 / 共 121）"}},
		{name: "SearchTitle", query: "?q=" + url.QueryEscape("小微企业融资"), status: 200, rows: 1, want: []string{"天津市支持小微企业融资的若干措施", "津金融〔2024〕9号"}},
		{name: "SearchIssuer", query: "?q=" + url.QueryEscape("上海市财政局"), status: 200, rows: 40},
		{name: "Region", query: "?region=" + url.QueryEscape("北京市"), status: 200, rows: 40, not: []string{"津金融〔2024〕9号"}},
		{name: "SourceUpload", query: "?source=upload", status: 200, rows: 1, want: []string{"xiaowei", "网页上传"}},
		{name: "SourceFolder", query: "?source=folder", status: 200, rows: 50, want: []string{"文件列表（120 / 共 121）"}},
		{name: "KindLaw", query: "?kind=law", status: 200, rows: 0, want: []string{"没有符合条件的文件"}},
		{name: "StatusRetired", query: "?status=retired", status: 200, rows: 0},
		{name: "SortTitle", query: "?sort=title&region=" + url.QueryEscape("天津市") + "&q=" + url.QueryEscape("测试"), status: 200, rows: 40, want: []string{"<b>按标题</b>"}},
		{name: "ErrSort", query: "?sort=size", status: 400},
		{name: "ErrPage", query: "?page=0", status: 400},
		{name: "ErrSource", query: "?source=ftp", status: 400},
		{name: "ErrValidity", query: "?validity=gone", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.get(cl, "/admin/documents"+tt.query)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if n := rows(body); n != tt.rows {
				t.Errorf("%d rows, want %d", n, tt.rows)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("page holds %q", n)
				}
			}
		})
	}
	// Sorted by title, the page lists titles in order; by date, newest first.
	_, body := h.get(cl, "/admin/documents?sort=title&q="+url.QueryEscape("测试文件"))
	if a, b := strings.Index(body, "测试文件000"), strings.Index(body, "测试文件001"); a < 0 || b < a {
		t.Errorf("sort=title: 测试文件000 at %d, 001 at %d", a, b)
	}
	_, body = h.get(cl, "/admin/documents?sort=date&q="+url.QueryEscape("测试文件"))
	if a, b := strings.Index(body, "2024-12-"), strings.Index(body, "2024-01-"); a < 0 || (b >= 0 && b < a) {
		t.Errorf("sort=date: December at %d, January at %d; want newest first", a, b)
	}
	// The next page keeps the filters.
	_, body = h.get(cl, "/admin/documents?source=folder&sort=title")
	if next := regexpFind(`href="([^"]*)" id="page-next"`, body); !strings.Contains(next, "source=folder") || !strings.Contains(next, "sort=title") || !strings.Contains(next, "page=2") {
		t.Errorf("next page link %q lost the filters", next)
	}
}

// TestPreviewCorrection: the admin corrects what the parser read before
// committing; the correction is stored with the document, audited, and
// kept through a re-ingest.
func TestPreviewCorrection(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cl, token := h.clientAs(staff.RoleAdmin)
	doc := strings.Replace(testDoc, "津金融〔2024〕9号\n", "", 1) // the 文号 the parser cannot find
	preview := func() (string, string) {
		resp := h.upload(cl, token, "rongzi.txt", []byte(doc), "")
		if resp.StatusCode != 200 {
			t.Fatalf("preview: %d %s", resp.StatusCode, bodyOf(resp))
		}
		return regexpFind(uploadToken, bodyOf(resp)), bodyOf(resp)
	}
	tok, body := preview()
	for _, want := range []string{`id="fix-title" value="天津市支持小微企业融资的若干措施"`, `id="fix-number" value=""`, `id="fix-date" value="2024-03-01"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
	form := func(tok string, kv ...string) url.Values {
		v := url.Values{"csrf": {token}, "token": {tok}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// A bad date is refused and the preview stays committable.
	if resp := h.post(cl, "/admin/documents/commit", form(tok, "date", "2024年3月1日")); resp.StatusCode != http.StatusBadRequest || !strings.Contains(bodyOf(resp), "YYYY-MM-DD") {
		t.Fatalf("bad date: %d %s", resp.StatusCode, bodyOf(resp))
	}
	if _, _, err := h.store.Document(ctx, "rongzi"); err == nil {
		t.Fatal("a refused commit stored the document")
	}
	resp := h.post(cl, "/admin/documents/commit", form(tok, "title", "天津市支持小微企业融资的若干措施", "number", "津金融〔2024〕9号", "date", "2024-03-02", "region", "天津市"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("commit: %d %s", resp.StatusCode, bodyOf(resp))
	}
	check := func(step string) {
		t.Helper()
		d, _, err := h.store.Document(ctx, "rongzi")
		if err != nil || d.Number != "津金融〔2024〕9号" || d.Date != "2024-03-02" || d.Title != "天津市支持小微企业融资的若干措施" {
			t.Errorf("%s: stored %+v, %v; want the corrected 文号 and date", step, d.Meta, err)
		}
	}
	check("commit")
	entries, _ := h.users.AuditEntries(ctx, 1)
	if len(entries) != 1 || !strings.Contains(entries[0].Detail, "更正：文号 — → 津金融〔2024〕9号；日期 2024-03-01 → 2024-03-02") {
		t.Errorf("audit %+v, want the corrections named", entries)
	}
	_, list := h.get(cl, resp.Header.Get("Location"))
	if !strings.Contains(list, "上传完成：《天津市支持小微企业融资的若干措施》（rongzi）") {
		t.Errorf("banner does not name the document by its title: %s", regexpFind(`class="notice"[^>]*>([^<]*)`, list))
	}
	// Re-ingest keeps the correction.
	if resp := h.post(cl, "/admin/documents/rongzi/reingest", url.Values{"csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reingest: %d %s", resp.StatusCode, bodyOf(resp))
	}
	check("reingest")
	// Uploading it again shows the correction in the preview, and keeps it.
	tok, body = preview()
	if !strings.Contains(body, `id="fix-number" value="津金融〔2024〕9号"`) {
		t.Error("the second preview does not show the kept correction")
	}
	if resp := h.post(cl, "/admin/documents/commit", form(tok, "number", "津金融〔2024〕9号", "date", "2024-03-02")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second commit: %d", resp.StatusCode)
	}
	check("second upload")
}
