package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"policybot/enterprise"
	"policybot/staff"
	"policybot/state"
)

// maxMatchesListed bounds the page; the agent narrows the profile for more.
const maxMatchesListed = 50

type matchView struct {
	Profile        enterprise.Profile
	Understood     enterprise.Understood
	Done           bool // a profile was entered and matched
	Matches        []enterprise.Match
	Total          int
	Sizes          []string
	SizeNames      map[string]string
	Industries     []string
	Qualifications []string
	Caller         string // the caller the profile is kept under
	CanSave        bool
}

// Has reports whether the entered profile holds qualification q (checkbox state).
func (v *matchView) Has(q string) bool {
	for _, x := range v.Profile.Qualifications {
		if x == q {
			return true
		}
	}
	return false
}

// match is /console/match: the agent enters a caller's enterprise and sees
// the in-force policies that apply, as /api/match and "适合我的政策" list them.
// The form posts (the profile stays out of URLs and logs); GET with go=1
// matches too, for links. With a caller named (a phone number or the
// enterprise's name) the form starts from the profile kept for that
// caller, and "保存" keeps the profile entered under the caller (audited).
func (c *Console) match(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	v := &matchView{Sizes: enterprise.Sizes, SizeNames: enterprise.SizeNames, Industries: enterprise.Industries,
		Qualifications: enterprise.Qualifications(), Caller: strings.TrimSpace(q.Get("caller")), CanSave: c.cfg.Profiles != nil}
	p := page{Title: "企业政策匹配", Match: v}
	if utf8.RuneCountInString(v.Caller) > maxCallerRunes {
		return userError(http.StatusBadRequest, fmt.Sprintf("来电标识最多 %d 个字。", maxCallerRunes))
	}
	var err error
	if v.Profile, err = enterprise.FromForm(q, q.Get("quals_known") != ""); err != nil {
		return userError(http.StatusBadRequest, "企业信息有误："+err.Error())
	}
	if r.Method == http.MethodGet && q.Get("go") == "" {
		if v.Caller != "" && c.cfg.Profiles != nil {
			kept, err := c.cfg.Profiles.Profile(r.Context(), callerKey(v.Caller))
			switch {
			case err == nil:
				v.Profile, p.Notice = kept, "已载入该来电企业保存的信息。"
			case !errors.Is(err, state.ErrNotFound):
				return fmt.Errorf("console match: %w", err)
			}
		}
		return c.render(w, r, "match", si, p)
	}
	today, _ := time.Parse(time.DateOnly, c.cfg.Matcher.Today())
	u, err := enterprise.Understand(v.Profile, today)
	if err != nil {
		var fe *enterprise.FieldError
		if errors.As(err, &fe) {
			p.Message = "企业信息有误（" + fe.Field + "）：" + fe.Msg
			return c.render(w, r, "match", si, p)
		}
		return err
	}
	if r.Method == http.MethodPost && q.Get("save") != "" {
		if c.cfg.Profiles == nil || v.Caller == "" {
			return userError(http.StatusBadRequest, "请填写来电标识（电话或企业名称）再保存。")
		}
		if err := c.cfg.Profiles.SaveProfile(r.Context(), callerKey(v.Caller), v.Profile); err != nil {
			return fmt.Errorf("console save profile: %w", err)
		}
		c.audit(r, staff.AuditEntry{User: si.User.Name, Action: "save profile", Target: callerKey(v.Caller)})
		p.Notice = "已保存该来电企业的信息。"
	}
	cands, err := c.cfg.Matcher.Applicable(r.Context(), "")
	if err != nil {
		return fmt.Errorf("console match: %w", err)
	}
	ms, total := enterprise.MatchAll(u, cands, maxMatchesListed)
	v.Understood, v.Done, v.Total, v.Matches = u, true, total, ms
	c.log.Info("console match", "user", si.User.Name, "matches", total)
	return c.render(w, r, "match", si, p)
}

// maxCallerRunes bounds a caller's name or number.
const maxCallerRunes = 40

// callerKey is where the console keeps a caller's profile.
func callerKey(caller string) string { return "console:" + caller }
