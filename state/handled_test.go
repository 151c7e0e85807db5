package state_test

import (
	"testing"

	"policybot/state"
	"policybot/state/statetest"
)

func TestMemoryHandled(t *testing.T) { statetest.Handled(t, state.NewMemory()) }
