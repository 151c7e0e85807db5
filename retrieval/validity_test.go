package retrieval

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"policybot/policy"
)

// TestValidityGolden checks the statuses the validity issue names, on the real corpus.
func TestValidityGolden(t *testing.T) {
	s, _ := corpus(t)
	ctx := context.Background()
	ix, err := s.Validity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const (
		vatRegs = "guowuyuan-2017-zengzhishui-zanxing-tiaoli"
		vatLaw  = "npcsc-2024-zengzhishuifa"
		pay2020 = "guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"
		pay2025 = "guoling-802-2025-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"
		bj2020  = "bj-jingzhengbanfa-2020-7-zhongxiaowei-qiye-ruogan-cuoshi"
		suining = "suifubanfa-2020-2-suining-zhichi-zhongxiaowei-ruogan-cuoshi"
		nantong = "nantong-2020-zhichi-waimao-qiye-12tiao"
	)
	tests := []struct {
		doc, day, status, supersededBy, basis string
	}{
		{vatRegs, "2025-12-31", policy.StatusInForce, "", ""},
		{vatRegs, "2026-01-01", policy.StatusRepealed, vatLaw, "《中华人民共和国增值税暂行条例》同时废止"},
		{vatLaw, "2025-06-01", policy.StatusNotYetInForce, "", "本法自2026年1月1日起施行"},
		{vatLaw, "2026-01-01", policy.StatusInForce, "", "本法自2026年1月1日起施行"},
		{pay2020, "2025-05-31", policy.StatusInForce, "", ""},
		{pay2020, "2025-06-01", policy.StatusSuperseded, pay2025, "国务院令第802号修订"},
		{pay2025, "2025-06-01", policy.StatusInForce, "", ""},
		{bj2020, "2020-12-31", policy.StatusInForce, "", "有效期至2020年底"},
		{bj2020, "2021-01-01", policy.StatusExpired, "", "有效期至2020年底"},
		// An end tied to an event stays unknown, with its sentence.
		{suining, "2026-12-02", policy.StatusUnknown, "", "有效期至全省突发公共卫生事件Ⅰ级响应解除"},
		{nantong, "2020-06-30", policy.StatusInForce, "", ""},
		{nantong, "2020-07-01", policy.StatusExpired, "", "2020年6月30日"},
	}
	for _, tt := range tests {
		st := ix.Status(tt.doc, nil, tt.day)
		if st == nil {
			t.Errorf("%s: not in the index", tt.doc)
			continue
		}
		if st.Status != tt.status || st.SupersededBy != tt.supersededBy || !strings.Contains(st.Basis, tt.basis) {
			t.Errorf("%s as of %s: %+v, want %s superseded_by %q basis containing %q", tt.doc, tt.day, *st, tt.status, tt.supersededBy, tt.basis)
		}
	}
	if got := ix.Current(pay2020, "2026-01-01"); got != pay2025 {
		t.Errorf("current version of 728号: %q, want %q", got, pay2025)
	}
}

// TestValidityTermFromOwnDate: 湘潭's measure runs "自发布之日起3个月" but
// its page prints no date: unknown until an admin gives the date, then
// three months counted from it.
func TestValidityTermFromOwnDate(t *testing.T) {
	s, _ := corpus(t)
	ctx := context.Background()
	const xiangtan = "xiangtan-2020-zhichi-zhongxiao-qiye-pingwen-jiankang-fazhan-yijian"
	ix, err := s.Validity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := ix.Status(xiangtan, nil, "2026-12-02"); st.Status != policy.StatusUnknown || !strings.Contains(st.Basis, "执行期限自发布之日起3个月止") {
		t.Errorf("without a date: %+v", *st)
	}
	if err := corpusOverrides.SetValidityOverride(ctx, xiangtan, ValidityOverride{Effective: "2020-02-10", By: "admin"}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		corpusOverrides.SetValidityOverride(ctx, xiangtan, ValidityOverride{})
		s.Invalidate()
	}()
	s.Invalidate()
	ix, err = s.Validity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]string{"2020-05-09": policy.StatusInForce, "2020-05-10": policy.StatusExpired} {
		if st := ix.Status(xiangtan, nil, day); st.Status != want || st.Expires != "2020-05-09" {
			t.Errorf("as of %s with the date set: %+v, want %s expiring 2020-05-09", day, *st, want)
		}
	}
}

