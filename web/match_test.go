package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"policybot/enterprise"
	"policybot/policy"
)

type fakeMatcher struct {
	err     error
	lastDay string
}

func (f *fakeMatcher) Today() string { return "2026-12-03" }

func (f *fakeMatcher) Applicable(_ context.Context, day string) ([]enterprise.Candidate, error) {
	f.lastDay = day
	if f.err != nil {
		return nil, f.err
	}
	sub := func(name string, sizes ...string) policy.Subject {
		return policy.Subject{Name: name, Sizes: sizes, Basis: "支持" + name}
	}
	return []enterprise.Candidate{
		{Document: policy.Meta{ID: "tj", Title: "天津措施", Region: "天津市"},
			Clause: policy.Clause{ID: "tj#1", Label: "（一）", Applicability: &policy.Applicability{Subjects: []policy.Subject{sub("小微企业", "small", "micro")}}}},
		{Document: policy.Meta{ID: "bj", Title: "北京措施", Region: "北京市"},
			Clause: policy.Clause{ID: "bj#1", Label: "（一）", Applicability: &policy.Applicability{Subjects: []policy.Subject{sub("中小企业", "medium", "small", "micro")}}}},
		{Document: policy.Meta{ID: "cn", Title: "全国措施", Region: policy.RegionNational},
			Clause: policy.Clause{ID: "cn#1", Label: "第一条", Applicability: &policy.Applicability{Subjects: []policy.Subject{{Name: "专精特新中小企业", Qualification: "专精特新中小企业", Basis: "专精特新"}}}}},
	}, nil
}

func postMatch(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response %q: %v", b, err)
	}
	return resp.StatusCode, m
}

func TestMatchAPI(t *testing.T) {
	fm := &fakeMatcher{}
	ts, _ := newTestServer(t, Config{Matcher: fm})
	status, m := postMatch(t, ts.URL+"/api/match?as_of=2021-06-01",
		`{"region":"天津市","industry":"零售业","employees":8,"revenue_wan":60,"qualifications":["专精特新"],"founded_year":2015}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, m)
	}
	p := m["profile"].(map[string]any)
	if p["size"] != "micro" || p["size_derived"] != true || p["sector"] != "批发和零售业" {
		t.Errorf("profile as understood: %v", p)
	}
	matches := m["matches"].([]any)
	if len(matches) != 2 || m["total"].(float64) != 2 || fm.lastDay != "2021-06-01" {
		t.Fatalf("matches %v (total %v, day %q); want the Tianjin and the national clause", matches, m["total"], fm.lastDay)
	}
	for _, x := range matches {
		mm := x.(map[string]any)
		for _, k := range []string{"score", "outcome", "document", "clause", "why", "check"} {
			if _, ok := mm[k]; !ok {
				t.Errorf("match lacks %q: %v", k, mm)
			}
		}
		if mm["outcome"] != enterprise.Eligible || mm["document"].(map[string]any)["id"] == "bj" {
			t.Errorf("match %v", mm)
		}
	}
	// Without a size or the data to derive it, the size-bound clause waits on it.
	_, m = postMatch(t, ts.URL+"/api/match", `{"region":"天津市","qualifications":[]}`)
	if ms := m["matches"].([]any); len(ms) != 1 || ms[0].(map[string]any)["outcome"] != enterprise.NeedMoreInfo ||
		ms[0].(map[string]any)["missing"].([]any)[0] != "size" {
		t.Errorf("matches without a size: %v", ms)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"region":"天津市","qualifications":["五星企业"]}`, "qualifications"},
		{`{"size":"huge"}`, "size"},
		{`{"employees":"many"}`, "employees"},
		{`{"revenue":100}`, "revenue"},
		{`{"industry":"挖矿"}`, "industry"},
		{`{"founded_year":3000}`, "founded_year"},
		{`[1,2]`, ""},
		{`{"region":"天津市"} {}`, ""},
	} {
		status, m := postMatch(t, ts.URL+"/api/match", tc.body)
		if status != http.StatusBadRequest || tc.field != "" && m["field"] != tc.field {
			t.Errorf("%s: %d %v; want 400 naming %q", tc.body, status, m, tc.field)
		}
	}
	if status, m := postMatch(t, ts.URL+"/api/match?as_of=yesterday", `{}`); status != http.StatusBadRequest || m["field"] != "as_of" {
		t.Errorf("bad as_of: %d %v", status, m)
	}
	fm.err = errors.New("database down")
	if status, _ := postMatch(t, ts.URL+"/api/match", `{"region":"天津市"}`); status != http.StatusServiceUnavailable {
		t.Errorf("store down: %d, want 503", status)
	}
	resp, err := http.Post(ts.URL+"/api/match", "application/json", strings.NewReader(`{"region":"`+strings.Repeat("天", 5000)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d, want 413", resp.StatusCode)
	}
}
