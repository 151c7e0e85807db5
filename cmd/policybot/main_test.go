package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policybot/testenv"
)

// run runs policybot in-process with the given environment.
func run(t *testing.T, envv map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	dataDir := t.TempDir()
	err := Run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string {
		if v, ok := envv[k]; ok || k != "POLICYBOT_DATA_DIR" {
			return v
		}
		return dataDir // never the package folder's data/
	})
	return out.String(), errb.String(), err
}

func TestParseCommand(t *testing.T) {
	out, _, err := run(t, nil, "parse", "--json", "../../seeds/000_28e46f3fd46f944c.txt")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Title, Number, Date, Region string
		Clauses                     []struct {
			ID, Label, Title, Text string
			Path, Agencies         []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Number != "津中小企组〔2022〕2号" || doc.Date != "2022-06-18" || len(doc.Clauses) != 24 {
		t.Fatalf("parsed %q %q %d clauses", doc.Number, doc.Date, len(doc.Clauses))
	}

	for _, tc := range []struct {
		name, content string
	}{
		{"ErrEmpty", ""},
		{"ErrBinary", "\x00\x01\x02\xff\xfe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "doc.txt")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := run(t, nil, "parse", p)
			if err == nil || !strings.Contains(err.Error(), "doc.txt") {
				t.Fatalf("err = %v, want one naming the file", err)
			}
		})
	}
	if _, _, err := run(t, nil, "parse", "/nonexistent/x.txt"); err == nil {
		t.Fatal("missing file parsed")
	}
}

func TestSearchAndAskCommands(t *testing.T) {
	out, _, err := run(t, nil, "search", "--json", "-k", "2", "--region", "天津市", "小微企业续贷怎么办")
	if err != nil {
		t.Fatal(err)
	}
	var sr struct {
		Query string
		Hits  []struct {
			Score    float64
			Document struct{ Title, Number string }
			Clause   struct {
				Label    string
				Agencies []string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &sr); err != nil {
		t.Fatal(err)
	}
	if len(sr.Hits) != 2 || sr.Hits[0].Clause.Label != "（四）" || len(sr.Hits[0].Clause.Agencies) != 7 {
		t.Fatalf("search: %+v", sr)
	}

	out, _, err = run(t, nil, "ask", "--json", "--region", "天津市", "小微企业续贷怎么办")
	if err != nil {
		t.Fatal(err)
	}
	var ar struct {
		Answered  bool
		Answer    string
		Citations []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &ar); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"无还本续贷", "天津市提升中小企业竞争力若干措施", "津中小企组〔2022〕2号", "加强信贷支持", "人民银行天津分行"} {
		if !ar.Answered || !strings.Contains(ar.Answer, want) {
			t.Fatalf("answer lacks %q: %+v", want, ar)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"search"}, {"ask"}, {"parse"}, {"eval"}, {"config"}} {
		_, _, err := run(t, nil, args...)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%v: err %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	if _, _, err := run(t, map[string]string{"POLICYBOT_STORE": "sqlite"}, "config", "check"); err == nil || !strings.Contains(err.Error(), "store") {
		t.Fatalf("bad config: %v", err)
	}
	out, _, err := run(t, map[string]string{"POLICYBOT_DATABASE_URL": "postgres://secret@h/db"}, "config", "check")
	if err != nil || strings.Contains(out, "secret@") || !strings.Contains(out, "configuration OK") {
		t.Fatalf("config check: %v\n%s", err, out)
	}
}

// TestServe starts the whole program on a free port and talks to it over HTTP.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	envv := map[string]string{"POLICYBOT_LISTEN": "127.0.0.1:0", "POLICYBOT_REGION": "天津市", "POLICYBOT_DATA_DIR": t.TempDir()}
	var errb testenv.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, &errb, func(k string) string { return envv[k] })
	}()
	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" && time.Now().Before(deadline) {
		if _, rest, ok := strings.Cut(errb.String(), "serving on "); ok {
			base = strings.Fields(rest)[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("server did not start: %s", errb.String())
	}
	ready := false
	for !ready && time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == 200
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ready {
		t.Fatalf("/readyz never 200: %s", errb.String())
	}
	if !strings.Contains(errb.String(), "msg=serving documents=14 clauses=765 store=memory") { // the seed notice and the 13 laws of seeds/laws
		t.Errorf("no line saying what is served: %s", errb.String())
	}
	resp, err := http.Get(base + "/api/ask?q=" + "%E5%B0%8F%E5%BE%AE%E4%BC%81%E4%B8%9A%E7%BB%AD%E8%B4%B7%E6%80%8E%E4%B9%88%E5%8A%9E&session=t1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "无还本续贷") {
		t.Fatalf("ask: %d %s", resp.StatusCode, body)
	}
	// The console is mounted and guarded: anonymous users are sent to /login.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("console: %d Location %q", resp.StatusCode, loc)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
