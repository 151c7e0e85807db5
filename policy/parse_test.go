package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"policybot/testenv"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const seedFile = "../seeds/000_28e46f3fd46f944c.txt"

func clauseByLabel(t *testing.T, d *Document, label string) Clause {
	t.Helper()
	for _, c := range d.Clauses {
		if c.Label == label {
			return c
		}
	}
	t.Fatalf("no clause %s in %s", label, d.ID)
	return Clause{}
}

func TestParseSeed(t *testing.T) {
	d, err := ParseFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(d.Clauses); got != 24 {
		t.Errorf("clauses = %d, want 24", got)
	}
	for _, tc := range []struct{ field, got, want string }{
		{"id", d.ID, "000_28e46f3fd46f944c"},
		{"title", d.Title, "天津市提升中小企业竞争力若干措施"},
		{"number", d.Number, "津中小企组〔2022〕2号"},
		{"issuer", d.Issuer, "天津市促进中小企业发展工作领导小组办公室"},
		{"date", d.Date, "2022-06-18"},
		{"region", d.Region, "天津市"},
		{"kind", d.Kind, KindNotice},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.field, tc.got, tc.want)
		}
	}
	c := clauseByLabel(t, d, "（四）")
	if c.ID != "000_28e46f3fd46f944c#4" {
		t.Errorf("（四） id = %q", c.ID)
	}
	if !strings.Contains(c.Text, "无还本续贷") {
		t.Errorf("（四） text lacks 无还本续贷: %q", c.Text)
	}
	if strings.Contains(c.Text, "责任单位") {
		t.Errorf("（四） text keeps the agency note: %q", c.Text)
	}
	wantAg := []string{"人民银行天津分行", "天津银保监局", "市金融局", "市财政局", "市工业和信息化局", "市知识产权局", "国家开发银行天津分行"}
	if !reflect.DeepEqual(c.Agencies, wantAg) {
		t.Errorf("（四） agencies = %v, want %v", c.Agencies, wantAg)
	}
	if want := []string{"二、加大融资支持力度", "（四）加强信贷支持"}; !reflect.DeepEqual(c.Path, want) {
		t.Errorf("（四） path = %q, want %q", c.Path, want)
	}
	if c.Title != "加强信贷支持" {
		t.Errorf("（四） title = %q", c.Title)
	}
	// The seed is cut off mid-sentence and followed by site chrome: the cut is stated.
	last := d.Clauses[len(d.Clauses)-1]
	if last.Label != "（二十四）" || !strings.HasSuffix(last.Text, "绿色制造工"+truncatedMark) {
		t.Errorf("last clause = %s %q", last.Label, last.Text)
	}
	checkDocument(t, d)
	golden(t, "seed.golden.json", d)
}

// golden compares v as indented JSON with testdata/name (-update rewrites it).
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the parse; diff it after go test -run %s -update", path, t.Name())
	}
}

var chrome = []string{"加盟电话", "精确检索", "开始检索", "【政府扶持政策】相关法规", "扫一扫在手机打开当前页",
	"相关解读", "打印本页", "关闭窗口", "分享到", "此件主动公开", "此件公开发布"}

