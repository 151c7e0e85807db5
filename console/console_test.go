package console

import (
	"bytes"
	"context"
	"html/template"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"policybot/retrieval"
	"policybot/staff"
	"policybot/state"
)

func TestRoutesByRole(t *testing.T) {
	h := newHarness(t)
	const clause = "/console/clause/xiaowei%231"
	tests := []struct {
		method, path string
		role         string // "" anonymous
		want         int
	}{
		{"GET", "/login", "", 200},
		{"GET", "/console/static/console.css", "", 200},
		{"GET", "/console", "", 303},
		{"GET", "/console?q=续贷", "", 303},
		{"GET", clause, "", 303},
		{"GET", "/console/answer?q=续贷", "", 401},
		{"GET", "/admin/documents", "", 303},
		{"GET", "/admin/unanswered", "", 303},
		{"POST", "/admin/documents/xiaowei/retire", "", 401},
		{"POST", "/logout", "", 401},

		{"GET", "/console", staff.RoleAgent, 200},
		{"GET", "/console?q=续贷", staff.RoleAgent, 200},
		{"GET", clause, staff.RoleAgent, 200},
		{"GET", "/console/clause/xiaowei%2399", staff.RoleAgent, 404},
		{"GET", "/console/clause/nodoc%231", staff.RoleAgent, 404},
		{"GET", "/console/answer?q=续贷", staff.RoleAgent, 200},
		{"GET", "/admin/documents", staff.RoleAgent, 403},
		{"GET", "/admin/unanswered", staff.RoleAgent, 403},
		{"POST", "/admin/documents/xiaowei/retire", staff.RoleAgent, 403},
		{"POST", "/admin/documents/commit", staff.RoleAgent, 403},

		{"GET", "/console", staff.RoleAdmin, 200},
		{"GET", "/admin/documents", staff.RoleAdmin, 200},
		{"GET", "/admin/unanswered", staff.RoleAdmin, 200},
		{"POST", "/admin/documents/xiaowei/reingest", staff.RoleAdmin, 409}, // an upload whose bytes were not kept
		{"POST", "/admin/documents/missing/retire", staff.RoleAdmin, 404},
		{"POST", "/admin/documents/commit", staff.RoleAdmin, 400}, // no previewed upload
	}
	clients := map[string]*http.Client{}
	tokens := map[string]string{}
	for _, role := range []string{"", staff.RoleAgent, staff.RoleAdmin} {
		clients[role], tokens[role] = h.clientAs(role)
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path + " as " + tt.role
		if tt.role == "" {
			name = tt.method + " " + tt.path + " anonymous"
		}
		t.Run(name, func(t *testing.T) {
			var resp *http.Response
			if tt.method == "GET" {
				resp, _ = h.get(clients[tt.role], tt.path)
			} else {
				resp = h.post(clients[tt.role], tt.path, url.Values{"csrf": {tokens[tt.role]}})
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == 303 && tt.role == "" {
				loc := resp.Header.Get("Location")
				if want := "/login?next=" + url.QueryEscape(strings.TrimPrefix(h.srv.URL+tt.path, h.srv.URL)); loc != want && !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("Location %q, want %q", loc, want)
				}
			}
		})
	}
}

