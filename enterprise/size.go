package enterprise

import (
	"fmt"
	"strings"
)

// The size standard: 《中小企业划型标准规定》(工信部联企业〔2011〕300号)
// classes an enterprise by its industry's thresholds on 从业人员,
// 营业收入 and 资产总额. An enterprise at or above both of a class's
// thresholds is at least of that class ("X及以上，且Y及以上"); below either
// of the small class's it is micro ("X以下或Y以下"). Profiles carry no
// 资产总额, so where the standard needs it only what the other measure
// decides is derived (营业收入300万元以下 is micro in 建筑业 whatever the
// assets); otherwise the size is left to the enterprise to enter.

type measure int

const (
	none measure = iota
	employees
	revenue
	assets
)

var measureNames = map[measure]string{employees: "从业人员", revenue: "营业收入", assets: "资产总额"}
var measureUnits = map[measure]string{employees: "人", revenue: "万元", assets: "万元"}

// band is one industry of the standard: its measures and each class's
// lower thresholds (large, medium, small).
type band struct {
	name     string
	measures [2]measure // the second may be none
	large    [2]float64
	medium   [2]float64
	small    [2]float64
}

var bands = []band{
	{"农、林、牧、渔业", [2]measure{revenue}, [2]float64{20000}, [2]float64{500}, [2]float64{50}},
	{"工业", [2]measure{employees, revenue}, [2]float64{1000, 40000}, [2]float64{300, 2000}, [2]float64{20, 300}},
	{"建筑业", [2]measure{revenue, assets}, [2]float64{80000, 80000}, [2]float64{6000, 5000}, [2]float64{300, 300}},
	{"批发业", [2]measure{employees, revenue}, [2]float64{200, 40000}, [2]float64{20, 5000}, [2]float64{5, 1000}},
	{"零售业", [2]measure{employees, revenue}, [2]float64{300, 20000}, [2]float64{50, 500}, [2]float64{10, 100}},
	{"交通运输业", [2]measure{employees, revenue}, [2]float64{1000, 30000}, [2]float64{300, 3000}, [2]float64{20, 200}},
	{"仓储业", [2]measure{employees, revenue}, [2]float64{200, 30000}, [2]float64{100, 1000}, [2]float64{20, 100}},
	{"邮政业", [2]measure{employees, revenue}, [2]float64{1000, 30000}, [2]float64{300, 2000}, [2]float64{20, 100}},
	{"住宿业", [2]measure{employees, revenue}, [2]float64{300, 10000}, [2]float64{100, 2000}, [2]float64{10, 100}},
	{"餐饮业", [2]measure{employees, revenue}, [2]float64{300, 10000}, [2]float64{100, 2000}, [2]float64{10, 100}},
	{"信息传输业", [2]measure{employees, revenue}, [2]float64{2000, 100000}, [2]float64{100, 1000}, [2]float64{10, 100}},
	{"软件和信息技术服务业", [2]measure{employees, revenue}, [2]float64{300, 10000}, [2]float64{100, 1000}, [2]float64{10, 50}},
	{"房地产开发经营", [2]measure{revenue, assets}, [2]float64{200000, 10000}, [2]float64{1000, 5000}, [2]float64{100, 2000}},
	{"物业管理", [2]measure{employees, revenue}, [2]float64{1000, 5000}, [2]float64{300, 1000}, [2]float64{100, 500}},
	{"租赁和商务服务业", [2]measure{employees, assets}, [2]float64{300, 120000}, [2]float64{100, 8000}, [2]float64{10, 100}},
	{"其他未列明行业", [2]measure{employees}, [2]float64{300}, [2]float64{100}, [2]float64{10}},
}

func bandNamed(name string) *band {
	for i := range bands {
		if bands[i].name == name {
			return &bands[i]
		}
	}
	return nil
}

