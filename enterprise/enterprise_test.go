package enterprise

import (
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"policybot/policy"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func seedDocument(t *testing.T) *policy.Document {
	t.Helper()
	d, err := policy.ParseFile("../seeds/000_28e46f3fd46f944c.txt")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSeedSubjects is the golden table of the seed document: for each of
// its 24 clauses the subjects read, in text order, and whether they came
// from the title. testdata/seed-subjects.tsv explains itself in its head.
func TestSeedSubjects(t *testing.T) {
	d := seedDocument(t)
	data, err := os.ReadFile("testdata/seed-subjects.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, rest, _ := strings.Cut(line, "\t")
		want[label] = rest
	}
	if len(d.Clauses) != 24 || len(want) != 24 {
		t.Fatalf("%d clauses, %d golden lines; want 24 each", len(d.Clauses), len(want))
	}
	for _, c := range d.Clauses {
		a := Read(c, d.Meta())
		got := "-"
		if a != nil {
			var names []string
			for _, s := range a.Subjects {
				names = append(names, s.Name)
				if !basisNames(s) {
					t.Errorf("%s: subject %s has basis %q, which does not name it", c.Label, s.Name, s.Basis)
				}
			}
			got = strings.Join(names, ",")
			if a.FromTitle {
				got += "\ttitle"
			}
		}
		if got != want[c.Label] {
			t.Errorf("%s %s: read %q, want %q", c.Label, c.Title, got, want[c.Label])
		}
	}
}

func TestReadRules(t *testing.T) {
	meta := policy.Meta{ID: "d", Title: "关于进一步支持企业发展的通知", Region: "天津市"}
	tests := []struct {
		name     string
		c        policy.Clause
		subjects []string
		required string
		conds    []string
	}{
		{"AlternativesInText", policy.Clause{Text: "对小微企业和个体工商户减免房租。"}, []string{"小微企业", "个体工商户"}, "", nil},
		{"LongestPhraseWins", policy.Clause{Text: "小型微利企业减按25%计入应纳税所得额。"}, []string{"小型微利企业"}, "", nil},
		{"HeadingQualificationRequired", policy.Clause{Title: "支持专精特新企业发展", Text: "对认定的中小企业给予奖励。"}, []string{"专精特新中小企业", "中小企业"}, "专精特新中小企业", nil},
		{"IndustryIsACondition", policy.Clause{Text: "对受疫情影响较大的批发零售、住宿餐饮、物流运输等行业中小企业给予贷款延期。"}, []string{"中小企业"}, "", []string{"受疫情影响（以文件所列情形为准）", "主要面向所列行业"}},
		{"IndustryBesideOtherSubjects", policy.Clause{Text: "加强制造业、小微企业、民营企业等重点领域信贷支持。"}, []string{"小微企业", "民营企业"}, "", []string{"主要面向所列行业"}},
		{"IndustryInPassingIgnored", policy.Clause{Text: "推动先进制造业和现代服务业深度融合，支持中小企业发展。"}, []string{"中小企业"}, "", nil},
		{"NobodyNamed", policy.Clause{Text: "本办法自印发之日起施行。"}, nil, "", nil},
		{"PreambleNeverMatched", policy.Clause{Text: "为支持小微企业发展，制定本措施。", Role: policy.RolePreamble}, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Read(tt.c, meta)
			if tt.subjects == nil {
				if a != nil {
					t.Fatalf("Read = %+v, want nil", a)
				}
				return
			}
			if a == nil {
				t.Fatal("Read = nil")
			}
			var names, conds []string
			for _, s := range a.Subjects {
				names = append(names, s.Name)
			}
			for _, c := range a.Conditions {
				conds = append(conds, c.Text)
			}
			if !slices.Equal(names, tt.subjects) || !slices.Equal(conds, tt.conds) {
				t.Errorf("subjects %v conditions %v, want %v %v", names, conds, tt.subjects, tt.conds)
			}
			if req := a.Required; (req == nil) != (tt.required == "") || req != nil && req.Name != tt.required {
				t.Errorf("required %+v, want %q", req, tt.required)
			}
		})
	}
}

// TestDeriveSize: the thresholds of 工信部联企业〔2011〕300号, and what they
// cannot decide without 资产总额.
func TestDeriveSize(t *testing.T) {
	tests := []struct {
		industry string
		emp      int
		rev      float64
		want     string
	}{
		{"零售业", 5, 50, SizeMicro},
		{"零售业", 12, 100, SizeSmall},
		{"零售业", 50, 500, SizeMedium},
		{"零售业", 300, 20000, SizeLarge},
		{"零售业", 300, 0, ""}, // revenue unknown: not below any threshold yet
		{"零售业", 5, 0, SizeMicro},
		{"软件和信息技术服务业", 50, 800, SizeSmall},
		{"信息传输、软件和信息技术服务业", 50, 800, ""}, // the 门类 spans two bands
		{"制造业", 500, 30000, SizeMedium},
		{"制造业", 2000, 50000, SizeLarge},
		{"制造业", 2000, 200, SizeMicro}, // 营业收入300万元以下
		{"建筑业", 0, 100, SizeMicro},
		{"建筑业", 0, 500, ""}, // needs 资产总额
		{"农、林、牧、渔业", 0, 600, SizeMedium},
		{"教育", 50, 0, SizeSmall}, // 其他未列明行业: employees only
	}
	for _, tt := range tests {
		u, err := Understand(Profile{Industry: tt.industry, Employees: tt.emp, RevenueWan: tt.rev}, now)
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if u.Size != tt.want || (u.Size != "") != u.SizeDerived || (u.Size != "") != (u.SizeBasis != "") {
			t.Errorf("%s %d人 %g万元: size %q (derived %v, %q), want %q", tt.industry, tt.emp, tt.rev, u.Size, u.SizeDerived, u.SizeBasis, tt.want)
		}
	}
	u, _ := Understand(Profile{Industry: "零售业", Employees: 5, RevenueWan: 50, Size: SizeSmall}, now)
	if u.Size != SizeSmall || u.SizeDerived {
		t.Errorf("an entered size is kept: %+v", u)
	}
}

func TestUnderstandRejects(t *testing.T) {
	tests := []struct {
		p     Profile
		field string
	}{
		{Profile{Size: "tiny"}, "size"},
		{Profile{Industry: "挖矿"}, "industry"},
		{Profile{Qualifications: []string{"五星企业"}}, "qualifications"},
		{Profile{Employees: -1}, "employees"},
		{Profile{RevenueWan: -5}, "revenue_wan"},
		{Profile{FoundedYear: 2030}, "founded_year"},
		{Profile{Region: strings.Repeat("天", 41)}, "region"},
	}
	for _, tt := range tests {
		_, err := Understand(tt.p, now)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Understand(%+v) = %v, want an error on %s", tt.p, err, tt.field)
		}
	}
	u, err := Understand(Profile{Qualifications: []string{"小巨人", "专精特新"}}, now)
	if err != nil || !slices.Equal(u.Qualifications, []string{`专精特新"小巨人"`, "专精特新中小企业"}) {
		t.Errorf("qualification spellings: %+v, %v", u.Qualifications, err)
	}
}

