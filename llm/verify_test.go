package llm

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"policybot/policy"
	"policybot/retrieval"
)

// testHits are three clauses of 津中小企组〔2022〕2号 as retrieval returns them.
func testHits() []retrieval.Hit {
	doc := policy.Meta{ID: "tj-2022-2", Title: "天津市提升中小企业竞争力若干措施", Number: "津中小企组〔2022〕2号", Region: "天津市"}
	return []retrieval.Hit{
		{Score: 0.91, Coverage: 0.9, Document: doc, Clause: policy.Clause{
			ID: "tj-2022-2#4", Label: "（四）", Title: "加强信贷支持",
			Path:     []string{"二、加大融资支持力度", "（四）加强信贷支持"},
			Text:     "持续加大小微企业首贷、续贷、信用贷、中长期贷款投放规模和力度，对符合条件的小微企业开展无还本续贷业务，提高小微企业资金周转便利度。",
			Agencies: []string{"人民银行天津分行", "天津银保监局", "市金融局", "市财政局", "市工业和信息化局", "市知识产权局", "国家开发银行天津分行"},
		}},
		{Score: 0.62, Coverage: 0.6, Document: doc, Clause: policy.Clause{
			ID: "tj-2022-2#3", Label: "（三）", Title: "精准服务税务办理",
			Text:     "加强12366纳税缴费服务热线小微企业专线建设，向适用相关优惠政策的纳税人缴费人精准推送优惠政策。",
			Agencies: []string{"市税务局"},
		}},
		{Score: 0.55, Document: doc, Clause: policy.Clause{
			ID: "tj-2022-2#2", Label: "（二）", Title: "高质量落实惠企税收政策",
			Text:     "严格执行中央最新涉减免税费政策，优化细化办税流程。",
			Agencies: []string{"市促进中小企业发展工作领导小组各成员单位", "各区人民政府"},
		}},
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantCited []int
		wantErr   string // substring of the error; "" for success
	}{
		{"OK", "符合条件的小微企业可以申请无还本续贷[1]。可咨询人民银行天津分行、天津银保监局或市金融局[1]。", []int{0}, ""},
		{"OKOrderOfFirstUse", "可以申请无还本续贷[2]，也可以享受税费优惠[3][2]，续贷见[1]。", []int{1, 2, 0}, ""},
		{"OKCitationList", "无还本续贷[1，2]和税务服务【3】。", []int{0, 1, 2}, ""},
		{"OKFullNameOfCitedAgency", "请联系天津市税务局[2]。", []int{1}, ""},
		{"OKShortFormOfCitedAgency", "可向税务局咨询[2]，也可向人行天津分行了解[1]。", []int{1, 0}, ""},
		{"OKOrdinaryWords", "优化融资布局，政务服务大厅可受理，也可委托银行办理[1]。", []int{0}, ""},
		{"OKServiceHallsAndPortal", "可通过电子税务局或办税服务厅分行业申报，部分行业另有规定[1]。", []int{0}, ""},
		{"OKBracketedYearIsNoCitation", "依据津中小企组[2022]2号[1]。", []int{0}, ""},
		{"ErrOutOfRange", "可以申请无还本续贷[5]。", nil, "cites [5] but 3 clauses were given"},
		{"ErrZero", "可以申请无还本续贷[0]。", nil, "cites [0]"},
		{"ErrNoCitation", "可以申请无还本续贷。", nil, "no citation"},
		{"ErrAgencyOfUncitedClause", "无还本续贷请找市税务局[1]。", nil, "names 市税务局"},
		{"ErrAgencyOfUncitedClauseLongest", "无还本续贷由各区人民政府负责[2]。", nil, "names 各区人民政府"},
		{"ErrAgencyNotInAnyClause", "续贷可以咨询市发展改革委[1]。", nil, "names 市发展改革委"},
		{"ErrBureauNotInAnyClause", "续贷请到市商务局办理[1]。", nil, "names 市商务局"},
		{"ErrBankBranchNotInAnyClause", "请联系人民银行北京分行[1]。", nil, "names 人民银行北京分行"},
		{"ErrRegulatorNotInAnyClause", "请联系北京银保监局[1]。", nil, "names 北京银保监局"},
		{"ErrCustoms", "出口事项请联系天津海关[1]。", nil, "names 天津海关"},
		{"ErrProvincialDepartment", "可以向省财政厅申请[1]。", nil, "names 省财政厅"},
		{"ErrFinanceBureau", "请咨询县财政局[2]。", nil, "names 县财政局"},
		{"ErrDepartmentOfAffairs", "可以向省退役军人事务厅申请[1]。", nil, "names 省退役军人事务厅"},
		{"ErrCommittee", "由市国资委负责[1]。", nil, "names 市国资委"},
	}
	hits := testHits()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cited, err := Verify(tt.text, hits)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUnverified) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Verify(%q) error = %v, want ErrUnverified containing %q", tt.text, err, tt.wantErr)
				}
				if cited != nil {
					t.Errorf("cited %v returned with an error", cited)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(%q): %v", tt.text, err)
			}
			if !slices.Equal(cited, tt.wantCited) {
				t.Errorf("cited %v, want %v", cited, tt.wantCited)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "可以申请无还本续贷[1]。", "可以申请无还本续贷[1]。"},
		{"Emphasis", "**无还本续贷**：符合条件的可以申请[1]。", "无还本续贷：符合条件的可以申请[1]。"},
		{"HeadingsAndBullets", "## 办理方式\n- 申请续贷[1]\n* 咨询银行[1]\n> 注意", "办理方式\n申请续贷[1]\n咨询银行[1]\n注意"},
		{"Paragraphs", "\n\n第一段[1]。\n\n\n\n第二段[1]。\n\n", "第一段[1]。\n\n第二段[1]。"},
		{"Think", "<think>用户问续贷，条款[1]提到……</think>\n可以申请无还本续贷[1]。", "可以申请无还本续贷[1]。"},
		{"Table", "| 项目 | 部门 |\n|---|---|\n| 续贷[1] | 市金融局 |", "项目，部门\n续贷[1]，市金融局"},
		{"NumberedListKept", "1. 申请续贷[1]\n2. 咨询银行[1]", "1. 申请续贷[1]\n2. 咨询银行[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.in); got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeCitations(t *testing.T) {
	tests := []struct{ in, want string }{
		{"续贷[1]。", "续贷[1]。"},
		{"续贷【1】和［2］。", "续贷[1]和[2]。"},
		{"续贷[1, 3]、[2，1]。", "续贷[1][3]、[2][1]。"},
		{"津中小企组[2022]2号", "津中小企组[2022]2号"},
	}
	for _, tt := range tests {
		if got := normalizeCitations(tt.in); got != tt.want {
			t.Errorf("normalizeCitations(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgencyVariants(t *testing.T) {
	tests := []struct {
		agency string
		want   []string // must be among the variants
	}{
		{"天津市财政局", []string{"天津市财政局", "市财政局", "财政局"}},
		{"各区人民政府", []string{"区人民政府", "人民政府"}},
		{"人民银行天津分行", []string{"人行天津分行"}},
		{"国家税务总局天津市税务局", []string{"市税务局", "税务局"}},
	}
	for _, tt := range tests {
		got := agencyVariants(tt.agency)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("agencyVariants(%q) = %v, missing %q", tt.agency, got, w)
			}
		}
		for _, v := range got {
			if len([]rune(v)) < 2 {
				t.Errorf("agencyVariants(%q) has a one-character variant %q", tt.agency, v)
			}
		}
	}
}
