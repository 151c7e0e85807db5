package postgres

import (
	"testing"

	"policybot/state/statetest"
	"policybot/upload/uploadtest"
)

func TestHandled(t *testing.T)     { statetest.Handled(t, openTest(t)) }
func TestCorrections(t *testing.T) { uploadtest.Corrections(t, openTest(t)) }

func TestCorrectedIngest(t *testing.T) {
	s := openTest(t)
	uploadtest.CorrectedIngest(t, s, s)
}