// checkDocument asserts what must hold for any parsed document.
func checkDocument(t *testing.T, d *Document) {
	t.Helper()
	seen := map[string]bool{}
	for i, c := range d.Clauses {
		if want := d.ID + "#" + strconv.Itoa(i+1); c.ID != want {
			t.Errorf("%s: clause %d id = %q, want %q", d.ID, i+1, c.ID, want)
		}
		if strings.TrimSpace(c.Text) == "" {
			t.Errorf("%s: heading without body", c.ID)
		}
		if h, ok := matchHeading(firstLine(c.Text)); ok && c.Label != "" {
			if own, _ := matchHeading(c.Label + "x"); own.rank == h.rank {
				t.Errorf("%s (%s): text starts with a heading of its own level: %q", c.ID, c.Label, truncate(c.Text, 30))
			}
		}
		for _, s := range chrome {
			if strings.Contains(c.Text, s) || strings.Contains(strings.Join(c.Path, ""), s) {
				t.Errorf("%s: chrome %q in clause", c.ID, s)
			}
		}
		if c.Label != "" {
			key := strings.Join(c.Path[:max(len(c.Path)-1, 0)], "/") + "/" + c.Label
			if seen[key] {
				t.Errorf("%s: label %s repeated under the same path", c.ID, key)
			}
			seen[key] = true
		}
		if c.Agencies == nil || c.Path == nil {
			t.Errorf("%s: nil agencies or path (JSON null)", c.ID)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func TestParseLaw(t *testing.T) {
	dir := testenv.Shared(t)
	d, err := ParseFile(filepath.Join(dir, "corpus", "laws", "npcsc-2017-zhongxiao-qiye-cujinfa.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clauses) != 61 {
		t.Errorf("articles = %d, want 61", len(d.Clauses))
	}
	if d.Title != "中华人民共和国中小企业促进法" || d.Kind != KindLaw || d.Region != RegionNational {
		t.Errorf("meta = %q %q %q", d.Title, d.Kind, d.Region)
	}
	if d.Date != "2017-09-01" || d.Issuer != "全国人民代表大会常务委员会" {
		t.Errorf("date, issuer = %q, %q", d.Date, d.Issuer)
	}
	for i, c := range d.Clauses {
		if len(c.Path) != 2 || !strings.HasPrefix(c.Path[0], "第") || !strings.Contains(c.Path[0], "章 ") || c.Path[1] != c.Label {
			t.Errorf("%s path = %q", c.ID, c.Path)
		}
		if want := "第" + cnNumeral(i+1) + "条"; c.Label != want {
			t.Errorf("clause %d label = %q, want %q", i+1, c.Label, want)
		}
	}
	c := clauseByLabel(t, d, "第二十三条")
	if c.Path[0] != "第三章 融资促进" {
		t.Errorf("第二十三条 path = %q", c.Path)
	}
	checkDocument(t, d)
}

// cnNumeral writes 1..99 as Chinese numerals the way laws number articles.
func cnNumeral(n int) string {
	d := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return d[n]
	case n < 20:
		return "十" + d[n%10]
	}
	return d[n/10] + "十" + d[n%10]
}

func TestParseCorpus(t *testing.T) {
	dir := testenv.Shared(t)
	files, err := filepath.Glob(filepath.Join(dir, "corpus", "*", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	docs := map[string]*Document{}
	for _, f := range files {
		d, err := ParseFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		t.Logf("%-70s %3d clauses  %s", filepath.Base(f), len(d.Clauses), d.Title)
		checkDocument(t, d)
		docs[d.ID] = d
	}
	for _, tc := range []struct{ id, number, issuer, date, region, kind string }{
		{"guofa-2018-39-cujin-jiuye-gongzuo-ruogan-yijian", "国发〔2018〕39号", "国务院", "2018-11-16", RegionNational, KindNotice},
		{"guobanfa-2019-6-zhengfuxing-rongzi-danbao-zhichi-xiaowei-sannong", "国办发〔2019〕6号", "国务院办公厅", "2019-01-22", RegionNational, KindNotice},
		{"bj-jingzhengbanfa-2020-7-zhongxiaowei-qiye-ruogan-cuoshi", "京政办发〔2020〕7号", "北京市人民政府办公厅", "2020-02-05", "北京市", KindNotice},
		{"bj-haidian-2020-zhichi-qiye-wending-fazhan-ruogan-cuoshi", "", "北京市海淀区人民政府", "2020-02-11", "北京市海淀区", KindNotice},
		{"yuefu-2020-12-guangdong-wending-cujin-jiuye-zhengce-cuoshi", "粤府〔2020〕12号", "广东省人民政府", "", "广东省", KindNotice},
		{"guoling-722-2019-youhua-yingshang-huanjing-tiaoli", "国务院令第722号", "国务院", "2020-01-01", RegionNational, KindRegulation},
		{"sh-renda-2018-cujin-zhongxiao-qiye-fazhan-tiaoli", "", "上海市人民代表大会常务委员会", "2018-05-24", "上海市", KindRegulation},
		{"fagaibanjiage-2020-110-liangbuzhi-dianjia-jiangdi-yongdian-chengben", "发改办价格〔2020〕110号", "国家发展改革委办公厅", "2020-02-07", RegionNational, KindNotice},
		// No signature: the region comes from the city the text names.
		{"fuyang-2020-jinrong-zhichi-qiye-fugong-fuchan-shishi-yijian", "", "", "", "安徽省阜阳市", KindNotice},
	} {
		d := docs[tc.id]
		if d == nil {
			t.Errorf("%s not parsed", tc.id)
			continue
		}
		got := []string{d.Number, d.Issuer, d.Region, d.Kind}
		want := []string{tc.number, tc.issuer, tc.region, tc.kind}
		if tc.date != "" {
			got, want = append(got, d.Date), append(want, tc.date)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: number, issuer, region, kind(, date) = %q, want %q", tc.id, got, want)
		}
	}
	if d := docs["guofa-2018-39-cujin-jiuye-gongzuo-ruogan-yijian"]; d != nil {
		c := clauseByLabel(t, d, "（一）")
		if !reflect.DeepEqual(c.Agencies, []string{"人力资源社会保障部", "财政部"}) || !reflect.DeepEqual(c.LeadAgencies, []string{"人力资源社会保障部"}) {
			t.Errorf("国发〔2018〕39号 （一） agencies %v lead %v", c.Agencies, c.LeadAgencies)
		}
		if strings.Contains(c.Text, "负责") || strings.Contains(c.Text, "牵头单位") {
			t.Errorf("agency note left in text: %q", c.Text)
		}
	}
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCases(t *testing.T) {
	type clause struct{ label, title, text string }
	tests := []struct {
		name    string
		file    string
		data    []byte
		err     error
		clauses []clause
		check   func(t *testing.T, d *Document)
	}{
		{
			name: "GBK", file: "gbk.txt",
			data:    gbk(t, "某某市关于支持企业的若干措施\n一、减免房租。对中小企业免收两个月房租。\n二、稳定就业。返还失业保险费。\n"),
			clauses: []clause{{"一、", "减免房租", "对中小企业免收两个月房租。"}, {"二、", "稳定就业", "返还失业保险费。"}},
		},
		{
			name: "HTML with script, nav and table", file: "page.html",
			data: []byte(`<html><head><title>x</title><script>var a="一、不是条款";</script></head><body>
<nav>首页 > 政策 一、导航</nav><h1>某区关于支持企业的措施</h1>
<p>一、减免租金。对企业减免租金。</p><p>二、融资支持。</p><table><tr><td>贷款</td><td>贴息50%</td></tr></table>
<footer>打印本页 关闭窗口</footer><p>扫一扫在手机打开当前页</p></body></html>`),
			clauses: []clause{{"一、", "减免租金", "对企业减免租金。"}, {"二、", "融资支持", "贷款 贴息50%"}},
		},
		{
			name: "ASCII and full-width parentheses", file: "paren.txt",
			data:    []byte("关于若干措施的通知\n一、财税支持\n(一)减税。对小微企业减半征收。\n（二）降费。免收检验费。\n"),
			clauses: []clause{{"（一）", "减税", "对小微企业减半征收。"}, {"（二）", "降费", "免收检验费。"}},
			check: func(t *testing.T, d *Document) {
				if want := []string{"一、财税支持", "（一）减税"}; !reflect.DeepEqual(d.Clauses[0].Path, want) {
					t.Errorf("path = %q, want %q", d.Clauses[0].Path, want)
				}
			},
		},
		{
			name: "heading with body and agency note on one line", file: "inline.txt",
			data:    []byte("若干措施\n（一）加强财政资金支持。认真落实国家政策。（责任单位：市财政局、市工业和信息化局）\n（二）强化服务。提供服务。（牵头单位：市税务局；配合单位：市财政局、各区人民政府）\n"),
			clauses: []clause{{"（一）", "加强财政资金支持", "认真落实国家政策。"}, {"（二）", "强化服务", "提供服务。"}},
			check: func(t *testing.T, d *Document) {
				if got := d.Clauses[0].Agencies; !reflect.DeepEqual(got, []string{"市财政局", "市工业和信息化局"}) {
					t.Errorf("agencies = %v", got)
				}
				c := d.Clauses[1]
				if !reflect.DeepEqual(c.Agencies, []string{"市税务局", "市财政局", "各区人民政府"}) || !reflect.DeepEqual(c.LeadAgencies, []string{"市税务局"}) {
					t.Errorf("agencies = %v lead %v", c.Agencies, c.LeadAgencies)
				}
			},
		},
		{
			name: "cross-reference mid-sentence", file: "law.md",
			data:    []byte("# 某某促进法\n\n2020年1月1日 第十三届全国人民代表大会常务委员会第一次会议通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了促进发展，制定本法。\n\n第二条 依照本法第十条规定的\n第十条规定的程序办理。\n\n## 第二章 支持\n\n第三条 国家支持企业。\n其中：\n（一）财政支持；\n（二）金融支持。\n"),
			clauses: []clause{{"第一条", "", "为了促进发展，制定本法。"}, {"第二条", "", "依照本法第十条规定的\n第十条规定的程序办理。"}, {"第三条", "", "国家支持企业。\n其中：\n（一）财政支持；\n（二）金融支持。"}},
			check: func(t *testing.T, d *Document) {
				if d.Date != "2020-01-01" || d.Issuer != "全国人民代表大会常务委员会" || d.Region != RegionNational {
					t.Errorf("meta = %q %q %q", d.Date, d.Issuer, d.Region)
				}
				if want := []string{"第二章 支持", "第三条"}; !reflect.DeepEqual(d.Clauses[2].Path, want) {
					t.Errorf("path = %q", d.Clauses[2].Path)
				}
			},
		},
		{
			name: "no numbering", file: "plain.txt",
			data:    []byte("关于做好复工工作的通知\n各区人民政府：\n企业复工前应做好防疫准备。\n复工后每日报送人员健康情况。\n某某市人民政府\n二〇二〇年二月十日\n"),
			clauses: []clause{{"", "", "企业复工前应做好防疫准备。"}, {"", "", "复工后每日报送人员健康情况。"}},
			check: func(t *testing.T, d *Document) {
				if d.Date != "2020-02-10" || d.Issuer != "某某市人民政府" || d.Title != "关于做好复工工作的通知" {
					t.Errorf("meta = %q %q %q", d.Date, d.Issuer, d.Title)
				}
			},
		},
		{
			name: "digits that are not labels", file: "digits.txt",
			data:    []byte("某区措施\n1.减免房租。2、3、4月房租全免。\n2、3、4月区级财政贡献全补。\n2.提供贷款。\n"),
			clauses: []clause{{"1.", "减免房租", "2、3、4月房租全免。\n2、3、4月区级财政贡献全补。"}, {"2.", "提供贷款", "提供贷款。"}},
		},
		{
			name: "forwarded measures in an attachment", file: "forward.txt",
			data: []byte("某市商务局关于转发外资工作通知的通知\n一、提高站位。全面落实通知各项要求。\n二、主动服务。协助外资企业复工复产。\n" +
				"附件：《商务部办公厅关于加强外资企业服务的通知》\n2020年2月15日\n附件\n商务部办公厅关于积极应对疫情\n加强外资企业服务的通知\n各省商务主管部门：\n现就有关事项通知如下：\n" +
				"（一）积极帮助外资企业复工。在做好防控工作的前提下，协助做好复工前各项准备工作，大力支持外资企业有序复工复产。\n" +
				"（二）加强外资大项目服务保障。密切跟踪在谈外资大项目进展，及时了解外商决策进展，推动项目尽早签约落地。\n" +
				"各地商务主管部门要统一思想，提高站位。\n商务部办公厅\n2020年2月7日\n"),
			clauses: []clause{
				{"一、", "提高站位", "全面落实通知各项要求。"}, {"二、", "主动服务", "协助外资企业复工复产。"},
				{"（一）", "积极帮助外资企业复工", "在做好防控工作的前提下，协助做好复工前各项准备工作，大力支持外资企业有序复工复产。"},
				{"（二）", "加强外资大项目服务保障", "密切跟踪在谈外资大项目进展，及时了解外商决策进展，推动项目尽早签约落地。"},
				{"", "", "各地商务主管部门要统一思想，提高站位。"},
			},
			check: func(t *testing.T, d *Document) {
				if r := d.Clauses[4].Role; r != RoleClosing {
					t.Errorf("the attachment's closing text has role %q, want %q", r, RoleClosing)
				}
				want := []string{"附件：商务部办公厅关于积极应对疫情加强外资企业服务的通知", "（二）加强外资大项目服务保障"}
				if got := d.Clauses[3].Path; !reflect.DeepEqual(got, want) {
					t.Errorf("attachment clause path = %q, want %q", got, want)
				}
			},
		},
		{
			name: "forms in an attachment", file: "forms.txt",
			data: []byte("某区若干措施\n一、减免房租。对中小企业免收两个月房租。\n二、稳定就业。返还失业保险费。\n" +
				"附件：1.申请审批表\n2.联系方式\n申请审批表\n1.企业名称\n2.统一社会信用代码\n3.联系电话\n"),
			clauses: []clause{{"一、", "减免房租", "对中小企业免收两个月房租。"}, {"二、", "稳定就业", "返还失业保险费。"}},
		},
		{
			name: "field labels before a colon", file: "fields.txt",
			data: []byte("落实细则\n1.受理条件：对受疫情影响较大的中小微企业停征污水处理费。\n2.办理时间：自即日起至疫情结束一个月内。\n3.对符合以下条件并在疫情期间坚持生产经营的本市中小微企业给予支持，即：注册在本市，纳税正常。\n"),
			clauses: []clause{
				{"1.", "受理条件", "受理条件：对受疫情影响较大的中小微企业停征污水处理费。"},
				{"2.", "办理时间", "办理时间：自即日起至疫情结束一个月内。"},
				{"3.", "", "对符合以下条件并在疫情期间坚持生产经营的本市中小微企业给予支持，即：注册在本市，纳税正常。"},
			},
		},
		{name: "empty", file: "empty.txt", data: []byte(" \n\r\n\uFEFF"), err: ErrEmpty},
		{name: "BOM only", file: "bom.txt", data: []byte("\xef\xbb\xbf"), err: ErrEmpty},
		{name: "binary", file: "x.txt", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), err: ErrBinary},
		{name: "undecodable", file: "x.txt", data: bytes.Repeat([]byte{0xff, 0xfe, 0x81}, 50), err: ErrBinary},
		{name: "chrome only", file: "chrome.txt", data: []byte("精确检索\n开始检索\n扫一扫在手机打开当前页\n"), err: ErrEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.file, tc.data)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if !strings.Contains(err.Error(), tc.file) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []clause
			for _, c := range d.Clauses {
				got = append(got, clause{c.Label, c.Title, c.Text})
			}
			if !reflect.DeepEqual(got, tc.clauses) {
				t.Errorf("clauses:\n got %q\nwant %q", got, tc.clauses)
			}
			checkDocument(t, d)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestDocumentID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"000_28e46f3fd46f944c.txt", "000_28e46f3fd46f944c"},
		{"/a/b/Guofa 2018(39).HTML", "guofa-2018(39)"},
		{"天津措施.md", "天津措施"},
		{"上海市价格管理条例.md", "上海市价格管理条例"},
		{"刑法修正案（十二）(2023-12-29).md", "刑法修正案（十二）(2023-12-29)"},
		{"天津市 xx措施 #2?.txt", "天津市-xx措施-2"},
		{`C:\docs\通知.txt`, "通知"},
		{"a\x00b.txt", "a-b"},
		{"bad\xffname.txt", "bad-name"},
		{".txt", "doc"},
		{"  .txt", "doc"},
	} {
		if got := DocumentID(tc.in); got != tc.want {
			t.Errorf("DocumentID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2022年6月18日", "2022-06-18"},
		{"二〇二二年六月十八日", "2022-06-18"},
		{"二〇二〇年十二月三十一日", "2020-12-31"},
		{"2020-02-03", "2020-02-03"},
		{"2020年13月1日", ""},
	} {
		if got := parseDate(tc.in); got != tc.want {
			t.Errorf("parseDate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "missing.txt"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("seed.txt", seed)
	f.Add("a.md", []byte("# 法\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 文本。\n第二条\n"))
	f.Add("a.html", []byte("<p>一、标题</p><p>（一）内容。正文</p><script>x</script>"))
	f.Add("a.txt", []byte("（一）\n1.\n(1)\n第一条\n一、"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		d, err := Parse(name, data)
		if err != nil {
			if d != nil {
				t.Fatal("document returned with an error")
			}
			return
		}
		if len(d.Clauses) == 0 {
			t.Fatal("no clauses and no error")
		}
		for _, c := range d.Clauses {
			if c.ID == "" || strings.TrimSpace(c.Text) == "" {
				t.Fatalf("clause %+v has an empty id or text", c)
			}
		}
	})
}

// A release that states its facts in prose above numbered points keeps
// them, as preamble clauses; a transmittal sentence and a lead-in are not
// kept; the closing paragraph is a closing clause.
func TestParsePreambleAndClosing(t *testing.T) {
	data := []byte("卫健委：1230人医疗救治队驰援武汉\n" +
		"卫健委组建6支共1230人的医疗救治队驰援武汉，同时召集6支后备梯队随时待命，工信部向武汉紧急调用1.4万件防护服。\n" +
		"现将有关措施印发给你们，请认真贯彻执行。\n" +
		"为做好疫情防控工作，现提出如下要求：\n" +
		"一、加强价格监管。各级市场监管部门要依法从严从重从快查处哄抬价格行为。\n" +
		"二、诚信经营。广大经营者要切实履行社会责任，严格依法经营。\n" +
		"以上措施自印发之日起施行，有效期至2020年底。\n")
	d, err := Parse("news.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	var roles, starts []string
	for _, c := range d.Clauses {
		roles = append(roles, c.Role)
		starts = append(starts, string([]rune(c.Text)[:6]))
	}
	wantRoles := []string{RolePreamble, "", "", RoleClosing}
	wantStarts := []string{"卫健委组建6", "各级市场监管", "广大经营者要", "以上措施自印"}
	if !reflect.DeepEqual(roles, wantRoles) || !reflect.DeepEqual(starts, wantStarts) {
		t.Errorf("roles %q starts %q, want %q %q", roles, starts, wantRoles, wantStarts)
	}
}
