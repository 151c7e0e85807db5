package retrieval

import (
	"strings"

	"policybot/policy"
)

// canonicalRegion turns what a request or configuration names as a region
// (津, 天津, 天津市, 北京市海淀区, 全国) into the form documents carry.
func canonicalRegion(r string) string {
	r = strings.TrimSpace(r)
	switch r {
	case "国家", "中央", "全国":
		return policy.RegionNational
	}
	for _, p := range policy.Provinces {
		if (p.Abbr != "" && r == p.Abbr) || r == p.Short {
			return p.Name
		}
	}
	return r
}

// regionPlaces returns the places a region stands for, most specific first,
// each as the core name a document's region, issuer or title contains:
// 北京市海淀区 → [海淀, 北京]; 铁岭市 → [铁岭, 辽宁].
func regionPlaces(region string) []string {
	region = canonicalRegion(region)
	if region == "" || region == policy.RegionNational {
		return nil
	}
	var places []string
	for _, p := range policy.Provinces {
		if strings.HasPrefix(region, p.Name) || strings.HasPrefix(region, p.Short) {
			rest := strings.TrimPrefix(strings.TrimPrefix(region, p.Name), p.Short)
			if c := coreName(rest); c != "" {
				places = append(places, c)
			}
			return append(places, p.Short)
		}
	}
	c := coreName(region)
	places = append(places, c)
	if prov, ok := policy.CityProvince[c]; ok {
		for _, p := range policy.Provinces {
			if p.Name == prov {
				places = append(places, p.Short)
			}
		}
	}
	return places
}

// coreName strips the administrative suffix: 海淀区 → 海淀, 铁岭市 → 铁岭.
func coreName(s string) string {
	for _, suf := range []string{"特别行政区", "自治区", "自治州", "新区", "地区", "省", "市", "区", "县", "州", "盟"} {
		if strings.HasSuffix(s, suf) && len([]rune(s)) > len([]rune(suf))+1 {
			return strings.TrimSuffix(s, suf)
		}
	}
	return s
}

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
