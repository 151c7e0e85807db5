package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"policybot/policy"
)

func runParse(_ context.Context, e *env, args []string) error {
	fs := e.flags("parse")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: policybot parse [--json] FILE")
	}
	doc, err := policy.ParseFile(pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, doc)
	}
	printDocument(e.stdout, doc)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printDocument(w io.Writer, d *policy.Document) {
	fmt.Fprintf(w, "%s\n", d.Title)
	fmt.Fprintf(w, "文号: %s  发文: %s  日期: %s  地区: %s  类别: %s\n", orDash(d.Number), orDash(d.Issuer), orDash(d.Date), orDash(d.Region), d.Kind)
	fmt.Fprintf(w, "%d clauses\n", len(d.Clauses))
	for _, w2 := range d.Warnings {
		fmt.Fprintf(w, "warning: %s\n", w2)
	}
	for _, c := range d.Clauses {
		fmt.Fprintf(w, "\n[%s] %s\n", c.ID, strings.Join(c.Path, " › "))
		if c.Title != "" {
			fmt.Fprintf(w, "  标题: %s\n", c.Title)
		}
		fmt.Fprintf(w, "  %s\n", c.Text)
		if len(c.Agencies) > 0 {
			fmt.Fprintf(w, "  责任单位: %s", strings.Join(c.Agencies, "、"))
			if len(c.LeadAgencies) > 0 {
				fmt.Fprintf(w, "（牵头: %s）", strings.Join(c.LeadAgencies, "、"))
			}
			fmt.Fprintln(w)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
