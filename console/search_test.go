package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"policybot/staff"
)

// bjDoc is testDoc's twin from another region, so the region a search is
// for decides which comes first.
const bjDoc = `北京市支持小微企业融资的若干措施
京金融〔2024〕3号

一、加大信贷支持
（一）支持续贷。对流动资金贷款到期后仍有融资需求、又临时存在资金困难的小微企业，银行可按规定办理续贷，不得抽贷、断贷。（责任单位：市金融监管局）
（二）降低担保费率。政府性融资担保机构对小微企业担保费率降至1%以下。（责任单位：市财政局）

北京市地方金融监督管理局
2024年5月8日
`

func TestWholeTerms(t *testing.T) {
	tests := []struct {
		q        string
		want     []string
		not      []string
		text     string // highlighted with the terms of q
		wantMark string // "" : nothing marked
	}{
		{q: "销项税额怎么算", want: []string{"销项税额"}, not: []string{"项税", "税额", "销项"},
			text: "准予从销项税额中抵扣的进项税额", wantMark: "<mark>销项税额</mark>"},
		{q: "销项税额怎么算", text: "进项税额是指购进货物支付的税额"},
		{q: "小微企业续贷怎么办", want: []string{"小微企业", "续贷"}, not: []string{"业续", "么办", "微企"},
			text: "小微企业可以办理续贷", wantMark: "<mark>小微企业</mark>可以办理<mark>续贷</mark>"},
	}
	for _, tt := range tests {
		t.Run(tt.q+"/"+tt.text, func(t *testing.T) {
			got := wholeTerms(tt.q)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("wholeTerms(%q) = %q, lacks %q", tt.q, got, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("wholeTerms(%q) = %q, holds the fragment %q", tt.q, got, n)
				}
			}
			h := string(highlight(tt.text, got))
			if tt.wantMark == "" && strings.Contains(h, "<mark>") {
				t.Errorf("highlight(%q) = %q, want nothing marked", tt.text, h)
			}
			if tt.wantMark != "" && !strings.Contains(h, tt.wantMark) {
				t.Errorf("highlight(%q) = %q, want %q", tt.text, h, tt.wantMark)
			}
		})
	}
}

// firstGroup is the title of the first document on a search page.
func firstGroup(body string) string {
	return regexpFind(`(?s)<li class="group">\s*<div class="doc">《([^》]+)》`, body)
}

