package policy

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

var (
	reCity     = regexp.MustCompile(`^([\p{Han}]{2,4}?)市`)
	reDistrict = regexp.MustCompile(`^([\p{Han}]{2,4}?(?:区|县))`)
	// National bodies; checked after local names so 国家税务总局天津市税务局 is local.
	reNational = regexp.MustCompile(`^(国务院|全国人民代表大会|中共中央|国家|中国人民银行|人民银行|财政部|商务部|税务总局|海关总署|审计署|` +
		`人力资源社会保障部|人力资源和社会保障部|工业和信息化部|工信部|银保监会|证监会|市场监管总局|发展改革委|[\p{Han}]{2,10}部$)`)
)

// region derives the jurisdiction from the issuer, then the title, then the
// 文号 prefix; national bodies give 全国.
func (p *parser) region() string {
	d := p.doc
	for _, s := range []string{d.Issuer, d.Title} {
		if r := placeOf(s); r != "" {
			return r
		}
	}
	if num := d.Number; num != "" {
		for _, pr := range Provinces {
			if pr.Abbr != "" && strings.HasPrefix(num, pr.Abbr) {
				return pr.Name
			}
		}
	}
	for _, s := range []string{d.Issuer, d.Title, d.Number} {
		if s == "" {
			continue
		}
		for _, part := range strings.Fields(s) {
			if reNational.MatchString(part) {
				return RegionNational
			}
		}
		if strings.HasPrefix(s, "中华人民共和国") || strings.HasPrefix(s, "国办") || strings.HasPrefix(s, "国发") {
			return RegionNational
		}
	}
	if p.src.law {
		return ""
	}
	return p.placeInText()
}

// placeInText is the last resort for a document whose issuer is written
// without its place (市市场监管委), or not at all (an unsigned city notice):
// the province or city its text names most. One mention is not enough: it
// may be a reference to elsewhere.
func (p *parser) placeInText() string {
	text := strings.Join(p.src.lines, "\n")
	best, bestN := "", 1
	for _, pr := range Provinces {
		if n := strings.Count(text, pr.Name); n > bestN {
			best, bestN = pr.Name, n
		}
	}
	if best != "" {
		return best
	}
	for _, city := range slices.Sorted(maps.Keys(CityProvince)) { // sorted: ties resolve the same way every run
		if n := strings.Count(text, city); n > bestN {
			best, bestN = CityProvince[city]+city+"市", n
		}
	}
	return best
}

// placeOf finds the place a name starts with (after a national prefix such
// as 国家税务总局 or 中国人民银行): 天津市…, 北京市海淀区…, 湘潭市… → 湖南省湘潭市.
func placeOf(s string) string {
	for _, pre := range []string{"国家税务总局", "中国人民银行", "人民银行", "国家开发银行", "中国农业发展银行", "中共"} {
		s = strings.TrimPrefix(s, pre)
	}
	for _, pr := range Provinces {
		rest, ok := strings.CutPrefix(s, pr.Name)
		if !ok {
			if rest, ok = strings.CutPrefix(s, pr.Short); !ok {
				continue
			}
		}
		region := pr.Name
		if m := reDistrict.FindString(rest); m != "" && isMunicipality(pr.Name) && !strings.HasPrefix(rest, "市") {
			region += m
		} else if m := reCity.FindStringSubmatch(rest); m != nil && !isMunicipality(pr.Name) {
			region += m[0]
		}
		return region
	}
	if m := reCity.FindStringSubmatch(s); m != nil {
		if prov, ok := CityProvince[m[1]]; ok {
			return prov + m[0]
		}
	}
	for city, prov := range CityProvince {
		if strings.HasPrefix(s, city) {
			return prov + city + "市"
		}
	}
	return ""
}

func isMunicipality(name string) bool {
	return name == "北京市" || name == "天津市" || name == "上海市" || name == "重庆市"
}

// CanonicalRegion turns what a request or configuration names as a region
// (津, 天津, 天津市, 北京市海淀区, 全国) into the form documents carry.
func CanonicalRegion(r string) string {
	r = strings.TrimSpace(r)
	switch r {
	case "国家", "中央", "全国":
		return RegionNational
	}
	for _, p := range Provinces {
		if (p.Abbr != "" && r == p.Abbr) || r == p.Short {
			return p.Name
		}
	}
	return r
}

// Places returns the places a region stands for, most specific first,
// each as the core name a document's region, issuer or title contains:
// 北京市海淀区 → [海淀, 北京]; 铁岭市 → [铁岭, 辽宁].
func Places(region string) []string {
	region = CanonicalRegion(region)
	if region == "" || region == RegionNational {
		return nil
	}
	var places []string
	for _, p := range Provinces {
		if strings.HasPrefix(region, p.Name) || strings.HasPrefix(region, p.Short) {
			rest := strings.TrimPrefix(strings.TrimPrefix(region, p.Name), p.Short)
			if c := CoreName(rest); c != "" {
				places = append(places, c)
			}
			return append(places, p.Short)
		}
	}
	c := CoreName(region)
	places = append(places, c)
	if prov, ok := CityProvince[c]; ok {
		for _, p := range Provinces {
			if p.Name == prov {
				places = append(places, p.Short)
			}
		}
	}
	return places
}

// CoreName strips the administrative suffix: 海淀区 → 海淀, 铁岭市 → 铁岭.
func CoreName(s string) string {
	for _, suf := range []string{"特别行政区", "自治区", "自治州", "新区", "地区", "省", "市", "区", "县", "州", "盟"} {
		if strings.HasSuffix(s, suf) && len([]rune(s)) > len([]rune(suf))+1 {
			return strings.TrimSuffix(s, suf)
		}
	}
	return s
}
