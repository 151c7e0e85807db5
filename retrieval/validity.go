package retrieval

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"policybot/internal/atomicfile"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"policybot/policy"
)

// ValidityOverride is an admin's correction of what the parser read about a
// document's validity. It is kept apart from the document, by document ID,
// so it survives re-ingest. Empty fields leave the parsed fact as it is.
type ValidityOverride struct {
	Effective string `json:"effective,omitempty"` // YYYY-MM-DD
	Expires   string `json:"expires,omitempty"`   // last day in force
	// Repealed is the day the document stopped applying (with
	// SupersededBy: the day the replacement took over; empty: the
	// replacement's effective date).
	Repealed     string    `json:"repealed,omitempty"`
	SupersededBy string    `json:"superseded_by,omitempty"` // a document ID
	Note         string    `json:"note,omitempty"`          // why (shown as the basis)
	By           string    `json:"by,omitempty"`
	At           time.Time `json:"at"`
}

// Empty reports whether the override corrects nothing.
func (o ValidityOverride) Empty() bool {
	return o.Effective == "" && o.Expires == "" && o.Repealed == "" && o.SupersededBy == ""
}

// Check validates the override's days.
func (o ValidityOverride) Check() error {
	for _, d := range []string{o.Effective, o.Expires, o.Repealed} {
		if d == "" {
			continue
		}
		if _, err := policy.ParseDay(d); err != nil {
			return err
		}
	}
	if o.Effective != "" && o.Expires != "" && o.Expires < o.Effective {
		return fmt.Errorf("expires %s is before effective %s", o.Expires, o.Effective)
	}
	return nil
}

// Overrides keeps the admins' validity overrides: postgres.Store, and
// FileOverrides beside the memory store.
type Overrides interface {
	ValidityOverrides(ctx context.Context) (map[string]ValidityOverride, error)
	// SetValidityOverride stores o for the document; an empty o removes the override.
	SetValidityOverride(ctx context.Context, id string, o ValidityOverride) error
}

// MemoryOverrides keeps overrides in process (tests, and a memory store
// without a data directory).
type MemoryOverrides struct {
	mu sync.Mutex
	m  map[string]ValidityOverride
}

// ValidityOverrides returns a copy of the overrides.
func (m *MemoryOverrides) ValidityOverrides(ctx context.Context) (map[string]ValidityOverride, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]ValidityOverride, len(m.m))
	for k, v := range m.m {
		out[k] = v
	}
	return out, ctx.Err()
}

// SetValidityOverride stores or removes one override.
func (m *MemoryOverrides) SetValidityOverride(ctx context.Context, id string, o ValidityOverride) error {
	if err := o.Check(); err != nil {
		return fmt.Errorf("validity override %s: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]ValidityOverride{}
	}
	if o.Empty() {
		delete(m.m, id)
	} else {
		m.m[id] = o
	}
	return ctx.Err()
}

// ValidityIndex works out documents' statuses on a day from the stored
// facts, the links between documents (a later law repealing an earlier
// one, a revision superseding the text it revises) and the admins'
// overrides. It is built from the whole corpus: the links need every title.
type ValidityIndex struct {
	docs map[string]*docValidity
}

type docValidity struct {
	meta  policy.Meta
	facts policy.Validity
	over  *ValidityOverride
	// The link to the document that repealed or superseded this one.
	by, on, basis string
	repealed      bool // by a 废止 sentence, not by a revision
}

// NewValidityIndex links the active documents of docs.
func NewValidityIndex(docs []StoredDocument, overrides map[string]ValidityOverride) *ValidityIndex {
	ix := &ValidityIndex{docs: make(map[string]*docValidity, len(docs))}
	byTitle := map[string][]*docValidity{}
	for _, d := range docs {
		if d.Status == StatusRetired {
			continue
		}
		dv := &docValidity{meta: d.Meta, facts: d.ValidityFacts}
		dv.meta.Validity = nil
		if o, ok := overrides[d.ID]; ok {
			dv.over = &o
		}
		ix.docs[d.ID] = dv
		k := titleKey(d.Title)
		byTitle[k] = append(byTitle[k], dv)
	}
	// Revisions: a later text of the same title and place whose history
	// records a revision after the earlier one's date supersedes it from
	// the day it takes effect.
	for _, group := range byTitle {
		if len(group) < 2 {
			continue
		}
		slices.SortFunc(group, func(a, b *docValidity) int {
			return cmp.Or(cmp.Compare(a.versionDay(), b.versionDay()), cmp.Compare(a.meta.ID, b.meta.ID))
		})
		for i, early := range group {
			for _, late := range group[i+1:] {
				if late.meta.Region != early.meta.Region || late.versionDay() == early.versionDay() ||
					!late.revises(early) {
					continue
				}
				early.link(late, late.startDay(), false, revisionBasis(late))
				break
			}
		}
	}
	// Repeals: 《…》同时废止 in a document in force from its effective day.
	ids := make([]string, 0, len(ix.docs))
	for id := range ix.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		by := ix.docs[id]
		for _, t := range by.facts.Repeals {
			for _, old := range byTitle[titleKey(t)] {
				if old == by || old.versionDay() > by.versionDay() ||
					(by.meta.Region != policy.RegionNational && old.meta.Region != by.meta.Region) {
					continue
				}
				old.link(by, by.startDay(), true, repealBasis(by))
			}
		}
	}
	return ix
}

