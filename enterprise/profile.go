package enterprise

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Size classes, largest first.
const (
	SizeLarge  = "large"
	SizeMedium = "medium"
	SizeSmall  = "small"
	SizeMicro  = "micro"
)

// Sizes are the size classes of 工信部联企业〔2011〕300号.
var Sizes = []string{SizeLarge, SizeMedium, SizeSmall, SizeMicro}

// SizeNames are the classes' Chinese names.
var SizeNames = map[string]string{SizeLarge: "大型", SizeMedium: "中型", SizeSmall: "小型", SizeMicro: "微型"}

// Industries are the 门类 of 国民经济行业分类 (GB/T 4754-2017).
var Industries = []string{
	"农、林、牧、渔业", "采矿业", "制造业", "电力、热力、燃气及水生产和供应业", "建筑业", "批发和零售业",
	"交通运输、仓储和邮政业", "住宿和餐饮业", "信息传输、软件和信息技术服务业", "金融业", "房地产业",
	"租赁和商务服务业", "科学研究和技术服务业", "水利、环境和公共设施管理业", "居民服务、修理和其他服务业",
	"教育", "卫生和社会工作", "文化、体育和娱乐业", "公共管理、社会保障和社会组织", "国际组织",
}

// Profile is what an enterprise tells about itself. Zero fields are not
// known; Qualifications nil is not known, empty is "none".
type Profile struct {
	// Region is the province, city or district: 天津市, 天津市滨海新区.
	Region string `json:"region"`
	// Size is large, medium, small or micro; empty: derived from Industry,
	// Employees and RevenueWan where the standard allows.
	Size string `json:"size"`
	// Industry is a 门类 (制造业) or an industry of the size standard
	// (零售业, 软件和信息技术服务业), which also names its 门类.
	Industry       string   `json:"industry"`
	Employees      int      `json:"employees"`   // 从业人员
	RevenueWan     float64  `json:"revenue_wan"` // 营业收入, 万元 a year
	Qualifications []string `json:"qualifications"`
	FoundedYear    int      `json:"founded_year"`
}

// Understood is a profile as the matcher reads it.
type Understood struct {
	Profile
	// Sector is the 门类 of Industry.
	Sector string `json:"sector,omitempty"`
	// SizeDerived is set when Size was worked out, not entered.
	SizeDerived bool `json:"size_derived,omitempty"`
	// SizeBasis says how: the standard's thresholds for the industry.
	SizeBasis string `json:"size_basis,omitempty"`
}

// FieldError is a profile field that cannot be read.
type FieldError struct {
	Field string `json:"field"`
	Msg   string `json:"error"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Understand checks p, derives its size class when it is not given and names
// the 门类 of its industry. now bounds the founding year.
func Understand(p Profile, now time.Time) (Understood, error) {
	p.Region = strings.TrimSpace(p.Region)
	p.Industry = strings.TrimSpace(p.Industry)
	u := Understood{Profile: p}
	if utf8Len(p.Region) > 40 {
		return u, &FieldError{"region", "too long"}
	}
	if p.Size != "" && !slices.Contains(Sizes, p.Size) {
		return u, &FieldError{"size", fmt.Sprintf("%q: want large, medium, small or micro", p.Size)}
	}
	if p.Employees < 0 || p.Employees > 10_000_000 {
		return u, &FieldError{"employees", "out of range"}
	}
	if p.RevenueWan < 0 || p.RevenueWan > 1e9 {
		return u, &FieldError{"revenue_wan", "out of range"}
	}
	if p.FoundedYear != 0 && (p.FoundedYear < 1800 || p.FoundedYear > now.Year()) {
		return u, &FieldError{"founded_year", fmt.Sprintf("%d: not a past year", p.FoundedYear)}
	}
	known := Qualifications()
	seen := map[string]bool{}
	quals := []string{}
	for _, q := range p.Qualifications {
		q = canonicalQualification(strings.TrimSpace(q))
		if !slices.Contains(known, q) {
			return u, &FieldError{"qualifications", fmt.Sprintf("unknown qualification %q (known: %s)", q, strings.Join(known, "、"))}
		}
		if !seen[q] {
			seen[q] = true
			quals = append(quals, q)
		}
	}
	if p.Qualifications != nil {
		u.Qualifications = quals
	}
	if p.Industry != "" {
		band, sector := industryOf(p.Industry)
		if sector == "" {
			return u, &FieldError{"industry", fmt.Sprintf("%q is not a 门类 of 国民经济行业分类 nor an industry of the size standard", p.Industry)}
		}
		u.Sector = sector
		if p.Size == "" && band != nil {
			if size, basis := band.classify(p.Employees, p.RevenueWan); size != "" {
				u.Size, u.SizeDerived, u.SizeBasis = size, true, basis
			}
		}
	}
	return u, nil
}

// canonicalQualification accepts the quote styles of 专精特新"小巨人".
func canonicalQualification(q string) string {
	r := strings.NewReplacer("“", `"`, "”", `"`, "「", `"`, "」", `"`)
	q = r.Replace(q)
	if q == "小巨人" || q == "专精特新小巨人" {
		return `专精特新"小巨人"`
	}
	if q == "专精特新" || q == "专精特新企业" {
		return "专精特新中小企业"
	}
	return q
}

// holds reports whether the profile holds qualification q: a 小巨人 is a
// 专精特新中小企业 too.
func (u Understood) holds(q string) bool {
	if slices.Contains(u.Qualifications, q) {
		return true
	}
	return q == "专精特新中小企业" && slices.Contains(u.Qualifications, `专精特新"小巨人"`)
}

func utf8Len(s string) int { return len([]rune(s)) }
