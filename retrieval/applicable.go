package retrieval

import (
	"context"
	"fmt"
	"sync"

	"policybot/enterprise"
	"policybot/policy"
)

// applicableCache holds the store's applicable clauses for one corpus view:
// a match reads every one of them, and they change only when the corpus does.
type applicableCache struct {
	mu    sync.Mutex
	view  *corpusView
	cands []Candidate
}

// Applicable returns the clauses that name whom they are for and are current
// law on day (YYYY-MM-DD; "" today): in force, not repealed, expired or
// replaced, by the same validity the searcher ranks with. Each carries its
// document's status.
func (s *Searcher) Applicable(ctx context.Context, day string) ([]enterprise.Candidate, error) {
	if day == "" {
		day = s.Today()
	} else if d, err := policy.ParseDay(day); err != nil {
		return nil, fmt.Errorf("applicable: as_of: %w", err)
	} else {
		day = d
	}
	view, err := s.corpus(ctx)
	if err != nil {
		return nil, err
	}
	cands, err := s.applicable.get(ctx, view, s.store)
	if err != nil {
		return nil, err
	}
	var out []enterprise.Candidate
	for _, c := range cands {
		st := view.validity.Status(c.Document.ID, c.Clause.Validity, day)
		if st == nil || !st.Current() {
			continue
		}
		d := c.Document
		d.Validity = st
		out = append(out, enterprise.Candidate{Document: d, Clause: c.Clause})
	}
	return out, nil
}

// get returns the store's applicable clauses, read again when the corpus
// view has changed since (a write through this process, or corpusViewTTL).
// No lock is held while the store is read: two matches at a refresh may
// both read, rather than one waiting on the other's database call.
func (ac *applicableCache) get(ctx context.Context, view *corpusView, store Store) ([]Candidate, error) {
	ac.mu.Lock()
	if ac.view == view {
		defer ac.mu.Unlock()
		return ac.cands, nil
	}
	ac.mu.Unlock()
	cands, err := store.Applicable(ctx)
	if err != nil {
		return nil, fmt.Errorf("applicable: %w", err)
	}
	ac.mu.Lock()
	ac.view, ac.cands = view, cands
	ac.mu.Unlock()
	return cands, nil
}
