package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"policybot/enterprise"
	"policybot/state"
)

// The profile page: a link sent in the chat opens a form for the whole
// profile at once, for users who prefer it to the dialogue. The link's token
// names the WeChat user and an expiry, signed with a key derived from the
// account's secrets, so it is good for that user only and for a short while;
// it is the page's only credential, never logged.
const profileLinkTTL = 30 * time.Minute

var errBadLink = errors.New("profile link: bad or expired")

// linkKey derives the signing key from the account's token and secret.
func (h *Handler) linkKey() []byte {
	m := hmac.New(sha256.New, []byte(h.cfg.Token+"\x00"+h.cfg.AppSecret))
	m.Write([]byte("policybot profile link v1"))
	return m.Sum(nil)
}

// profileLink returns the page's URL for openid, valid until now+TTL; ""
// without a public base URL.
func (h *Handler) profileLink(openid string) string {
	if h.cfg.PublicBaseURL == "" {
		return ""
	}
	exp := strconv.FormatInt(h.cfg.Now().Add(profileLinkTTL).Unix(), 10)
	payload := base64.RawURLEncoding.EncodeToString([]byte(openid + "|" + exp))
	m := hmac.New(sha256.New, h.linkKey())
	m.Write([]byte(payload))
	sig := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
	return strings.TrimRight(h.cfg.PublicBaseURL, "/") + "/p/" + payload + "." + sig
}

// linkUser checks a token and returns the WeChat user it names.
func (h *Handler) linkUser(token string) (string, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", errBadLink
	}
	m := hmac.New(sha256.New, h.linkKey())
	m.Write([]byte(payload))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", errBadLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", errBadLink
	}
	openid, exp, ok := strings.Cut(string(raw), "|")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || openid == "" || h.cfg.Now().Unix() > n {
		return "", errBadLink
	}
	return openid, nil
}

var profilePage = template.Must(template.New("p").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业信息</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1em auto;max-width:34em;padding:0 1em}label{display:block;margin:.6em 0}
input,select{font:inherit;width:100%;box-sizing:border-box;padding:.3em}.q input{width:auto}.msg{padding:.6em;background:#fff4e5}
.ok{background:#e8f5e9}button{font:inherit;padding:.5em 1.5em;margin-top:1em}</style></head><body>
<h1>企业信息</h1>
<p>用于为贵企业匹配适用的惠企政策。不清楚的项可留空。</p>
{{if .Message}}<p class="msg{{if .Saved}} ok{{end}}" role="alert">{{.Message}}</p>{{end}}
<form method="post">
<label>所在地区<input name="region" value="{{.P.Region}}" placeholder="天津市 / 天津市滨海新区"></label>
<label>所属行业<input name="industry" value="{{.P.Industry}}" placeholder="制造业 / 零售业 / 软件和信息技术服务业"></label>
<label>从业人员（人）<input name="employees" inputmode="numeric" value="{{if .P.Employees}}{{.P.Employees}}{{end}}"></label>
<label>上年营业收入（万元）<input name="revenue_wan" inputmode="decimal" value="{{if .P.RevenueWan}}{{.P.RevenueWan}}{{end}}"></label>
<label>企业规模<select name="size"><option value="">按行业、人数、营业收入推算</option>
{{range .Sizes}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Name}}</option>{{end}}</select></label>
<fieldset><legend>企业资质（没有可不选）</legend>
{{range .Quals}}<label class="q"><input type="checkbox" name="qual" value="{{.Value}}"{{if .Selected}} checked{{end}}> {{.Name}}</label>{{end}}</fieldset>
<label>成立年份<input name="founded_year" inputmode="numeric" value="{{if .P.FoundedYear}}{{.P.FoundedYear}}{{end}}"></label>
<button type="submit">保存</button>
</form></body></html>`))

type choice struct {
	Value, Name string
	Selected    bool
}

// ServeProfilePage serves GET and POST /p/{token}.
func (h *Handler) ServeProfilePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL is the credential
	openid, err := h.linkUser(strings.TrimPrefix(r.URL.Path, "/p/"))
	if err != nil || h.cfg.Profiles == nil {
		http.Error(w, "链接无效或已过期，请在公众号中重新发送“设置企业信息”获取。", http.StatusForbidden)
		return
	}
	ctx := r.Context()
	p, err := h.cfg.Profiles.Profile(ctx, ProfileKey(openid))
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		h.log.Error("profile page: read", "err", err, "openid", hashID(openid))
		http.Error(w, "暂时无法读取企业信息，请稍后再试。", http.StatusServiceUnavailable)
		return
	}
	data := struct {
		P       enterprise.Profile
		Message string
		Saved   bool
		Sizes   []choice
		Quals   []choice
	}{P: p}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "表单有误。", http.StatusBadRequest)
			return
		}
		np, err := enterprise.FromForm(r.PostForm, true) // the form asks: none ticked is none
		data.P = np
		msg := ""
		if err == nil {
			_, err = enterprise.Understand(np, h.cfg.Now())
		}
		if err != nil {
			msg = "有一项填写有误：" + err.Error()
		}
		if msg == "" {
			if err := h.cfg.Profiles.SaveProfile(ctx, ProfileKey(openid), np); err != nil {
				h.log.Error("profile page: save", "err", err, "openid", hashID(openid))
				http.Error(w, "暂时无法保存，请稍后再试。", http.StatusServiceUnavailable)
				return
			}
			msg, data.Saved = "已保存。回到公众号发送“适合我的政策”查看适合贵企业的政策。", true
		}
		data.Message = msg
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	for _, s := range enterprise.Sizes {
		data.Sizes = append(data.Sizes, choice{s, enterprise.SizeNames[s], data.P.Size == s})
	}
	for _, q := range qualificationChoices() {
		data.Quals = append(data.Quals, choice{q, q, slices.Contains(data.P.Qualifications, q)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := profilePage.Execute(w, data); err != nil {
		h.log.Error("profile page: render", "err", err)
	}
}
