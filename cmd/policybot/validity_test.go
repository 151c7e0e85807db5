package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidityCommand: `policybot validity` lists the documents with their
// status on the configured as_of day, or on --as-of.
func TestValidityCommand(t *testing.T) {
	dir := t.TempDir()
	doc := "某市关于支持企业的若干措施\n各区：\n一、减免房租。对中小企业减免房租。\n以上措施自印发之日起施行，有效期至2020年底。\n某市人民政府\n2020年2月10日\n"
	if err := os.WriteFile(filepath.Join(dir, "m.txt"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"POLICYBOT_CORPUS": dir, "POLICYBOT_DATA_DIR": t.TempDir(), "POLICYBOT_AS_OF": "2021-01-01"}
	out, _, err := run(t, env, "validity")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "as of 2021-01-01: 1 documents, in_force 0, not_yet_in_force 0, expired 1,") ||
		!strings.Contains(out, "expired\tm\t《某市关于支持企业的若干措施》\teffective=2020-02-10 expires=2020-12-31") ||
		!strings.Contains(out, "有效期至2020年底") {
		t.Errorf("output:\n%s", out)
	}
	out, _, err = run(t, env, "validity", "--as-of", "2020-06-01", "--status", "in_force", "--summary")
	if err != nil || strings.TrimSpace(out) != "as of 2020-06-01: 1 documents, in_force 1, not_yet_in_force 0, expired 0, repealed 0, superseded 0, unknown 0" {
		t.Errorf("summary: %q, %v", out, err)
	}
	if _, _, err := run(t, env, "validity", "--status", "valid"); err == nil {
		t.Error("a bad status was accepted")
	}
	if _, _, err := run(t, map[string]string{"POLICYBOT_CORPUS": dir, "POLICYBOT_AS_OF": "2021-13-01"}, "validity"); err == nil {
		t.Error("a bad POLICYBOT_AS_OF was accepted")
	}
}
