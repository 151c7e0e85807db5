package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"policybot/policy"
	"policybot/retrieval"
)

// runValidity lists the corpus's documents with their validity on a day:
// what an admin checks after loading a corpus, and the figures of the
// validity issue's note.
func runValidity(ctx context.Context, e *env, args []string) error {
	fs := e.flags("validity")
	asOf := fs.String("as-of", "", "day YYYY-MM-DD (default: as_of, else today)")
	status := fs.String("status", "", "list only documents of this status ("+strings.Join(retrieval.Statuses, ", ")+")")
	asJSON := fs.Bool("json", false, "print JSON")
	summary := fs.Bool("summary", false, "print only the counts")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError("usage: policybot validity [--as-of YYYY-MM-DD] [--status S] [--summary] [--json]")
	}
	if err := retrieval.CheckStatus(*status); err != nil {
		return usageError("%v", err)
	}
	s, err := e.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.close()
	day := *asOf
	if day == "" {
		day = s.searcher.Today()
	} else if day, err = policy.ParseDay(day); err != nil {
		return usageError("--as-of: %v", err)
	}
	ix, err := s.searcher.Validity(ctx)
	if err != nil {
		return err
	}
	docs, err := s.store.Documents(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID       string                 `json:"id"`
		Title    string                 `json:"title"`
		Number   string                 `json:"number"`
		Validity *policy.ValidityStatus `json:"validity"`
	}
	var rows []row
	counts := map[string]int{}
	for _, d := range docs {
		st := ix.Status(d.ID, nil, day)
		if st == nil { // retired
			continue
		}
		counts[st.Status]++
		if *status == "" || st.Status == *status {
			rows = append(rows, row{d.ID, d.Title, d.Number, st})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.Validity.Status, b.Validity.Status), cmp.Compare(a.ID, b.ID))
	})
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"as_of": day, "counts": counts, "documents": rows})
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	fmt.Fprintf(e.stdout, "as of %s: %d documents", day, total)
	for _, st := range retrieval.Statuses {
		fmt.Fprintf(e.stdout, ", %s %d", st, counts[st])
	}
	fmt.Fprintln(e.stdout)
	if *summary {
		return nil
	}
	for _, r := range rows {
		v := r.Validity
		fmt.Fprintf(e.stdout, "%s\t%s\t《%s》\teffective=%s expires=%s superseded_by=%s\t%s\n",
			v.Status, r.ID, r.Title, v.Effective, v.Expires, v.SupersededBy, v.Basis)
	}
	return nil
}