func seedCandidates(t *testing.T) []Candidate {
	d := seedDocument(t)
	var cs []Candidate
	for _, c := range d.Clauses {
		c.Applicability = Read(c, d.Meta())
		cs = append(cs, Candidate{Document: d.Meta(), Clause: c})
	}
	return cs
}

// TestMatchSeedProfiles: the example profiles on the seed document,
// a Tianjin measure for 中小企业.
func TestMatchSeedProfiles(t *testing.T) {
	cands := seedCandidates(t)
	type want struct {
		n        int
		top      []string // labels expected first, in any order
		outcome  string
		whyInTop string
	}
	tests := []struct {
		name string
		p    Profile
		want want
	}{
		{"TianjinSmallSoftware专精特新", Profile{Region: "天津市", Size: SizeSmall, Industry: "软件和信息技术服务业", Qualifications: []string{"专精特新中小企业"}},
			want{24, []string{"（一）", "（四）", "（十）"}, Eligible, "资质：贵企业为专精特新中小企业"}},
		{"TianjinMicroRetail", Profile{Region: "天津市", Size: SizeMicro, Industry: "零售业", Qualifications: []string{}},
			want{24, nil, Eligible, "规模："}},
		{"TianjinDistrictDerivedSize", Profile{Region: "天津市滨海新区", Industry: "零售业", Employees: 8, RevenueWan: 60, Qualifications: []string{}},
			want{24, nil, Eligible, "微型企业（按划型标准推算）"}},
		{"BeijingMediumManufacturer", Profile{Region: "北京市", Size: SizeMedium, Industry: "制造业", Qualifications: []string{"高新技术企业"}}, want{0, nil, "", ""}},
		{"ShanghaiSoleTrader", Profile{Region: "上海市", Qualifications: []string{"个体工商户"}}, want{0, nil, "", ""}},
		{"TianjinLargeFirm", Profile{Region: "天津市", Size: SizeLarge, Qualifications: []string{}}, want{0, nil, "", ""}},
		{"TianjinSizeUnknown", Profile{Region: "天津市"}, want{24, nil, NeedMoreInfo, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Understand(tt.p, now)
			if err != nil {
				t.Fatal(err)
			}
			ms, total := MatchAll(u, cands, 0)
			if total != len(ms) {
				t.Errorf("total %d, %d matches", total, len(ms))
			}
			if len(ms) != tt.want.n {
				t.Fatalf("%d matches, want %d", len(ms), tt.want.n)
			}
			if len(ms) == 0 {
				return
			}
			for i, label := range tt.want.top {
				if !slices.ContainsFunc(ms[:len(tt.want.top)], func(m Match) bool { return m.Clause.Label == label }) {
					t.Errorf("%s not among the first %d: %s", label, len(tt.want.top), ms[i].Clause.Label)
				}
			}
			for _, m := range ms {
				if m.Outcome != tt.want.outcome {
					t.Errorf("%s outcome %s, want %s", m.Clause.Label, m.Outcome, tt.want.outcome)
				}
				if m.Outcome == NeedMoreInfo && !slices.Contains(m.Missing, "size") {
					t.Errorf("%s waits on %v, want size", m.Clause.Label, m.Missing)
				}
			}
			if !strings.Contains(strings.Join(ms[0].Why, " "), tt.want.whyInTop) {
				t.Errorf("top match's why %q lacks %q", ms[0].Why, tt.want.whyInTop)
			}
		})
	}
}

