package upload_test

import (
	"testing"

	"policybot/retrieval"
	"policybot/upload"
	"policybot/upload/uploadtest"
)

func TestMemoryCorrections(t *testing.T) { uploadtest.Corrections(t, &upload.MemoryCorrections{}) }

// TestCorrectedKeptThroughReingest runs the check on the memory store.
func TestCorrectedKeptThroughReingest(t *testing.T) {
	uploadtest.CorrectedIngest(t, retrieval.NewMemoryStore(), &upload.MemoryCorrections{})
}
