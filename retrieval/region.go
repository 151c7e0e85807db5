package retrieval

import (
	"strings"

	"policybot/policy"
)

// regionPlaces is policy.Places.
func regionPlaces(region string) []string { return policy.Places(region) }

// mentionedPlaces returns the places a question names itself (天津如何…,
// 北京市对于…, 铁岭市…), provinces before cities, without duplicates. known
// holds further core names (from the corpus's own document regions).
func mentionedPlaces(q string, known []string) []string {
	var out []string
	add := func(p string) {
		for _, o := range out {
			if o == p || strings.Contains(o, p) {
				return
			}
		}
		out = append(out, p)
	}
	for _, p := range policy.Provinces {
		if strings.Contains(q, p.Short) {
			add(p.Short)
		}
	}
	for c := range policy.CityProvince {
		if strings.Contains(q, c) {
			add(c)
		}
	}
	for _, k := range known {
		if len([]rune(k)) >= 2 && strings.Contains(q, k) {
			add(k)
		}
	}
	return out
}

// inPlace reports whether document d belongs to one of places: its region
// names the place, or, for documents whose region says less (a parser may
// only know the province), its issuer or title does.
func inPlace(d policy.Meta, places []string) bool {
	for _, p := range places {
		if strings.Contains(d.Region, p) || strings.Contains(d.Issuer, p) || strings.Contains(d.Title, p) {
			return true
		}
	}
	return false
}