func TestJurisdiction(t *testing.T) {
	tests := []struct {
		profile, doc string
		want         place
	}{
		{"天津市", "全国", placeNational},
		{"天津市滨海新区", "天津市", placeLocal},
		{"天津市", "天津市", placeLocal},
		{"北京市", "北京市海淀区", placeUnknown}, // the firm may be in another district
		{"北京市朝阳区", "北京市海淀区", placeNo},
		{"北京市", "天津市", placeNo},
		{"", "天津市", placeUnknown},
		{"湖南省湘潭市", "湘潭市", placeLocal},
		{"天津市", "", placeNo},
	}
	for _, tt := range tests {
		if got, _ := jurisdiction(tt.profile, tt.doc); got != tt.want {
			t.Errorf("jurisdiction(%q, %q) = %d, want %d", tt.profile, tt.doc, got, tt.want)
		}
	}
}

// basisNames: a subject's basis holds one of its phrases.
func basisNames(s policy.Subject) bool {
	for _, e := range subjects().entries {
		if e.name == s.Name {
			return slices.ContainsFunc(e.phrases, func(p string) bool { return strings.Contains(s.Basis, p) })
		}
	}
	return false
}

// BenchmarkMatchAll: one profile against 48,000 applicable clauses (the
// seed's 24, repeated), about what corpus-xl's 154k clauses hold.
func BenchmarkMatchAll(b *testing.B) {
	d, err := policy.ParseFile("../seeds/000_28e46f3fd46f944c.txt")
	if err != nil {
		b.Fatal(err)
	}
	var cands []Candidate
	for range 2000 {
		for _, c := range d.Clauses {
			c.Applicability = Read(c, d.Meta())
			cands = append(cands, Candidate{Document: d.Meta(), Clause: c})
		}
	}
	u, _ := Understand(Profile{Region: "天津市", Size: SizeSmall, Qualifications: []string{"专精特新中小企业"}}, now)
	b.ResetTimer()
	for b.Loop() {
		if _, n := MatchAll(u, cands, 100); n != len(cands) {
			b.Fatal("not every clause matched")
		}
	}
}

// TestRequiredQualification: a 专精特新 measure is never matched to a firm
// without the qualification, waits on a firm that has not said, and is
// matched to one that holds it (or the higher 小巨人 tier).
func TestRequiredQualification(t *testing.T) {
	meta := policy.Meta{ID: "d", Title: "关于支持中小企业发展的通知", Region: "天津市", Date: "2026-01-01"}
	c := policy.Clause{ID: "d#1", Title: "支持专精特新企业发展", Text: "对新认定的中小企业给予一次性奖励。"}
	c.Applicability = Read(c, meta)
	cands := []Candidate{{Document: meta, Clause: c}}
	tests := []struct {
		quals   []string
		want    int
		outcome string
	}{
		{[]string{}, 0, ""},
		{[]string{"高新技术企业"}, 0, ""},
		{nil, 1, NeedMoreInfo},
		{[]string{"专精特新中小企业"}, 1, Eligible},
		{[]string{`专精特新"小巨人"`}, 1, Eligible},
	}
	for _, tt := range tests {
		u, err := Understand(Profile{Region: "天津市", Size: SizeSmall, Qualifications: tt.quals}, now)
		if err != nil {
			t.Fatal(err)
		}
		ms, n := MatchAll(u, cands, 0)
		if n != tt.want || n > 0 && ms[0].Outcome != tt.outcome {
			t.Errorf("qualifications %v: %d matches %+v, want %d %s", tt.quals, n, ms, tt.want, tt.outcome)
		}
	}
}

