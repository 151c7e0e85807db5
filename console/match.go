package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"policybot/enterprise"
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
func (c *Console) match(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	q := r.URL.Query()
	v := &matchView{Sizes: enterprise.Sizes, SizeNames: enterprise.SizeNames, Industries: enterprise.Industries,
		Qualifications: enterprise.Qualifications()}
	p := page{Title: "企业政策匹配", Match: v}
	v.Profile = enterprise.Profile{
		Region:   strings.TrimSpace(q.Get("region")),
		Size:     q.Get("size"),
		Industry: strings.TrimSpace(q.Get("industry")),
	}
	num := func(name string) (float64, error) {
		s := strings.TrimSpace(q.Get(name))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, userError(http.StatusBadRequest, fmt.Sprintf("%s 应为数字：%q", name, s))
		}
		return n, nil
	}
	emp, err := num("employees")
	if err != nil {
		return err
	}
	rev, err := num("revenue_wan")
	if err != nil {
		return err
	}
	year, err := num("founded_year")
	if err != nil {
		return err
	}
	v.Profile.Employees, v.Profile.RevenueWan, v.Profile.FoundedYear = int(emp), rev, int(year)
	if q.Get("quals_known") != "" {
		v.Profile.Qualifications = append([]string{}, q["qual"]...)
	}
	if q.Get("go") == "" {
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
	cands, err := c.cfg.Matcher.Applicable(r.Context(), "")
	if err != nil {
		return fmt.Errorf("console match: %w", err)
	}
	ms, total := enterprise.MatchAll(u, cands, maxMatchesListed)
	v.Understood, v.Done, v.Total, v.Matches = u, true, total, ms
	c.log.Info("console match", "user", si.User.Name, "matches", total)
	return c.render(w, r, "match", si, p)
}