// industryNames maps the industries a profile may name to their band of the
// size standard (empty: the 门类 spans several bands, e.g. 批发和零售业) and
// their 门类.
var industryNames = func() map[string][2]string {
	m := map[string][2]string{
		"农、林、牧、渔业": {"农、林、牧、渔业", "农、林、牧、渔业"}, "农业": {"农、林、牧、渔业", "农、林、牧、渔业"},
		"采矿业": {"工业", "采矿业"}, "制造业": {"工业", "制造业"}, "工业": {"工业", "制造业"},
		"电力、热力、燃气及水生产和供应业": {"工业", "电力、热力、燃气及水生产和供应业"},
		"建筑业":    {"建筑业", "建筑业"},
		"批发和零售业": {"", "批发和零售业"}, "批发业": {"批发业", "批发和零售业"}, "零售业": {"零售业", "批发和零售业"},
		"交通运输、仓储和邮政业": {"", "交通运输、仓储和邮政业"}, "交通运输业": {"交通运输业", "交通运输、仓储和邮政业"},
		"仓储业": {"仓储业", "交通运输、仓储和邮政业"}, "邮政业": {"邮政业", "交通运输、仓储和邮政业"},
		"住宿和餐饮业": {"住宿业", "住宿和餐饮业"}, "住宿业": {"住宿业", "住宿和餐饮业"}, "餐饮业": {"餐饮业", "住宿和餐饮业"},
		"信息传输、软件和信息技术服务业": {"", "信息传输、软件和信息技术服务业"},
		"信息传输业":      {"信息传输业", "信息传输、软件和信息技术服务业"},
		"软件和信息技术服务业": {"软件和信息技术服务业", "信息传输、软件和信息技术服务业"},
		"金融业":        {"", "金融业"},
		"房地产业":       {"", "房地产业"}, "房地产开发经营": {"房地产开发经营", "房地产业"}, "物业管理": {"物业管理", "房地产业"},
		"租赁和商务服务业":       {"租赁和商务服务业", "租赁和商务服务业"},
		"公共管理、社会保障和社会组织": {"", "公共管理、社会保障和社会组织"}, "国际组织": {"", "国际组织"},
	}
	for _, s := range []string{"科学研究和技术服务业", "水利、环境和公共设施管理业", "居民服务、修理和其他服务业", "教育", "卫生和社会工作", "文化、体育和娱乐业"} {
		m[s] = [2]string{"其他未列明行业", s}
	}
	return m
}()

// industryOf returns the size band (nil when the name spans several) and
// the 门类 of an industry name; "" when the name is not known.
func industryOf(name string) (*band, string) {
	v, ok := industryNames[name]
	if !ok {
		return nil, ""
	}
	return bandNamed(v[0]), v[1]
}

// classify derives the size class from employees and revenue (0: not
// given); "" when they do not decide it.
func (b *band) classify(emp int, rev float64) (string, string) {
	value := func(m measure) (float64, bool) {
		switch m {
		case employees:
			return float64(emp), emp > 0
		case revenue:
			return rev, rev > 0
		}
		return 0, false
	}
	// at tells whether the enterprise reaches both thresholds th: false
	// as soon as one known measure is below, unknown while any is missing.
	at := func(th [2]float64) (reached, known bool) {
		reached, known = true, true
		for i, m := range b.measures {
			if m == none {
				continue
			}
			v, ok := value(m)
			switch {
			case ok && v < th[i]:
				return false, true
			case !ok:
				known = false
			}
		}
		return reached && known, known
	}
	// Each class's thresholds in turn: below the small ones is micro,
	// below the medium ones (having reached the small) is small, and so on.
	steps := []struct {
		th    [2]float64
		below string
	}{{b.small, SizeMicro}, {b.medium, SizeSmall}, {b.large, SizeMedium}}
	for i, step := range steps {
		reached, known := at(step.th)
		if !known {
			return "", ""
		}
		if !reached {
			if i == 0 {
				return SizeMicro, b.basis(step.th, false, SizeMicro)
			}
			return step.below, b.basis(steps[i-1].th, true, step.below)
		}
	}
	return SizeLarge, b.basis(b.large, true, SizeLarge)
}

// basis words the thresholds that decided, e.g. "零售业：从业人员10人及以上
// 且营业收入100万元及以上，为小型（工信部联企业〔2011〕300号）".
func (b *band) basis(th [2]float64, reached bool, class string) string {
	var parts []string
	for i, m := range b.measures {
		if m == none {
			continue
		}
		cmp := "以下"
		if reached {
			cmp = "及以上"
		}
		parts = append(parts, fmt.Sprintf("%s%g%s%s", measureNames[m], th[i], measureUnits[m], cmp))
	}
	join := "或"
	if reached {
		join = "且"
	}
	return b.name + "：" + strings.Join(parts, join) + "，为" + SizeNames[class] + "（工信部联企业〔2011〕300号）"
}
