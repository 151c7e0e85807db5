// Package uploadtest holds conformance checks of the upload stores that
// the memory ones and postgres.Store both implement.
package uploadtest

import (
	"context"
	"testing"
	"testing/fstest"

	"policybot/embeddings"
	"policybot/retrieval"
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

const doc = `天津市支持小微企业融资的若干措施
津金融〔2024〕9号

一、加大信贷支持
（一）支持续贷。对流动资金贷款到期后仍有融资需求的小微企业，银行可按规定办理续贷。（责任单位：市金融局）
（二）降低担保费率。政府性融资担保机构对小微企业担保费率降至1%以下。（责任单位：市财政局）
`

// CorrectedIngest checks upload.Corrected over store: a correction saved
// before the upload is stored with it, is kept when the same bytes are
// ingested again, and a changed correction is stored although the bytes did
// not change. store must be empty.
func CorrectedIngest(t *testing.T, mem retrieval.Store, cs upload.CorrectionStore) {
	t.Helper()
	ctx := context.Background()
	in := &retrieval.Ingester{Store: upload.Corrected(mem, cs), Embedder: embeddings.NewLocal(64)}
	files := fstest.MapFS{"up/xw.txt": {Data: []byte(doc)}}
	steps := []struct {
		name       string
		correction upload.Correction
		wantNumber string
		wantTitle  string
	}{
		{"AsParsed", upload.Correction{}, "津金融〔2024〕9号", "天津市支持小微企业融资的若干措施"},
		{"Corrected", upload.Correction{Number: "津金融规〔2024〕9号", By: "admin1"}, "津金融规〔2024〕9号", "天津市支持小微企业融资的若干措施"},
		{"ReingestKeeps", upload.Correction{Number: "津金融规〔2024〕9号", By: "admin1"}, "津金融规〔2024〕9号", "天津市支持小微企业融资的若干措施"},
		{"ChangedAgain", upload.Correction{Title: "支持小微企业融资若干措施", By: "admin2"}, "津金融〔2024〕9号", "支持小微企业融资若干措施"},
		{"Removed", upload.Correction{}, "津金融〔2024〕9号", "天津市支持小微企业融资的若干措施"},
	}
	for _, st := range steps {
		if err := cs.SetCorrection(ctx, "xw", st.correction); err != nil {
			t.Fatal(err)
		}
		if _, err := in.IngestFS(ctx, files, "up"); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		d, _, err := mem.Document(ctx, "xw")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if d.Number != st.wantNumber || d.Title != st.wantTitle {
			t.Errorf("%s: stored %q %q, want %q %q", st.name, d.Title, d.Number, st.wantTitle, st.wantNumber)
		}
	}
}