// TestMatchSpreadsDocuments: each document's best clause comes before any
// document's second, so a list's first lines name several policies.
func TestMatchSpreadsDocuments(t *testing.T) {
	qual := &policy.Applicability{Subjects: []policy.Subject{{Name: "专精特新中小企业", Qualification: "专精特新中小企业", Basis: "专精特新"}}}
	size := &policy.Applicability{Subjects: []policy.Subject{{Name: "中小企业", Sizes: []string{SizeMedium, SizeSmall, SizeMicro}, Basis: "中小企业"}}}
	cand := func(doc, id string, a *policy.Applicability) Candidate {
		return Candidate{Document: policy.Meta{ID: doc, Region: policy.RegionNational}, Clause: policy.Clause{ID: id, Applicability: a}}
	}
	cands := []Candidate{cand("a", "a#1", qual), cand("a", "a#2", qual), cand("a", "a#3", qual), cand("b", "b#1", size)}
	u, _ := Understand(Profile{Size: SizeSmall, Qualifications: []string{"专精特新中小企业"}}, now)
	ms, _ := MatchAll(u, cands, 0)
	var got []string
	for _, m := range ms {
		got = append(got, m.Clause.ID)
	}
	if want := []string{"a#1", "b#1", "a#2", "a#3"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestReadLawArticles: an article of a law naming a subject counts only
// when it offers something.
func TestReadLawArticles(t *testing.T) {
	law := policy.Meta{ID: "vat", Title: "中华人民共和国增值税法", Region: policy.RegionNational, Kind: policy.KindLaw}
	taxpayer := policy.Clause{Label: "第三条", Text: "销售货物、服务的单位和个人（包括个体工商户），为增值税的纳税人。\n\n销售服务，是指有偿提供服务。"}
	if a := Read(taxpayer, law); a != nil {
		t.Errorf("a definition of taxpayers read as a measure for %+v", a.Subjects)
	}
	relief := policy.Clause{Label: "第二十四条", Text: "小规模纳税人和个体工商户的起征点，可以减征或者免征增值税。"}
	if a := Read(relief, law); a == nil || a.Subjects[0].Name != "个体工商户" {
		t.Errorf("a relief read as %+v", a)
	}
}

// TestIndustryLimit: a clause whose subject is an industry's enterprises is
// for them only: others are left out, an enterprise that has not said its
// industry waits on it.
func TestIndustryLimit(t *testing.T) {
	meta := policy.Meta{ID: "d", Title: "关于支持企业纾困的通知", Region: "天津市"}
	c := policy.Clause{ID: "d#1", Text: "对住宿餐饮等行业中小微企业，给予三个月房租减免。"}
	c.Applicability = Read(c, meta)
	if a := c.Applicability; a == nil || !slices.Equal(a.Industries, []string{"住宿和餐饮业"}) || len(a.Conditions) != 0 {
		t.Fatalf("read %+v", a)
	}
	cands := []Candidate{{Document: meta, Clause: c}}
	for _, tt := range []struct {
		industry string
		want     int
		outcome  string
	}{{"餐饮业", 1, Eligible}, {"软件和信息技术服务业", 0, ""}, {"", 1, NeedMoreInfo}} {
		u, err := Understand(Profile{Region: "天津市", Size: SizeSmall, Industry: tt.industry}, now)
		if err != nil {
			t.Fatal(err)
		}
		ms, n := MatchAll(u, cands, 0)
		if n != tt.want || n > 0 && (ms[0].Outcome != tt.outcome || tt.outcome == NeedMoreInfo && !slices.Contains(ms[0].Missing, "industry")) {
			t.Errorf("industry %q: %d %+v, want %d %s", tt.industry, n, ms, tt.want, tt.outcome)
		}
	}
}

func TestFromForm(t *testing.T) {
	v := url.Values{"region": {" 天津市 "}, "employees": {"8"}, "revenue_wan": {"60.5"}}
	if p, err := FromForm(v, false); err != nil || p.Region != "天津市" || p.Employees != 8 || p.RevenueWan != 60.5 || p.Qualifications != nil {
		t.Errorf("not asked: %+v, %v; want qualifications not known", p, err)
	}
	if p, _ := FromForm(v, true); p.Qualifications == nil || len(p.Qualifications) != 0 {
		t.Errorf("asked, none ticked: %+v; want none", p.Qualifications)
	}
	v.Set("founded_year", "去年")
	var fe *FieldError
	if _, err := FromForm(v, true); !errors.As(err, &fe) || fe.Field != "founded_year" {
		t.Errorf("bad year: %v", err)
	}
}
