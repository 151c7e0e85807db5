package upload_test

import (
	"context"
	"testing"
	"testing/fstest"

	"policybot/embeddings"
	"policybot/retrieval"
	"policybot/upload"
	"policybot/upload/uploadtest"
)

func TestMemoryCorrections(t *testing.T) { uploadtest.Corrections(t, &upload.MemoryCorrections{}) }

const doc = `天津市支持小微企业融资的若干措施
津金融〔2024〕9号

一、加大信贷支持
（一）支持续贷。对流动资金贷款到期后仍有融资需求的小微企业，银行可按规定办理续贷。（责任单位：市金融局）
（二）降低担保费率。政府性融资担保机构对小微企业担保费率降至1%以下。（责任单位：市财政局）
`

// TestCorrectedKeptThroughReingest: a correction saved before the upload is
// stored with it, is kept when the same bytes are ingested again, and a
// changed correction is stored although the bytes did not change.
func TestCorrectedKeptThroughReingest(t *testing.T) {
	ctx := context.Background()
	mem := retrieval.NewMemoryStore()
	cs := &upload.MemoryCorrections{}
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