// link records that by repealed or superseded d on the day on, keeping
// the earliest link when several documents do.
func (d *docValidity) link(by *docValidity, on string, repealed bool, basis string) {
	if on == "" || (d.by != "" && d.on <= on) {
		return
	}
	d.by, d.on, d.repealed, d.basis = by.meta.ID, on, repealed, basis
}

// versionDay orders versions: the document's date, else its effective day.
func (d *docValidity) versionDay() string {
	return cmp.Or(d.meta.Date, d.facts.Effective)
}

// startDay is the day the document takes effect (override first).
func (d *docValidity) startDay() string {
	if d.over != nil && d.over.Effective != "" {
		return d.over.Effective
	}
	return cmp.Or(d.facts.Effective, fullDay(d.meta.Date))
}

// revises reports whether d is a revision of early: its history records a
// revision after early's date, or names early's 文号.
func (d *docValidity) revises(early *docValidity) bool {
	if d.facts.Revised(early.versionDay()) {
		return true
	}
	for _, h := range d.facts.History {
		if early.meta.Number != "" && h.Number == early.meta.Number {
			return true
		}
	}
	return false
}

// repealBasis is the repealing sentence, after the one dating it when it
// has no date of its own (本法自2026年1月1日起施行。《…》同时废止).
func repealBasis(d *docValidity) string {
	b := d.facts.RepealsBasis
	if !reHasDay.MatchString(b) && d.facts.EffectiveBasis != "" && d.facts.EffectiveBasis != b {
		b = d.facts.EffectiveBasis + "。" + b
	}
	return b
}

var reHasDay = regexp.MustCompile(`[0-9]{4}\s*年`)

func revisionBasis(d *docValidity) string {
	h := d.facts.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Action == "修订" || h[i].Action == "修正" || h[i].Action == "修改" {
			return h[i].Text
		}
	}
	return d.facts.EffectiveBasis
}

// titleKey is a title compared across documents: without the
// 中华人民共和国 of national laws, spaces and the width of brackets.
func titleKey(t string) string {
	t = strings.TrimPrefix(strings.TrimSpace(t), "中华人民共和国")
	return strings.NewReplacer(" ", "", "　", "", "(", "（", ")", "）").Replace(t)
}

func fullDay(d string) string {
	if len(d) == len("2006-01-02") {
		return d
	}
	return ""
}

// Status returns the status on day (YYYY-MM-DD) of a document and, when
// the clause states its own term, of that clause; nil for a document the
// index does not hold.
func (ix *ValidityIndex) Status(docID string, clause *policy.Validity, day string) *policy.ValidityStatus {
	if ix == nil {
		return nil
	}
	d, ok := ix.docs[docID]
	if !ok {
		return nil
	}
	f, o := d.facts, d.over
	if o == nil {
		o = &ValidityOverride{}
	}
	st := &policy.ValidityStatus{
		Effective: cmp.Or(o.Effective, f.Effective),
		Expires:   cmp.Or(o.Expires, f.Expires),
	}
	effBasis, expBasis := f.EffectiveBasis, f.ExpiresBasis
	if o.Effective != "" {
		effBasis = overrideBasis(o)
	}
	if o.Expires != "" {
		expBasis = overrideBasis(o)
	}
	if st.Expires == "" && f.Term != "" {
		if from := cmp.Or(st.Effective, fullDay(d.meta.Date)); from != "" {
			st.Expires = policy.EndOfTerm(from, f.Term)
		}
	}
	if clause != nil && clause.Expires != "" && (st.Expires == "" || clause.Expires < st.Expires) {
		st.Expires, expBasis = clause.Expires, clause.ExpiresBasis
	}
	set := func(status, basis, since string) *policy.ValidityStatus {
		st.Status, st.Basis, st.Since = status, basis, since
		return st
	}
	// Repealed or superseded: by the admin, the document itself, or a later one.
	if o.SupersededBy != "" {
		on := o.Repealed
		if r, ok := ix.docs[o.SupersededBy]; ok && on == "" {
			on = r.startDay()
		}
		if on == "" || day >= on {
			ix.setBy(st, o.SupersededBy)
			return set(policy.StatusSuperseded, overrideBasis(o), on)
		}
	} else if rep := cmp.Or(o.Repealed, f.Repealed); rep != "" && day >= rep {
		basis := f.RepealedBasis
		if o.Repealed != "" {
			basis = overrideBasis(o)
		}
		return set(policy.StatusRepealed, basis, rep)
	}
	if d.by != "" && day >= d.on {
		ix.setBy(st, d.by)
		if d.repealed {
			return set(policy.StatusRepealed, d.basis, d.on)
		}
		return set(policy.StatusSuperseded, d.basis, d.on)
	}
	if st.Effective != "" && day < st.Effective {
		return set(policy.StatusNotYetInForce, effBasis, st.Effective)
	}
	if st.Expires != "" && day > st.Expires {
		return set(policy.StatusExpired, expBasis, st.Expires)
	}
	if f.UntilEvent != "" && o.Expires == "" {
		return set(policy.StatusUnknown, f.UntilEvent, "")
	}
	if f.Term != "" && st.Expires == "" {
		return set(policy.StatusUnknown, f.ExpiresBasis+"（文中未写明起算日期）", "")
	}
	if st.Effective == "" {
		return set(policy.StatusUnknown, "文中未写明施行日期", "")
	}
	if st.Expires != "" {
		return set(policy.StatusInForce, expBasis, st.Effective)
	}
	return set(policy.StatusInForce, effBasis, st.Effective)
}

