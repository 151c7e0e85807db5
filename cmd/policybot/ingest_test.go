package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"policybot/testenv"
)

// TestIngestPostgres runs `policybot ingest` twice on PostgreSQL: the second
// run embeds nothing; a changed document is re-embedded alone; a changed
// embedding model is refused until --reembed.
func TestIngestPostgres(t *testing.T) {
	db := testenv.Database(t)
	dir := t.TempDir()
	writeDoc := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeDoc("bj.txt", "北京市支持中小企业若干措施\n一、加强金融支持\n（一）降低担保费率。对中小微企业降低综合费率。（责任单位：市金融局）\n（二）延期还本。对到期贷款给予展期。（责任单位：市金融局、人民银行营业管理部）\n")
	envv := map[string]string{"POLICYBOT_STORE": "postgres", "POLICYBOT_DATABASE_URL": db}
	counts := regexp.MustCompile(`^(\d+) documents, (\d+) clauses, (\d+) embedded`)
	ingest := func(extra map[string]string, args ...string) (string, error) {
		t.Helper()
		e := map[string]string{}
		for k, v := range envv {
			e[k] = v
		}
		for k, v := range extra {
			e[k] = v
		}
		out, _, err := run(t, e, append([]string{"ingest"}, args...)...)
		return strings.TrimSpace(out), err
	}

	out, err := ingest(nil, "seeds", dir)
	if m := counts.FindStringSubmatch(out); err != nil || m == nil || m[1] != "15" || m[2] != "767" || m[3] != "767" {
		t.Fatalf("first ingest: %q, %v", out, err)
	}
	out, err = ingest(nil, "seeds", dir)
	if m := counts.FindStringSubmatch(out); err != nil || m == nil || m[3] != "0" {
		t.Fatalf("second ingest must embed 0: %q, %v", out, err)
	}
	writeDoc("bj.txt", "北京市支持中小企业若干措施\n一、加强金融支持\n（一）降低担保费率。对中小微企业降低综合费率。（责任单位：市金融局）\n（二）延期还本。对到期贷款给予展期和无还本续贷。（责任单位：市金融局）\n")
	out, err = ingest(nil, "seeds", dir)
	if m := counts.FindStringSubmatch(out); err != nil || m == nil || m[3] != "1" {
		t.Fatalf("a changed clause alone is embedded: %q, %v", out, err)
	}
	small := map[string]string{"POLICYBOT_EMBEDDINGS_DIMENSIONS": "64"}
	if _, err := ingest(small, "seeds", dir); err == nil || !strings.Contains(err.Error(), "--reembed") {
		t.Fatalf("model change not refused: %v", err)
	}
	out, err = ingest(small, "--reembed", "seeds", dir)
	if m := counts.FindStringSubmatch(out); err != nil || m == nil || m[3] != "767" {
		t.Fatalf("reembed: %q, %v", out, err)
	}
	sout, _, err := run(t, map[string]string{"POLICYBOT_STORE": "postgres", "POLICYBOT_DATABASE_URL": db, "POLICYBOT_EMBEDDINGS_DIMENSIONS": "64"},
		"search", "-k", "1", "--region", "北京市", "到期贷款展期")
	if err != nil || !strings.Contains(sout, "延期还本") {
		t.Fatalf("search after reembed: %v\n%s", err, sout)
	}
}

// TestSearchReplica searches through POLICYBOT_SEARCH_DATABASE_URL: a
// read-only connection (as a streaming replica gives) serves searches and
// answers, and a database at another schema version is refused.
func TestSearchReplica(t *testing.T) {
	db := testenv.Database(t)
	envv := map[string]string{"POLICYBOT_STORE": "postgres", "POLICYBOT_DATABASE_URL": db}
	if _, _, err := run(t, envv, "ingest", "seeds"); err != nil {
		t.Fatal(err)
	}
	// Every transaction on this connection is read-only, as on a hot standby:
	// the primary's start-up (migrations) fails on it.
	readOnly := db + "&default_transaction_read_only=on"
	if _, _, err := run(t, map[string]string{"POLICYBOT_STORE": "postgres", "POLICYBOT_DATABASE_URL": readOnly}, "ingest", "seeds"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("the read-only connection accepted writes: %v", err)
	}
	envv["POLICYBOT_SEARCH_DATABASE_URL"] = readOnly
	out, _, err := run(t, envv, "search", "-k", "1", "--region", "天津市", "小微企业续贷怎么办")
	if err != nil || !strings.Contains(out, "加强信贷支持") {
		t.Fatalf("search on the replica: %v\n%s", err, out)
	}
	out, _, err = run(t, envv, "ask", "--region", "天津市", "小微企业续贷怎么办")
	if err != nil || !strings.Contains(out, "无还本续贷") {
		t.Fatalf("ask with a search replica: %v\n%s", err, out)
	}
	envv["POLICYBOT_SEARCH_DATABASE_URL"] = testenv.Database(t) // never migrated
	if _, _, err := run(t, envv, "search", "续贷"); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("an unmigrated replica was accepted: %v", err)
	}
}
