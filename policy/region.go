package policy

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// provinces maps provincial-level names to their one-character abbreviation
// used in 文号 prefixes (津中小企组, 京政办发, 粤府).
var provinces = []struct{ name, short, abbr string }{
	{"北京市", "北京", "京"}, {"天津市", "天津", "津"}, {"上海市", "上海", "沪"}, {"重庆市", "重庆", "渝"},
	{"河北省", "河北", "冀"}, {"山西省", "山西", "晋"}, {"辽宁省", "辽宁", "辽"}, {"吉林省", "吉林", "吉"},
	{"黑龙江省", "黑龙江", "黑"}, {"江苏省", "江苏", "苏"}, {"浙江省", "浙江", "浙"}, {"安徽省", "安徽", "皖"},
	{"福建省", "福建", "闽"}, {"江西省", "江西", "赣"}, {"山东省", "山东", "鲁"}, {"河南省", "河南", "豫"},
	{"湖北省", "湖北", "鄂"}, {"湖南省", "湖南", "湘"}, {"广东省", "广东", "粤"}, {"海南省", "海南", "琼"},
	{"四川省", "四川", "川"}, {"贵州省", "贵州", "黔"}, {"云南省", "云南", "滇"}, {"陕西省", "陕西", "陕"},
	{"甘肃省", "甘肃", "甘"}, {"青海省", "青海", "青"}, {"台湾省", "台湾", ""},
	{"内蒙古自治区", "内蒙古", "内蒙古"}, {"广西壮族自治区", "广西", "桂"}, {"西藏自治区", "西藏", "藏"},
	{"宁夏回族自治区", "宁夏", "宁"}, {"新疆维吾尔自治区", "新疆", "新"},
	{"香港特别行政区", "香港", ""}, {"澳门特别行政区", "澳门", ""},
}

// cities maps prefecture-level cities (those in the corpus and the larger
// ones) to their province, so a city's region reads 湖南省湘潭市 and
// matches the province's documents by prefix.
var cities = map[string]string{
	"石家庄": "河北省", "太原": "山西省", "沈阳": "辽宁省", "大连": "辽宁省", "铁岭": "辽宁省", "长春": "吉林省",
	"哈尔滨": "黑龙江省", "南京": "江苏省", "苏州": "江苏省", "无锡": "江苏省", "泰州": "江苏省", "南通": "江苏省",
	"杭州": "浙江省", "宁波": "浙江省", "温州": "浙江省", "绍兴": "浙江省", "台州": "浙江省", "合肥": "安徽省", "阜阳": "安徽省",
	"福州": "福建省", "厦门": "福建省", "泉州": "福建省", "三明": "福建省", "南昌": "江西省", "济南": "山东省", "青岛": "山东省",
	"烟台": "山东省", "郑州": "河南省", "南阳": "河南省", "洛阳": "河南省", "武汉": "湖北省", "长沙": "湖南省", "湘潭": "湖南省",
	"广州": "广东省", "深圳": "广东省", "东莞": "广东省", "佛山": "广东省", "海口": "海南省", "成都": "四川省", "遂宁": "四川省",
	"贵阳": "贵州省", "昆明": "云南省", "西安": "陕西省", "兰州": "甘肃省", "西宁": "青海省", "南宁": "广西壮族自治区",
	"呼和浩特": "内蒙古自治区", "拉萨": "西藏自治区", "银川": "宁夏回族自治区", "乌鲁木齐": "新疆维吾尔自治区",
}

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
		for _, pr := range provinces {
			if pr.abbr != "" && strings.HasPrefix(num, pr.abbr) {
				return pr.name
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
	for _, pr := range provinces {
		if n := strings.Count(text, pr.name); n > bestN {
			best, bestN = pr.name, n
		}
	}
	if best != "" {
		return best
	}
	for _, city := range slices.Sorted(maps.Keys(cities)) { // sorted: ties resolve the same way every run
		if n := strings.Count(text, city); n > bestN {
			best, bestN = cities[city]+city+"市", n
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
	for _, pr := range provinces {
		rest, ok := strings.CutPrefix(s, pr.name)
		if !ok {
			if rest, ok = strings.CutPrefix(s, pr.short); !ok {
				continue
			}
		}
		region := pr.name
		if m := reDistrict.FindString(rest); m != "" && isMunicipality(pr.name) && !strings.HasPrefix(rest, "市") {
			region += m
		} else if m := reCity.FindStringSubmatch(rest); m != nil && !isMunicipality(pr.name) {
			region += m[0]
		}
		return region
	}
	if m := reCity.FindStringSubmatch(s); m != nil {
		if prov, ok := cities[m[1]]; ok {
			return prov + m[0]
		}
	}
	for city, prov := range cities {
		if strings.HasPrefix(s, city) {
			return prov + city + "市"
		}
	}
	return ""
}

func isMunicipality(name string) bool {
	return name == "北京市" || name == "天津市" || name == "上海市" || name == "重庆市"
}
