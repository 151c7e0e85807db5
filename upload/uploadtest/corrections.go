// Package uploadtest holds conformance checks of the upload stores that
// the memory ones and postgres.Store both implement.
package uploadtest

import (
	"context"
	"testing"

	"policybot/upload"
)

// Corrections checks storing, replacing and removing corrections, and
// that a bad one is refused.
func Corrections(t *testing.T, s upload.CorrectionStore) {
	t.Helper()
	ctx := context.Background()
	c1 := upload.Correction{Title: "天津市支持小微企业融资的若干措施", Number: "津金融〔2024〕9号", By: "admin1"}
	c2 := upload.Correction{Issuer: "天津市地方金融监督管理局", Date: "2024-03-01", Region: "天津市", By: "admin2"}
	steps := []struct {
		name    string
		id      string
		c       upload.Correction
		wantErr bool
		want    map[string]upload.Correction
	}{
		{name: "Set", id: "a", c: c1, want: map[string]upload.Correction{"a": c1}},
		{name: "Another", id: "b", c: c2, want: map[string]upload.Correction{"a": c1, "b": c2}},
		{name: "Replace", id: "a", c: c2, want: map[string]upload.Correction{"a": c2, "b": c2}},
		{name: "ErrBadDate", id: "a", c: upload.Correction{Date: "2024年3月1日"}, wantErr: true, want: map[string]upload.Correction{"a": c2, "b": c2}},
		{name: "ErrLineBreak", id: "a", c: upload.Correction{Title: "一\n二"}, wantErr: true, want: map[string]upload.Correction{"a": c2, "b": c2}},
		{name: "Remove", id: "b", c: upload.Correction{}, want: map[string]upload.Correction{"a": c2}},
	}
	for _, st := range steps {
		err := s.SetCorrection(ctx, st.id, st.c)
		if (err != nil) != st.wantErr {
			t.Errorf("%s: SetCorrection error = %v, want error %v", st.name, err, st.wantErr)
		}
		got, err := s.Corrections(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(got) != len(st.want) {
			t.Errorf("%s: corrections %v, want %v", st.name, got, st.want)
		}
		for id, w := range st.want {
			if g := got[id]; g.Title != w.Title || g.Number != w.Number || g.Issuer != w.Issuer || g.Date != w.Date || g.Region != w.Region || g.By != w.By {
				t.Errorf("%s: correction of %s = %+v, want %+v", st.name, id, g, w)
			}
		}
	}
}
