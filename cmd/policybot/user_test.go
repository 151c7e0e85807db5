package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{"POLICYBOT_DATA_DIR": dir}[k]
	}
	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: getenv}
		err := runUser(context.Background(), e, args)
		return out.String(), err
	}
	steps := []struct {
		name    string
		stdin   string
		args    []string
		wantOut string
		wantErr string
	}{
		{"ListEmpty", "", []string{"list"}, "create the first admin", ""},
		{"AddAdmin", "s3cret-password\n", []string{"add", "ops", "--role", "admin"}, "added ops (admin)", ""},
		{"AddAgent", "another-password", []string{"add", "li.na"}, "added li.na (agent)", ""},
		{"Duplicate", "another-password\n", []string{"add", "ops"}, "", "already exists"},
		{"ShortPassword", "short\n", []string{"add", "wang"}, "", "password must be"},
		{"NoPassword", "", []string{"add", "wang"}, "", "empty"},
		{"BadRole", "long-enough-pw\n", []string{"add", "wang", "--role", "root"}, "", "role"},
		{"Disable", "", []string{"disable", "li.na"}, "disabled li.na", ""},
		{"DisableMissing", "", []string{"disable", "nobody"}, "", "not found"},
		{"List", "", []string{"list"}, "li.na  agent  disabled", ""},
		{"Usage", "", []string{"remove", "ops"}, "", "usage"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := run(s.stdin, s.args...)
			if s.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), s.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, s.wantOut) {
				t.Errorf("output %q lacks %q", out, s.wantOut)
			}
		})
	}
}
