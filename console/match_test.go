package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"policybot/staff"
	"policybot/state"
)

// TestMatchPage: an agent enters a caller's enterprise and sees the
// policies that apply, with what is met and what to confirm; a Beijing
// firm gets none of Tianjin's; a wrong field is said, not a 500; the page
// needs a signed-in agent.
func TestMatchPage(t *testing.T) {
	h := newHarness(t)
	cl, _ := h.clientAs(staff.RoleAgent)
	resp, body := h.get(cl, "/console/match")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="region"`) || strings.Contains(body, "找到") {
		t.Fatalf("empty form: %d\n%s", resp.StatusCode, body)
	}
	resp, body = h.get(cl, "/console/match?go=1&region=天津市&industry=零售业&employees=8&revenue_wan=60&quals_known=1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "找到 4 条") || !strings.Contains(body, "《天津市支持小微企业融资的若干措施》") ||
		!strings.Contains(body, "微型企业") || !strings.Contains(body, "符合：") {
		t.Errorf("Tianjin micro retailer: %d\n%s", resp.StatusCode, body)
	}
	if _, body = h.get(cl, "/console/match?go=1&region=北京市&size=small"); !strings.Contains(body, "找到 0 条") {
		t.Errorf("a Beijing firm got Tianjin's measures:\n%s", body)
	}
	resp, body = h.get(cl, "/console/match?go=1&region=天津市&size=huge")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "企业信息有误（size）") {
		t.Errorf("bad size: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := h.get(cl, "/console/match?go=1&employees=many"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad number: %d, want 400", resp.StatusCode)
	}
	anon := h.client()
	if resp, _ := h.get(anon, "/console/match?go=1&region=天津市"); resp.StatusCode == http.StatusOK {
		t.Errorf("anonymous: %d, want a redirect to the login", resp.StatusCode)
	}
}

// TestPushesPage: admins see the push log; agents do not.
func TestPushesPage(t *testing.T) {
	h := newHarness(t)
	if err := h.state.RecordPush(context.Background(), state.PushEntry{Enterprise: "wechat:#1a2b3c", Documents: []string{"天津市支持小微企业融资的若干措施"}, Outcome: "customer_service"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := h.clientAs(staff.RoleAdmin)
	resp, body := h.get(admin, "/admin/pushes")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "wechat:#1a2b3c") || !strings.Contains(body, "天津市支持小微企业融资的若干措施") || !strings.Contains(body, "customer_service") {
		t.Errorf("push log: %d\n%s", resp.StatusCode, body)
	}
	agent, _ := h.clientAs(staff.RoleAgent)
	if resp, _ := h.get(agent, "/admin/pushes"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent: %d, want 403", resp.StatusCode)
	}
}

// TestCallerProfile: an agent keeps a caller's profile (a POST with the
// session's CSRF token, audited) and loads it again for the next call.
func TestCallerProfile(t *testing.T) {
	h := newHarness(t)
	cl, csrf := h.clientAs(staff.RoleAgent)
	form := url.Values{"csrf": {csrf}, "caller": {"022-12345678"}, "region": {"天津市"}, "size": {"micro"}, "quals_known": {"1"}, "save": {"1"}}
	resp := h.post(cl, "/console/match", form)
	body := bodyOf(resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已保存该来电企业的信息") || !strings.Contains(body, "找到 4 条") {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	p, err := h.profiles.Profile(context.Background(), "console:022-12345678")
	if err != nil || p.Region != "天津市" || p.Size != "micro" || p.Qualifications == nil {
		t.Fatalf("kept %+v, %v", p, err)
	}
	if _, body := h.get(cl, "/console/match?caller=022-12345678"); !strings.Contains(body, "已载入该来电企业保存的信息") || !strings.Contains(body, `value="天津市"`) {
		t.Errorf("load:\n%s", body)
	}
	entries, _ := h.users.AuditEntries(context.Background(), 10)
	if len(entries) == 0 || entries[0].Action != "save profile" || entries[0].Target != "console:022-12345678" {
		t.Errorf("audit %+v", entries)
	}
	form.Set("csrf", strings.Repeat("0", 64))
	if resp := h.post(cl, "/console/match", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong CSRF: %d, want 403", resp.StatusCode)
	}
}
