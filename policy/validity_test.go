package policy

import (
	"strings"
	"testing"
)

func TestReadValidity(t *testing.T) {
	notice := func(body string) string {
		return "天津市某局关于支持企业的通知\n各区：\n一、减免房租。对中小企业减免房租。\n" + body + "\n天津市某局\n2020年2月10日\n"
	}
	tests := []struct {
		name                     string
		file, text               string
		effective, expires, term string
		event                    bool
		repeals                  []string
		clauseExpires            string
	}{
		{name: "year end", file: "a.txt", text: notice("以上政策措施自印发之日起施行，有效期至2020年底。"),
			effective: "2020-02-10", expires: "2020-12-31"},
		{name: "month end", file: "a.txt", text: notice("本通知自印发之日起实施，有效期至2020年6月底。"),
			effective: "2020-02-10", expires: "2020-06-30"},
		{name: "three months from its date", file: "a.txt", text: notice("本政策执行期暂定为自发布之日起的3个月。"),
			effective: "2020-02-10", expires: "2020-05-09"},
		{name: "one year", file: "a.txt", text: notice("本实施意见自印发之日起实施，有效期一年。"),
			effective: "2020-02-10", expires: "2021-02-09"},
		{name: "from to", file: "a.txt", text: notice("本政策执行期为自2020年2月1日起至2020年6月30日止。"),
			effective: "2020-02-01", expires: "2020-06-30"},
		{name: "event", file: "a.txt", text: notice("本通知自印发之日起施行，有效期至全省突发公共卫生事件Ⅰ级响应解除。"),
			effective: "2020-02-10", event: true},
		{name: "event then months", file: "a.txt", text: notice("本意见自印发之日起施行，有效期至新冠肺炎疫情解除后再顺延3个月。"),
			effective: "2020-02-10", event: true},
		{name: "a clause's own term", file: "a.txt",
			text:      "天津市某局关于支持企业的通知\n各区：\n一、吸纳就业补贴。按每人5000元给予补贴，实施期限至2020年12月31日。\n二、减免房租。对中小企业减免房租。\n天津市某局\n2020年2月10日\n",
			effective: "2020-02-10", clauseExpires: "2020-12-31"},
		{name: "a licence's term is not the policy's", file: "a.txt",
			text:      "天津市某局关于支持企业的通知\n各区：\n一、许可延期。许可证有效期至2020年6月30日的，顺延3个月。\n二、减免房租。对中小企业减免房租。\n天津市某局\n2020年2月10日\n",
			effective: "2020-02-10"},
		{name: "law repeals", file: "增值税法(2024-12-25).md",
			text:      "# 中华人民共和国增值税法\n\n2024年12月25日 第十四届全国人民代表大会常务委员会第十三次会议通过\n\n<!-- INFO END -->\n\n第一条 为了健全增值税制度，制定本法。\n\n第二条 本法自2026年1月1日起施行。《中华人民共和国增值税暂行条例》同时废止。\n",
			effective: "2026-01-01", repeals: []string{"中华人民共和国增值税暂行条例"}},
		{name: "an article repealed is not the document", file: "a.md",
			text:      "# 某某条例\n\n2020年1月1日 某省人民代表大会常务委员会通过\n\n<!-- INFO END -->\n\n第一条 为了规范，制定本条例。\n\n第二条 本条例自2020年3月1日起施行。《某某办法》第三条同时废止。\n",
			effective: "2020-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.file, []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			v := d.Validity
			if v.Effective != tt.effective || v.Expires != tt.expires || (v.UntilEvent != "") != tt.event ||
				strings.Join(v.Repeals, "|") != strings.Join(tt.repeals, "|") {
				t.Errorf("validity %+v, want effective %s expires %s event %v repeals %v", v, tt.effective, tt.expires, tt.event, tt.repeals)
			}
			got := ""
			for _, c := range d.Clauses {
				if c.Validity != nil {
					got = c.Validity.Expires
				}
			}
			if got != tt.clauseExpires {
				t.Errorf("clause expires %q, want %q", got, tt.clauseExpires)
			}
		})
	}
}