func TestSearchPage(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	resp, body := h.get(cl, "/console?q="+url.QueryEscape("小微企业续贷怎么办"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		"《天津市支持小微企业融资的若干措施》", "津金融〔2024〕9号", "<mark>续贷</mark>", "一、加大信贷支持",
		"市金融局", "用时", `href="/console/clause/xiaowei%231"`, `id="copy-answer"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

func TestClausePage(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	resp, body := h.get(cl, "/console/clause/xiaowei%232")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"降低担保费率", "支持续贷", "推广首贷服务中心", "全文（4 条）", `class="clause current"`} {
		if !strings.Contains(body, want) {
			t.Errorf("clause page lacks %q", want)
		}
	}
}

func TestAnswerText(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	resp, body := h.get(cl, "/console/answer?q="+url.QueryEscape("小微企业续贷怎么办"))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "续贷") || !strings.Contains(body, "天津市支持小微企业融资的若干措施") {
		t.Errorf("answer lacks the clause or its citation:\n%s", body)
	}
	if resp, _ := h.get(cl, "/console/answer?q="); resp.StatusCode != 400 {
		t.Errorf("empty question: status %d, want 400", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	h := newHarness(t)
	cl, token := h.clientAs(staff.RoleAdmin)
	_, otherToken := h.clientAs(staff.RoleAdmin) // a valid token of another session
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"Missing", "", 403},
		{"Wrong", strings.Repeat("a", 64), 403},
		{"OtherSession", otherToken, 403},
		{"OK", token, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			if tt.token != "" {
				form.Set("csrf", tt.token)
			}
			resp := h.post(cl, "/admin/documents/xiaowei/retire", form)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			doc, _, err := h.store.Document(context.Background(), "xiaowei")
			if err != nil {
				t.Fatal(err)
			}
			if retired := doc.Status == retrieval.StatusRetired; retired != (tt.want == 303) {
				t.Errorf("status after request %q", doc.Status)
			}
		})
	}
	entries, _ := h.users.AuditEntries(context.Background(), 0)
	if len(entries) != 1 || entries[0].User != "admin1" || entries[0].Action != "retire" || entries[0].Target != "xiaowei" {
		t.Errorf("audit = %+v, want one retire of xiaowei by admin1", entries)
	}
	// Logging out also needs the token.
	if resp := h.post(cl, "/logout", url.Values{}); resp.StatusCode != 403 {
		t.Errorf("logout without token: status %d, want 403", resp.StatusCode)
	}
	if resp := h.post(cl, "/logout", url.Values{"csrf": {token}}); resp.StatusCode != 303 {
		t.Errorf("logout: status %d, want 303", resp.StatusCode)
	}
	if resp, _ := h.get(cl, "/console"); resp.StatusCode != 303 {
		t.Errorf("after logout /console: status %d, want a redirect to /login", resp.StatusCode)
	}
}

func TestLockout(t *testing.T) {
	h := newHarness(t)
	cl := h.client()
	try := func(password string) int {
		return h.loginPost(cl, url.Values{"name": {"agent1"}, "password": {password}}).StatusCode
	}
	for i := range maxFailures {
		if got := try("wrong password"); got != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, got)
		}
	}
	if got := try(h.password); got != 429 {
		t.Fatalf("right password while locked: status %d, want 429", got)
	}
	h.now = h.now.Add(lockoutFor - time.Minute)
	if got := try(h.password); got != 429 {
		t.Fatalf("right password 14 minutes later: status %d, want 429", got)
	}
	h.now = h.now.Add(2 * time.Minute)
	if got := try(h.password); got != 303 {
		t.Fatalf("right password after the lockout: status %d, want 303", got)
	}
	// The lockout is per account: another account was never locked.
	if got := h.loginPost(h.client(), url.Values{"name": {"admin1"}, "password": {h.password}}).StatusCode; got != 303 {
		t.Errorf("admin1 login: status %d, want 303", got)
	}
}

func TestLoginFailures(t *testing.T) {
	h := newHarness(t)
	if err := h.users.SetUserDisabled(context.Background(), "agent1", true); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, user, password string }{
		{"UnknownUser", "nobody", h.password},
		{"WrongPassword", "admin1", "not the password"},
		{"Disabled", "agent1", h.password},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.loginPost(h.client(), url.Values{"name": {tt.user}, "password": {tt.password}})
			if resp.StatusCode != 401 || !strings.Contains(bodyOf(resp), "用户名或密码错误") {
				t.Errorf("status %d, want 401 with the one message for every failure", resp.StatusCode)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("failed login set cookies %v", resp.Cookies())
			}
		})
	}
}

func TestDisabledUserLosesSession(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	if resp, _ := h.get(cl, "/console"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := h.users.SetUserDisabled(context.Background(), "agent1", true); err != nil {
		t.Fatal(err)
	}
	if resp, _ := h.get(cl, "/console"); resp.StatusCode != 303 {
		t.Errorf("disabled user: status %d, want a redirect to /login", resp.StatusCode)
	}
}

func TestSessionCookie(t *testing.T) {
	h := newHarness(t)
	h.c.cfg.SecureCookies = true
	resp := h.loginPost(h.client(), url.Values{"name": {"agent1"}, "password": {h.password}})
	cs := resp.Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) != 64 {
		t.Errorf("cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/, 64 hex", c)
	}
}

func TestLoginRedirect(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ next, want string }{
		{"", "/console"},
		{"/console?q=%E7%BB%AD%E8%B4%B7", "/console?q=%E7%BB%AD%E8%B4%B7"},
		{"/admin/documents", "/admin/documents"},
		{"https://evil.example/", "/console"},
		{"//evil.example/", "/console"},
		{"/\\evil.example", "/console"},
		{"\\\\evil.example", "/console"},
		{"javascript:alert(1)", "/console"},
		{"http:/evil.example", "/console"},
		{"/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"}, // stays a local path; the escapes are not decoded into headers
		{"evil.example", "/console"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			resp := h.loginPost(h.client(), url.Values{"name": {"admin1"}, "password": {h.password}, "next": {tt.next}})
			if resp.StatusCode != 303 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Location"); got != tt.want {
				t.Errorf("Location %q, want %q", got, tt.want)
			}
		})
	}
}

// upload previews a file as the admin client and returns the response.
func (h *harness) upload(cl *http.Client, token, name string, data []byte, replace string) *http.Response {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", token)
	mw.WriteField("replace", replace)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/admin/documents/preview", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := cl.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Header.Set("X-Test-Body", url.QueryEscape(b.String()))
	return resp
}

var uploadToken = `name="token" value="([0-9a-f]{64})"`

func TestUpload(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.ReplaceAll(testDoc, "天津市支持小微企业融资的若干措施", "天津市支持个体工商户发展的若干措施"))
	if err != nil {
		t.Fatal(err)
	}
	html := `<!doctype html><html><head><meta charset="utf-8"><title>北京市稳岗补贴办法</title><script>alert(1)</script></head><body>
<h1>北京市稳岗补贴办法</h1><p>京人社〔2024〕3号</p>
<p>第一条 为稳定就业岗位，制定本办法。</p>
<p>第二条 <b>不裁员或少裁员</b>的参保企业，可申请稳岗返还。（责任单位：市人力资源社会保障局）</p>
<p>第三条 本办法自2024年5月1日起施行。</p></body></html>`
	tests := []struct {
		name      string
		file      string
		data      []byte
		want      int
		wantText  []string // in the preview
		wantID    string   // document stored after commit
		wantTitle string
	}{
		{name: "GBK", file: "getihu.txt", data: []byte(gbk), want: 200,
			wantText: []string{"天津市支持个体工商户发展的若干措施", "支持续贷", "市金融局", "（二）"}, wantID: "getihu", wantTitle: "天津市支持个体工商户发展的若干措施"},
		{name: "HTML", file: "稳岗补贴.html", data: []byte(html), want: 200,
			wantText: []string{"北京市稳岗补贴办法", "第二条", "市人力资源社会保障局"}, wantTitle: "北京市稳岗补贴办法"},
		{name: "Empty", file: "empty.txt", data: nil, want: 400, wantText: []string{"文件为空"}},
		{name: "Blank", file: "blank.txt", data: []byte(" \n\r\n\t "), want: 400, wantText: []string{"文件为空"}},
		{name: "Binary", file: "scan.txt", data: append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 0xff, 0x13, 0x88}, 100)...), want: 400, wantText: []string{"文件不是文本"}},
		{name: "WrongType", file: "policy.docx", data: []byte("PK\x03\x04"), want: 415, wantText: []string{"只接受"}},
		{name: "TooLarge", file: "big.txt", data: bytes.Repeat([]byte("条"), 70<<10), want: 413, wantText: []string{"文件过大"}},
		{name: "NoClauses", file: "note.txt", data: []byte("随便写的一句话"), want: 400, wantText: []string{"未能识别出任何条款"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cl, token := h.clientAs(staff.RoleAdmin)
			ctx := context.Background()
			before, _ := h.store.Documents(ctx)
			resp := h.upload(cl, token, tt.file, tt.data, "")
			body := bodyOf(resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("preview status %d, want %d\n%s", resp.StatusCode, tt.want, body)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(body, w) {
					t.Errorf("preview lacks %q", w)
				}
			}
			if strings.Contains(body, "<script>alert") {
				t.Error("the upload's script reached the page unescaped")
			}
			if docs, _ := h.store.Documents(ctx); len(docs) != len(before) {
				t.Fatalf("preview stored something: %d documents, had %d", len(docs), len(before))
			}
			if tt.want != 200 {
				return
			}
			m := regexpFind(uploadToken, body)
			if m == "" {
				t.Fatal("no upload token in the preview")
			}
			resp = h.post(cl, "/admin/documents/commit", url.Values{"csrf": {token}, "token": {m}})
			if resp.StatusCode != 303 {
				t.Fatalf("commit status %d\n%s", resp.StatusCode, bodyOf(resp))
			}
			docs, _ := h.store.Documents(ctx)
			if len(docs) != len(before)+1 {
				t.Fatalf("after commit: %d documents, want %d", len(docs), len(before)+1)
			}
			var found bool
			for _, d := range docs {
				if d.Title == tt.wantTitle && (tt.wantID == "" || d.ID == tt.wantID) {
					found = true
				}
			}
			if !found {
				t.Errorf("no document titled %q (id %q) among %+v", tt.wantTitle, tt.wantID, docs)
			}
			// A token commits once.
			if resp := h.post(cl, "/admin/documents/commit", url.Values{"csrf": {token}, "token": {m}}); resp.StatusCode != 400 {
				t.Errorf("second commit: status %d, want 400", resp.StatusCode)
			}
			entries, _ := h.users.AuditEntries(ctx, 1)
			if len(entries) != 1 || entries[0].Action != "upload" || entries[0].User != "admin1" {
				t.Errorf("audit %+v, want an upload by admin1", entries)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	h := newHarness(t)
	cl, token := h.clientAs(staff.RoleAdmin)
	newer := strings.ReplaceAll(testDoc, "降至1%以下", "降至0.8%以下")
	resp := h.upload(cl, token, "whatever-name.txt", []byte(newer), "xiaowei")
	if resp.StatusCode != 200 || !strings.Contains(bodyOf(resp), "将替换已有文件 xiaowei") {
		t.Fatalf("preview status %d\n%s", resp.StatusCode, bodyOf(resp))
	}
	resp = h.post(cl, "/admin/documents/commit", url.Values{"csrf": {token}, "token": {regexpFind(uploadToken, bodyOf(resp))}})
	if resp.StatusCode != 303 {
		t.Fatalf("commit status %d", resp.StatusCode)
	}
	docs, _ := h.store.Documents(context.Background())
	_, clauses, err := h.store.Document(context.Background(), "xiaowei")
	if len(docs) != 1 || err != nil || !strings.Contains(clauses[1].Text, "0.8%") {
		t.Errorf("after replace: %d documents, clause %q, %v", len(docs), clauses[1].Text, err)
	}
	entries, _ := h.users.AuditEntries(context.Background(), 1)
	if len(entries) != 1 || entries[0].Action != "replace" || entries[0].Target != "xiaowei" {
		t.Errorf("audit %+v, want a replace of xiaowei", entries)
	}
	if resp := h.upload(cl, token, "x.txt", []byte(newer), "no-such-doc"); resp.StatusCode != 400 {
		t.Errorf("replace of a missing document: status %d, want 400", resp.StatusCode)
	}
}

func TestRetireAndActivate(t *testing.T) {
	h := newHarness(t)
	cl, token := h.clientAs(staff.RoleAdmin)
	agent, _ := h.clientAs(staff.RoleAgent)
	search := func() string {
		_, body := h.get(agent, "/console?q="+url.QueryEscape("小微企业续贷"))
		return body
	}
	if !strings.Contains(search(), "支持续贷") {
		t.Fatal("active document not found")
	}
	if resp := h.post(cl, "/admin/documents/xiaowei/retire", url.Values{"csrf": {token}}); resp.StatusCode != 303 {
		t.Fatalf("retire: status %d", resp.StatusCode)
	}
	if strings.Contains(search(), "支持续贷") {
		t.Error("retired document still retrieved")
	}
	_, list := h.get(cl, "/admin/documents")
	if !strings.Contains(list, "已停用") || !strings.Contains(list, "/admin/documents/xiaowei/activate") {
		t.Error("list does not show the retired document with an activate button")
	}
	if resp := h.post(cl, "/admin/documents/xiaowei/activate", url.Values{"csrf": {token}}); resp.StatusCode != 303 {
		t.Fatalf("activate: status %d", resp.StatusCode)
	}
	if !strings.Contains(search(), "支持续贷") {
		t.Error("re-activated document not found")
	}
}

func TestUnanswered(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	base := h.now
	for i, q := range []string{"外资企业怎么退税？", "外资企业怎么退税", "养老保险断缴怎么办", "外资企业 怎么退税？"} {
		h.state.RecordUnanswered(ctx, state.Unanswered{Question: q, Region: "天津市", Refused: i != 2, BestScore: 0.1 * float64(i), At: base.Add(time.Duration(i) * time.Minute)})
	}
	cl, _ := h.clientAs(staff.RoleAdmin)
	_, body := h.get(cl, "/admin/unanswered")
	i1, i2 := strings.Index(body, "外资企业 怎么退税？"), strings.Index(body, "养老保险断缴怎么办")
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Fatalf("groups missing or not newest first:\n%s", body)
	}
	if !strings.Contains(body, "<td>3</td>") {
		t.Error("the three forms of the tax question are not counted as one group of 3")
	}
}

func TestGroupUnanswered(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gs := groupUnanswered([]state.Unanswered{
		{Question: "续贷？", Refused: true, At: at},
		{Question: "续贷", Refused: false, BestScore: 0.4, Region: "北京市", At: at.Add(time.Hour)},
		{Question: "ＡＢＣ补贴", Refused: true, At: at.Add(-time.Hour)},
		{Question: "abc补贴", Refused: true, At: at.Add(-2 * time.Hour)},
		{Question: "  ", At: at},
	})
	if len(gs) != 2 {
		t.Fatalf("groups %+v, want 2", gs)
	}
	if g := gs[0]; g.Question != "续贷" || g.Count != 2 || g.Refused != 1 || g.Best != 0.4 || len(g.Regions) != 1 {
		t.Errorf("first group %+v", g)
	}
	if g := gs[1]; g.Count != 2 || g.Question != "ＡＢＣ补贴" {
		t.Errorf("second group %+v", g)
	}
}

func TestHighlight(t *testing.T) {
	tests := []struct {
		text  string
		terms []string
		want  template.HTML
	}{
		{"小微企业续贷", []string{"续贷"}, "小微企业<mark>续贷</mark>"},
		{"<b>续贷</b> & 担保", []string{"续贷", "担保"}, "&lt;b&gt;<mark>续贷</mark>&lt;/b&gt; &amp; <mark>担保</mark>"},
		{"a&b", []string{"&"}, "a<mark>&amp;</mark>b"},
		{"amp; lt", []string{"amp", "lt"}, "<mark>amp</mark>; <mark>lt</mark>"},
		{"续贷续贷", []string{"贷续"}, "续<mark>贷续</mark>贷"},
		{"融资担保", []string{"融资", "资担"}, "<mark>融资担</mark>保"}, // overlapping matches merge
		{"Ab AB", []string{"ab"}, "<mark>Ab</mark> <mark>AB</mark>"},
		{"无匹配", nil, "无匹配"},
		{"x", []string{""}, "x"},
	}
	for _, tt := range tests {
		if got := highlight(tt.text, tt.terms); got != tt.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", tt.text, tt.terms, got, tt.want)
		}
	}
}