// TestSearchValidity: hits carry their document's validity on the day
// asked; status=in_force filters; the version in force ranks above its
// superseded twin.
func TestSearchValidity(t *testing.T) {
	s, _ := corpus(t)
	ctx := context.Background()
	q := "机关事业单位向中小企业采购货物，应当在多少日内付款"
	hits, err := s.Search(ctx, SearchRequest{Query: q, K: 10, AsOf: "2026-12-02"})
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]int{}
	for i, h := range hits {
		if h.Document.Validity == nil {
			t.Fatalf("hit %s without validity", h.Clause.ID)
		}
		if _, ok := first[h.Document.ID]; !ok {
			first[h.Document.ID] = i
		}
	}
	p25, ok25 := first["guoling-802-2025-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"]
	p20, ok20 := first["guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"]
	if !ok25 || (ok20 && p20 < p25) {
		t.Errorf("802号 first at %d (found %v), 728号 at %d (found %v): want the version in force first", p25, ok25, p20, ok20)
	}
	in, err := s.Search(ctx, SearchRequest{Query: q, K: 10, AsOf: "2026-12-02", Status: policy.StatusInForce})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range in {
		if h.Document.Validity.Status != policy.StatusInForce {
			t.Errorf("status=in_force kept %s (%s)", h.Clause.ID, h.Document.Validity.Status)
		}
	}
	// As of 2024 the 2020 text was the one in force.
	old, err := s.Search(ctx, SearchRequest{Query: q, K: 10, AsOf: "2024-01-01", Status: policy.StatusInForce})
	if err != nil {
		t.Fatal(err)
	}
	if len(old) == 0 || old[0].Document.ID != "guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli" {
		t.Errorf("in force on 2024-01-01: %v, want 728号 first", old)
	}
	if _, err := s.Search(ctx, SearchRequest{Query: q, Status: "valid"}); err == nil {
		t.Error("an unknown status filter was accepted")
	}
	if _, err := s.Search(ctx, SearchRequest{Query: q, AsOf: "2026-13-01"}); err == nil {
		t.Error("a bad as_of was accepted")
	}
}

// TestFileOverrides: overrides kept in a file come back in a new process,
// a bad one is refused and changes nothing, an empty one removes.
func TestFileOverrides(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "validity_overrides.json")
	f := NewFileOverrides(path)
	if got, err := f.ValidityOverrides(ctx); err != nil || len(got) != 0 {
		t.Fatalf("no file yet: %v, %v", got, err)
	}
	if err := f.SetValidityOverride(ctx, "tj", ValidityOverride{Expires: "2025-12-31", By: "admin1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetValidityOverride(ctx, "bj", ValidityOverride{Expires: "2025-13-01"}); err == nil {
		t.Error("a bad date was accepted")
	}
	got, err := NewFileOverrides(path).ValidityOverrides(ctx)
	if err != nil || len(got) != 1 || got["tj"].Expires != "2025-12-31" || got["tj"].By != "admin1" {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if err := f.SetValidityOverride(ctx, "tj", ValidityOverride{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ValidityOverrides(ctx); len(got) != 0 {
		t.Errorf("after removing: %+v", got)
	}
}

// TestApplicableCurrentOnly: the clauses profiles are matched to (and
// pushes name) are current law on the day asked: 保障中小企业款项支付条例 of
// 2020 (国令第728号, replaced) never once its 2025 version (802号) is in
// force, and the other way round before it.
func TestApplicableCurrentOnly(t *testing.T) {
	s, _ := corpus(t)
	ctx := context.Background()
	docs := func(day string) map[string]bool {
		t.Helper()
		cands, err := s.Applicable(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, c := range cands {
			if st := c.Document.Validity; st == nil || !st.Current() {
				t.Fatalf("%s offered with status %+v", c.Clause.ID, st)
			}
			out[c.Document.ID] = true
		}
		return out
	}
	const v2020, v2025 = "guoling-728-2020-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli", "guoling-802-2025-baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli"
	if d := docs("2026-12-02"); !d[v2025] || d[v2020] {
		t.Errorf("2026-12-02: 802号 %v, 728号 %v; want only the version in force", d[v2025], d[v2020])
	}
	if d := docs("2024-01-01"); d[v2025] || !d[v2020] {
		t.Errorf("2024-01-01: 802号 %v, 728号 %v; want only the 2020 version", d[v2025], d[v2020])
	}
	if _, err := s.Applicable(ctx, "2026-13-01"); err == nil {
		t.Error("a bad day was accepted")
	}
}
