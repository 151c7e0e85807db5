package llm

import (
	"errors"
	"io/fs"
	"path/filepath"
	"policybot/testenv"
	"slices"
	"strings"
	"testing"

	"policybot/policy"
	"policybot/retrieval"
)

// corpusHits parses seeds and shared/corpus, found by walking up from the
// working directory, and returns one hit per clause that names agencies.
// Without the corpus the test is skipped, except in CI.
func corpusHits(tb testing.TB) []retrieval.Hit {
	tb.Helper()
	root := testenv.Shared(tb)
	var hits []retrieval.Hit
	for _, sub := range []string{"seeds", "corpus"} {
		err := filepath.WalkDir(filepath.Join(root, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".txt" {
				return err
			}
			doc, err := policy.ParseFile(path)
			if err != nil {
				return err
			}
			for _, c := range doc.Clauses {
				if len(c.Agencies) > 0 {
					hits = append(hits, retrieval.Hit{Document: doc.Meta(), Clause: c})
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("read %s: %v", sub, err)
		}
	}
	if len(hits) == 0 {
		tb.Fatal("no clause with agencies in the corpus")
	}
	return hits
}

// TestVerifyCorpusAgencies checks the agency rule on every real agency list:
// an answer naming the agencies of the clause it cites passes, and one naming
// an agency of another given clause fails.
func TestVerifyCorpusAgencies(t *testing.T) {
	hits := corpusHits(t)
	var accepted, rejected, shaped, shapedRejected int
	for i, h := range hits {
		text := "符合条件的企业可以申请[1]。具体可咨询" + strings.Join(h.Clause.Agencies, "、") + "[1]。"
		if _, err := Verify(text, []retrieval.Hit{h}); err != nil {
			t.Errorf("%s %s: answer naming its own agencies rejected: %v", h.Document.Title, h.Clause.Label, err)
			continue
		}
		accepted++

		// Another clause whose agencies share nothing with this one's,
		// neither as names nor inside one another.
		other := hits[(i+1)%len(hits)]
		foreign := ""
		for _, a := range other.Clause.Agencies {
			if !slices.ContainsFunc(h.Clause.Agencies, func(b string) bool {
				return strings.Contains(a, b) || strings.Contains(b, a)
			}) {
				foreign = a
				break
			}
		}
		if foreign == "" {
			continue
		}
		text = "符合条件的企业可以申请[1]。具体可咨询" + foreign + "[1]。"
		_, err := Verify(text, []retrieval.Hit{h, other})
		if !errors.Is(err, ErrUnverified) {
			t.Errorf("%s %s: answer naming %s of the uncited clause accepted (err %v)", h.Document.Title, h.Clause.Label, foreign, err)
			continue
		}
		rejected++

		// Given alone, the clause's hit set does not know the foreign name:
		// it must be caught by its shape when it has an agency's ending.
		if !agencyShaped(foreign) {
			continue
		}
		shaped++
		if _, err := Verify(text, []retrieval.Hit{h}); !errors.Is(err, ErrUnverified) {
			t.Errorf("%s %s: answer naming %s, shaped like an agency, accepted (err %v)", h.Document.Title, h.Clause.Label, foreign, err)
			continue
		}
		shapedRejected++
	}
	t.Logf("%d clauses with agencies: %d answers naming their own agencies accepted, %d naming another given clause's rejected, "+
		"%d of %d naming an agency-shaped name of no given clause rejected",
		len(hits), accepted, rejected, shapedRejected, shaped)
}

func agencyShaped(name string) bool {
	for _, end := range []string{"局", "委", "委员会", "分行", "支行", "海关", "厅"} {
		if strings.HasSuffix(name, end) {
			return true
		}
	}
	return false
}