func overrideBasis(o *ValidityOverride) string {
	b := "管理员更正"
	if o.By != "" {
		b += "（" + o.By + "）"
	}
	if o.Note != "" {
		b += "：" + o.Note
	}
	return b
}

// setBy names the replacement in st.
func (ix *ValidityIndex) setBy(st *policy.ValidityStatus, id string) {
	st.SupersededBy = id
	if d, ok := ix.docs[id]; ok {
		st.SupersededByTitle, st.SupersededByNumber = d.meta.Title, d.meta.Number
	}
}

// Current follows a document's chain of replacements to the one in force
// on day; "" when the chain ends in a document not in force or not held.
func (ix *ValidityIndex) Current(docID, day string) string {
	seen := map[string]bool{}
	for id := docID; id != "" && !seen[id]; {
		seen[id] = true
		st := ix.Status(id, nil, day)
		if st == nil {
			return ""
		}
		if st.Status == policy.StatusInForce {
			return id
		}
		id = st.SupersededBy
	}
	return ""
}

// Counts tallies the statuses of every document on day.
func (ix *ValidityIndex) Counts(day string) map[string]int {
	out := map[string]int{}
	for id := range ix.docs {
		out[ix.Status(id, nil, day).Status]++
	}
	return out
}

// Statuses are the validity statuses a search can be restricted to.
var Statuses = []string{policy.StatusInForce, policy.StatusNotYetInForce, policy.StatusExpired,
	policy.StatusRepealed, policy.StatusSuperseded, policy.StatusUnknown}

// ErrBadStatus is returned for a status filter that is not one of Statuses.
var ErrBadStatus = errors.New("unknown validity status")

// CheckStatus validates a status filter ("" is no filter).
func CheckStatus(s string) error {
	if s == "" || slices.Contains(Statuses, s) {
		return nil
	}
	return fmt.Errorf("%w %q (want one of %s)", ErrBadStatus, s, strings.Join(Statuses, ", "))
}

// FileOverrides keeps overrides in a JSON file (the memory store's data
// directory), written whole or not at all (atomicfile).
type FileOverrides struct {
	path string
	mu   sync.Mutex
}

// NewFileOverrides keeps overrides in the file at path (created on the first change).
func NewFileOverrides(path string) *FileOverrides { return &FileOverrides{path: path} }

// ValidityOverrides reads the file; a missing file holds none.
func (f *FileOverrides) ValidityOverrides(ctx context.Context) (map[string]ValidityOverride, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read()
}

func (f *FileOverrides) read() (map[string]ValidityOverride, error) {
	m := map[string]ValidityOverride{}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("validity overrides: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("validity overrides %s: %w", f.path, err)
	}
	return m, nil
}

// SetValidityOverride stores or removes one override.
func (f *FileOverrides) SetValidityOverride(ctx context.Context, id string, o ValidityOverride) error {
	if err := o.Check(); err != nil {
		return fmt.Errorf("validity override %s: %w", id, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if o.Empty() {
		delete(m, id)
	} else {
		m[id] = o
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("validity overrides: %w", err)
	}
	if err := atomicfile.WriteFile(f.path, b); err != nil {
		return fmt.Errorf("validity overrides: %w", err)
	}
	return ctx.Err()
}

// Title is a document's title ("" for one the index does not hold).
func (ix *ValidityIndex) Title(id string) string {
	if ix == nil {
		return ""
	}
	if d, ok := ix.docs[id]; ok {
		return d.meta.Title
	}
	return ""
}

// Len is how many active documents the index holds.
func (ix *ValidityIndex) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.docs)
}
