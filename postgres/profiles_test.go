package postgres

import (
	"testing"

	"policybot/enterprise/profiletest"
)

func TestProfiles(t *testing.T) { profiletest.Run(t, openTest(t)) }
