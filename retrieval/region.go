package retrieval

import (
	"strings"

	"policybot/policy"
)

// province is a provincial-level division: its full name, the short name
// questions use (天津如何…) and its one-character abbreviation (津).
type province struct {
	full, short, abbr string
}

var provinces = []province{
	{"北京市", "北京", "京"}, {"天津市", "天津", "津"}, {"上海市", "上海", "沪"}, {"重庆市", "重庆", "渝"},
	{"河北省", "河北", "冀"}, {"山西省", "山西", "晋"}, {"辽宁省", "辽宁", "辽"}, {"吉林省", "吉林", "吉"},
	{"黑龙江省", "黑龙江", "黑"}, {"江苏省", "江苏", "苏"}, {"浙江省", "浙江", "浙"}, {"安徽省", "安徽", "皖"},
	{"福建省", "福建", "闽"}, {"江西省", "江西", "赣"}, {"山东省", "山东", "鲁"}, {"河南省", "河南", "豫"},
	{"湖北省", "湖北", "鄂"}, {"湖南省", "湖南", "湘"}, {"广东省", "广东", "粤"}, {"海南省", "海南", "琼"},
	{"四川省", "四川", "川"}, {"贵州省", "贵州", "黔"}, {"云南省", "云南", "滇"}, {"陕西省", "陕西", "陕"},
	{"甘肃省", "甘肃", "甘"}, {"青海省", "青海", "青"}, {"台湾省", "台湾", "台"},
	{"内蒙古自治区", "内蒙古", "蒙"}, {"广西壮族自治区", "广西", "桂"}, {"西藏自治区", "西藏", "藏"},
	{"宁夏回族自治区", "宁夏", "宁"}, {"新疆维吾尔自治区", "新疆", "新"},
	{"香港特别行政区", "香港", "港"}, {"澳门特别行政区", "澳门", "澳"},
}

// cityProvince maps prefecture-level cities (provincial capitals, sub-provincial
// cities and other frequently named ones) to their province, so that a
// 铁岭市 asker also prefers 辽宁省 measures.
var cityProvince = map[string]string{
	"石家庄": "河北省", "唐山": "河北省", "保定": "河北省", "廊坊": "河北省", "太原": "山西省", "大同": "山西省",
	"沈阳": "辽宁省", "大连": "辽宁省", "鞍山": "辽宁省", "铁岭": "辽宁省", "锦州": "辽宁省", "长春": "吉林省",
	"哈尔滨": "黑龙江省", "大庆": "黑龙江省", "南京": "江苏省", "苏州": "江苏省", "无锡": "江苏省", "常州": "江苏省",
	"南通": "江苏省", "泰州": "江苏省", "扬州": "江苏省", "徐州": "江苏省", "盐城": "江苏省", "杭州": "浙江省",
	"宁波": "浙江省", "温州": "浙江省", "绍兴": "浙江省", "嘉兴": "浙江省", "金华": "浙江省", "台州": "浙江省",
	"湖州": "浙江省", "合肥": "安徽省", "芜湖": "安徽省", "阜阳": "安徽省", "蚌埠": "安徽省", "福州": "福建省",
	"厦门": "福建省", "泉州": "福建省", "三明": "福建省", "漳州": "福建省", "莆田": "福建省", "南昌": "江西省",
	"赣州": "江西省", "九江": "江西省", "济南": "山东省", "青岛": "山东省", "烟台": "山东省", "潍坊": "山东省",
	"临沂": "山东省", "淄博": "山东省", "郑州": "河南省", "洛阳": "河南省", "开封": "河南省", "武汉": "湖北省",
	"宜昌": "湖北省", "襄阳": "湖北省", "长沙": "湖南省", "湘潭": "湖南省", "株洲": "湖南省", "岳阳": "湖南省",
	"广州": "广东省", "深圳": "广东省", "珠海": "广东省", "佛山": "广东省", "东莞": "广东省", "中山": "广东省",
	"汕头": "广东省", "惠州": "广东省", "海口": "海南省", "三亚": "海南省", "成都": "四川省", "绵阳": "四川省",
	"遂宁": "四川省", "宜宾": "四川省", "南充": "四川省", "贵阳": "贵州省", "遵义": "贵州省", "昆明": "云南省",
	"西安": "陕西省", "宝鸡": "陕西省", "兰州": "甘肃省", "西宁": "青海省", "呼和浩特": "内蒙古自治区",
	"包头": "内蒙古自治区", "南宁": "广西壮族自治区", "柳州": "广西壮族自治区", "桂林": "广西壮族自治区",
	"拉萨": "西藏自治区", "银川": "宁夏回族自治区", "乌鲁木齐": "新疆维吾尔自治区",
}

// canonicalRegion turns what a request or configuration names as a region
// (津, 天津, 天津市, 北京市海淀区, 全国) into the form documents carry.
func canonicalRegion(r string) string {
	r = strings.TrimSpace(r)
	switch r {
	case "国家", "中央", "全国":
		return policy.RegionNational
	}
	for _, p := range provinces {
		if r == p.abbr || r == p.short {
			return p.full
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
	for _, p := range provinces {
		if strings.HasPrefix(region, p.full) || strings.HasPrefix(region, p.short) {
			rest := strings.TrimPrefix(strings.TrimPrefix(region, p.full), p.short)
			if c := coreName(rest); c != "" {
				places = append(places, c)
			}
			return append(places, p.short)
		}
	}
	c := coreName(region)
	places = append(places, c)
	if prov, ok := cityProvince[c]; ok {
		for _, p := range provinces {
			if p.full == prov {
				places = append(places, p.short)
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
	for _, p := range provinces {
		if strings.Contains(q, p.short) {
			add(p.short)
		}
	}
	for c := range cityProvince {
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
