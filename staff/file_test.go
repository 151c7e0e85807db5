package staff_test

import (
	"testing"

	"policybot/staff"
	"policybot/staff/stafftest"
)

func TestFileStoreUsers(t *testing.T) {
	s, err := staff.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stafftest.Users(t, s)
}
