package enterprise

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// FromForm reads a profile from an HTML form's fields — region, size,
// industry, employees, revenue_wan, founded_year and each ticked qual —
// as the console's match page and the chat's profile page post them. With
// qualsAsked, qualifications not ticked are "none"; without, they are "not
// known" unless one is ticked. A number that is not one is an error naming
// its field.
func FromForm(v url.Values, qualsAsked bool) (Profile, error) {
	p := Profile{
		Region:   strings.TrimSpace(v.Get("region")),
		Size:     v.Get("size"),
		Industry: strings.TrimSpace(v.Get("industry")),
	}
	if qualsAsked || len(v["qual"]) > 0 {
		p.Qualifications = append([]string{}, v["qual"]...)
	}
	for _, f := range []struct {
		name string
		set  func(float64)
	}{
		{"employees", func(n float64) { p.Employees = int(n) }},
		{"revenue_wan", func(n float64) { p.RevenueWan = n }},
		{"founded_year", func(n float64) { p.FoundedYear = int(n) }},
	} {
		if s := strings.TrimSpace(v.Get(f.name)); s != "" {
			n, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return p, &FieldError{f.name, fmt.Sprintf("%q is not a number", s)}
			}
			f.set(n)
		}
	}
	return p, nil
}