func TestSearchRegionOfAgent(t *testing.T) {
	h := newHarness(t)
	if _, err := h.ingest(context.Background(), "beijing.txt", []byte(bjDoc)); err != nil {
		t.Fatal(err)
	}
	cl, csrf := h.clientAs(staff.RoleAgent)
	search := func(extra string) string {
		t.Helper()
		resp, body := h.get(cl, "/console?q="+url.QueryEscape("小微企业续贷")+extra)
		if resp.StatusCode != 200 {
			t.Fatalf("search%s: status %d", extra, resp.StatusCode)
		}
		return body
	}
	if got := firstGroup(search("")); got != "天津市支持小微企业融资的若干措施" {
		t.Errorf("no own region: first %q, want the server's region (天津市) first", got)
	}
	if resp := h.post(cl, "/console/settings", url.Values{"region": {"北京市"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("settings without CSRF: status %d, want 403", resp.StatusCode)
	}
	if resp := h.post(cl, "/console/settings", url.Values{"csrf": {csrf}, "region": {"<b>北京</b>"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("settings with markup: status %d, want 400", resp.StatusCode)
	}
	if resp := h.post(cl, "/console/settings", url.Values{"csrf": {csrf}, "region": {"北京市"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: status %d %s", resp.StatusCode, bodyOf(resp))
	}
	if u, _ := h.users.User(context.Background(), "agent1"); u.Region != "北京市" {
		t.Fatalf("agent1's region %q, want 北京市", u.Region)
	}
	body := search("")
	if got := firstGroup(body); got != "北京市支持小微企业融资的若干措施" {
		t.Errorf("own region 北京市: first %q, want the Beijing measures", got)
	}
	if !strings.Contains(body, `id="region" value="北京市"`) {
		t.Error("the region box does not show the agent's region")
	}
	if got := firstGroup(search("&region=" + url.QueryEscape("天津市"))); got != "天津市支持小微企业融资的若干措施" {
		t.Errorf("typed region 天津市 over own 北京市: first %q", got)
	}
	// Another agent keeps the server's default.
	admin, _ := h.clientAs(staff.RoleAdmin)
	if _, body := h.get(admin, "/console?q="+url.QueryEscape("小微企业续贷")); firstGroup(body) != "天津市支持小微企业融资的若干措施" {
		t.Errorf("admin1 (no own region) got %q first", firstGroup(body))
	}
}

func TestSearchFilters(t *testing.T) {
	h := newHarness(t)
	if _, err := h.ingest(context.Background(), "beijing.txt", []byte(bjDoc)); err != nil {
		t.Fatal(err)
	}
	cl, _ := h.clientAs(staff.RoleAgent)
	tj, bj := "天津市支持小微企业融资的若干措施", "北京市支持小微企业融资的若干措施"
	tests := []struct {
		name   string
		params string
		status int
		want   []string // document titles listed
		not    []string
	}{
		{"None", "", 200, []string{tj, bj}, nil},
		{"Issuer", "&issuer=" + url.QueryEscape("北京市"), 200, []string{bj}, []string{tj}},
		{"DateFrom", "&from=2024-04-01", 200, []string{bj}, []string{tj}},
		{"DateTo", "&to=2024-04-01", 200, []string{tj}, []string{bj}},
		{"KindNotice", "&kind=notice", 200, []string{tj, bj}, nil},
		{"KindLaw", "&kind=law", 200, nil, []string{tj, bj}},
		{"ErrKind", "&kind=poem", 400, nil, nil},
		{"ErrDate", "&from=2024-13-01", 400, nil, nil},
		{"ErrRange", "&from=2024-06-01&to=2024-01-01", 400, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.get(cl, "/console?q="+url.QueryEscape("小微企业续贷")+tt.params)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, "《"+w+"》") {
					t.Errorf("%s not listed", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, "《"+n+"》") {
					t.Errorf("%s listed", n)
				}
			}
		})
	}
}

// TestSearchGroups: several clauses of one document are one group.
func TestSearchGroups(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	_, body := h.get(cl, "/console?q="+url.QueryEscape("小微企业续贷 担保费率"))
	if n := strings.Count(body, `<li class="group">`); n != 1 {
		t.Errorf("%d groups, want the one document's", n)
	}
	if n := strings.Count(body, `<li class="hit">`); n < 2 {
		t.Errorf("%d clauses in the group, want at least 2", n)
	}
	if !regexp.MustCompile(`找到 \d+ 条（1 个文件）`).MatchString(body) {
		t.Errorf("count line missing: %s", regexpFind(`id="took">([^<]*)`, body))
	}
}

func TestClauseNav(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	from := url.QueryEscape("q=续贷&region=天津市&evil=https://x.example&status=in_force")
	_, body := h.get(cl, "/console/clause/xiaowei%232?from="+from)
	back := "/console?q=" + url.QueryEscape("续贷") + "&amp;region=" + url.QueryEscape("天津市") + "&amp;status=in_force"
	next := `href="/console/clause/xiaowei%233?from=`
	for _, want := range []string{
		`id="back"`, `href="` + back + `"`, `href="/console/clause/xiaowei%231?from=`, next, "第 2 / 4 条",
		"<li>一、加大信贷支持</li>", `id="copy-clause"`, `data-q="续贷"`, `class="clause current" id="c2"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("clause page lacks %s", want)
		}
	}
	if strings.Contains(body, "x.example") {
		t.Error("the back link carries a parameter that is no search's")
	}
	cite := regexpFind(`id="copy-clause" data-text="([^"]*)"`, body)
	for _, want := range []string{"降低担保费率", "《天津市支持小微企业融资的若干措施》", "津金融〔2024〕9号", "市财政局"} {
		if !strings.Contains(cite, want) {
			t.Errorf("复制原文 text %q lacks %q", cite, want)
		}
	}
	// Without from, the Referer of a console search gives the back link; another site's does not.
	for _, tt := range []struct{ referer, want string }{
		{h.srv.URL + "/console?q=" + url.QueryEscape("担保"), `href="/console?q=` + url.QueryEscape("担保") + `"`},
		{"https://evil.example/console?q=x", `href="/console" id="back"`},
		{"", `href="/console" id="back"`},
	} {
		req, _ := http.NewRequest("GET", h.srv.URL+"/console/clause/xiaowei%231", nil)
		if tt.referer != "" {
			req.Header.Set("Referer", tt.referer)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(resp)
		if !strings.Contains(b, tt.want) {
			t.Errorf("Referer %q: back link %q, want %s", tt.referer, regexpFind(`(<a href="[^"]*" id="back")`, b), tt.want)
		}
		if strings.Contains(b, `id="prev"`) {
			t.Error("the first clause links to a clause before it")
		}
	}
}