// TestLawHistory: the 文号 is the latest version's, and the file name gives
// what a header-less LawRefBook file lacks.
func TestLawHistory(t *testing.T) {
	vat := "# 中华人民共和国增值税暂行条例\n\n1993年12月13日 中华人民共和国国务院令第134号公布\n\n2016年2月6日 《国务院关于修改部分行政法规的决定》第一次修订　\n\n<!-- INFO END -->\n\n第一条 在中华人民共和国境内销售货物的单位和个人，为增值税的纳税人。\n\n第二十八条 本条例自2009年1月1日起施行。\n"
	d, err := Parse("增值税暂行条例(2017-11-19).md", []byte(vat))
	if err != nil {
		t.Fatal(err)
	}
	if d.Number != "" || d.Validity.Effective != "2017-11-19" || d.Date != "2017-11-19" || len(d.Validity.History) != 2 || d.Validity.History[1].Action != "修订" {
		t.Errorf("number %q, date %q, validity %+v: want no number (the 1993 one is not this text's), the file's version date", d.Number, d.Date, d.Validity)
	}
	d, err = Parse("x.md", []byte(vat))
	if err != nil {
		t.Fatal(err)
	}
	if d.Number != "" || d.Validity.Effective != "2016-02-06" {
		t.Errorf("without a dated file name: number %q, effective %q; want none and the last revision", d.Number, d.Validity.Effective)
	}
	han := "# 中药品种保护条例\n\n１９９２年１０月１４日 中华人民共和国国务院令第１０６号发布\n\n<!-- INFO END -->\n\n第一条 为了保护中药品种，制定本条例。\n\n第二十六条 本条例自一九九三年一月一日起施行。\n"
	d, err = Parse("y.md", []byte(han))
	if err != nil {
		t.Fatal(err)
	}
	if d.Validity.Effective != "1993-01-01" || d.Validity.History[0].Number != "国务院令第106号" {
		t.Errorf("Chinese-numeral and full-width dates: %+v", d.Validity)
	}
	bare := "# 保障中小企业款项支付条例\n\n<!-- INFO END -->\n\n第一条 为了促进及时支付中小企业款项，制定本条例。\n\n第二条 本条例自2020年9月1日起施行。\n"
	d, err = Parse("guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli.txt", []byte(bare))
	if err != nil {
		t.Fatal(err)
	}
	if d.Number != "国务院令第728号" || d.Date != "2020" || d.Validity.Effective != "2020-09-01" {
		t.Errorf("number %q date %q effective %q", d.Number, d.Date, d.Validity.Effective)
	}
	d, err = Parse("促进个体工商户发展条例(2022-10-01).md", []byte(bare))
	if err != nil {
		t.Fatal(err)
	}
	if d.Date != "2022-10-01" {
		t.Errorf("date %q from the LawRefBook file name", d.Date)
	}
}

// TestTruncationStated: a measure the page cuts off mid-sentence, followed
// by site chrome, says so; a page ending in a signature does not.
func TestTruncationStated(t *testing.T) {
	cut := "某市若干措施\n一、加大支持\n（一）减免房租。对中小企业减免房租。\n（二）推动节能低碳发展。引导中小企业参与实施工业低碳行动和绿色制造工\n【政府扶持政策】相关法规\n"
	d, err := Parse("a.txt", []byte(cut))
	if err != nil {
		t.Fatal(err)
	}
	last := d.Clauses[len(d.Clauses)-1].Text
	if !strings.HasSuffix(last, truncatedMark) || len(d.Warnings) == 0 {
		t.Errorf("cut page: last clause %q, warnings %v", last, d.Warnings)
	}
	whole := "某市若干措施\n一、加大支持\n（一）减免房租。对中小企业减免房租。\n某市人民政府\n2020年2月10日\n扫一扫在手机打开当前页\n"
	d, err = Parse("b.txt", []byte(whole))
	if err != nil {
		t.Fatal(err)
	}
	if last := d.Clauses[len(d.Clauses)-1].Text; strings.Contains(last, truncatedMark) {
		t.Errorf("whole page marked cut: %q", last)
	}
}
