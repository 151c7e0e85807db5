package console

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"policybot/answer"
	"policybot/policy"
	"policybot/staff"
	"policybot/state"
)

// unansweredQuery narrows the admins' work queue of unanswered questions.
type unansweredQuery struct {
	Region   string
	From, To string // days asked, YYYY-MM-DD, China time
	Show     string // open (default), handled, all
	Sort     string // "" newest first, status: by the best document's validity
}

func unansweredQueryOf(r *http.Request) (unansweredQuery, error) {
	v := r.URL.Query()
	q := unansweredQuery{Region: strings.TrimSpace(v.Get("region")), Show: v.Get("show"), Sort: v.Get("sort")}
	if q.Show == "" {
		q.Show = "open"
	}
	if q.Show != "open" && q.Show != "handled" && q.Show != "all" {
		return q, userError(http.StatusBadRequest, "筛选有误。")
	}
	for _, d := range []struct {
		dst  *string
		name string
	}{{&q.From, "from"}, {&q.To, "to"}} {
		if s := strings.TrimSpace(v.Get(d.name)); s != "" {
			day, err := policy.ParseDay(s)
			if err != nil {
				return q, userError(http.StatusBadRequest, "日期格式为 YYYY-MM-DD。")
			}
			*d.dst = day
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return q, userError(http.StatusBadRequest, "起始日期晚于截止日期。")
	}
	return q, nil
}

// values is q as URL parameters, for the export link and the forms' return.
func (q unansweredQuery) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"region", q.Region}, {"from", q.From}, {"to", q.To}, {"sort", q.Sort}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if q.Show != "open" {
		v.Set("show", q.Show)
	}
	return v
}

// Encoded is q as a query string ("" when it is the default view).
func (q unansweredQuery) Encoded() string { return q.values().Encode() }

// ExportURL is the CSV of the queue as filtered.
func (q unansweredQuery) ExportURL() string {
	if e := q.Encoded(); e != "" {
		return "/admin/unanswered.csv?" + e
	}
	return "/admin/unanswered.csv"
}

// RerunURL is the queue as filtered with g's question re-run, in the
// region it was last asked from.
func (q unansweredQuery) RerunURL(g unansweredGroup) string {
	v := q.values()
	v.Set("rerun", g.Question)
	if len(g.Regions) > 0 {
		v.Set("rerun_region", g.Regions[0])
	}
	return "/admin/unanswered?" + v.Encode() + "#rerun"
}

// china is the time zone days are counted in (the questions' callers').
var china = time.FixedZone("CST", 8*3600)

// keep reports whether an entry asked at at, from region, is in the range.
func (q unansweredQuery) keep(u state.Unanswered) bool {
	day := u.At.In(china).Format(time.DateOnly)
	return (q.Region == "" || u.Region == q.Region) && (q.From == "" || day >= q.From) && (q.To == "" || day <= q.To)
}

// unansweredList is the work queue as the page and the export show it.
type unansweredList struct {
	Query   unansweredQuery
	Groups  []unansweredGroup
	Regions []string // every region asked from, for the filter
	Open    int
	Done    int
	Rerun   *rerunView
	CanMark bool
}

// rerunView is what a question would be answered today.
type rerunView struct {
	Question string
	Region   string
	Answer   answer.Answer
}

// unansweredShown bounds the questions read for the page and the export.
const unansweredShown = 5000

func (c *Console) unansweredList(ctx context.Context, q unansweredQuery) (unansweredList, error) {
	l := unansweredList{Query: q, CanMark: c.cfg.Handled != nil}
	if c.cfg.Unanswered == nil {
		return l, nil
	}
	us, err := c.cfg.Unanswered.ListUnanswered(ctx, unansweredShown)
	if err != nil {
		return l, err
	}
	seen := map[string]bool{}
	kept := us[:0:0]
	for _, u := range us {
		if u.Region != "" && !seen[u.Region] {
			seen[u.Region] = true
			l.Regions = append(l.Regions, u.Region)
		}
		if q.keep(u) {
			kept = append(kept, u)
		}
	}
	slices.Sort(l.Regions)
	groups := groupUnanswered(kept)
	var handled map[string]state.Handled
	if c.cfg.Handled != nil {
		if handled, err = c.cfg.Handled.HandledQuestions(ctx); err != nil {
			return l, err
		}
	}
	for i := range groups {
		if h, ok := handled[groups[i].Key]; ok {
			groups[i].Handled = &h
		}
	}
	if err := c.unansweredValidity(ctx, groups, q.Sort); err != nil {
		return l, err
	}
	for _, g := range groups {
		done := g.Handled != nil
		if done {
			l.Done++
		} else {
			l.Open++
		}
		if q.Show == "all" || (q.Show == "handled") == done {
			l.Groups = append(l.Groups, g)
		}
	}
	return l, nil
}

// queueOf reads the request's filters and lists the queue by them.
func (c *Console) queueOf(r *http.Request) (unansweredList, error) {
	q, err := unansweredQueryOf(r)
	if err != nil {
		return unansweredList{}, err
	}
	l, err := c.unansweredList(r.Context(), q)
	if err != nil {
		return l, fmt.Errorf("admin unanswered: %w", err)
	}
	return l, nil
}

// unanswered is the admins' work queue: refused and low-confidence
// questions grouped, filtered by region and day, each one re-run against
// today's corpus or marked handled with a note.
func (c *Console) unanswered(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	l, err := c.queueOf(r)
	if err != nil {
		return err
	}
	q := l.Query
	if question := strings.TrimSpace(r.URL.Query().Get("rerun")); question != "" {
		if l.Rerun, err = c.rerun(r, question); err != nil {
			return err
		}
	}
	p := page{Title: "未解答问题", Unanswered: &l, Sort: q.Sort}
	if done := r.URL.Query().Get("done"); done == "handled" || done == "reopen" {
		p.Notice = actionNames[done] + "完成。"
	}
	return c.render(w, r, "unanswered", si, p)
}

// rerun asks question again as it was asked (its region, the day today)
// without recording it: what it would answer now.
func (c *Console) rerun(r *http.Request, question string) (*rerunView, error) {
	if utf8.RuneCountInString(question) > state.MaxUnansweredRunes {
		return nil, userError(http.StatusBadRequest, "问题太长。")
	}
	region := strings.TrimSpace(r.URL.Query().Get("rerun_region"))
	asker := c.cfg.Rerun
	if asker == nil {
		asker = c.cfg.Asker
	}
	ans, err := asker.Ask(r.Context(), answer.Request{Question: question, Region: region})
	if err != nil {
		return nil, fmt.Errorf("admin rerun: %w", err)
	}
	return &rerunView{Question: question, Region: region, Answer: ans}, nil
}

// markHandled marks a question handled with the admin's note; audited.
func (c *Console) markHandled(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	question, key, err := c.markedQuestion(r)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if utf8.RuneCountInString(note) > state.MaxNoteRunes {
		return userError(http.StatusBadRequest, fmt.Sprintf("处理说明最多 %d 个字。", state.MaxNoteRunes))
	}
	h := state.Handled{Question: question, Note: note, By: si.User.Name, At: c.now().UTC()}
	if err := c.cfg.Handled.MarkHandled(r.Context(), key, h); err != nil {
		return fmt.Errorf("admin mark handled: %w", err)
	}
	c.audit(r, staff.AuditEntry{User: si.User.Name, Action: "handled", Target: question, Detail: note})
	http.Redirect(w, r, backToQueue(r, "handled"), http.StatusSeeOther)
	return nil
}

// reopen puts a handled question back in the queue; audited.
func (c *Console) reopen(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	question, key, err := c.markedQuestion(r)
	if err != nil {
		return err
	}
	if err := c.cfg.Handled.UnmarkHandled(r.Context(), key); err != nil {
		return fmt.Errorf("admin reopen: %w", err)
	}
	c.audit(r, staff.AuditEntry{User: si.User.Name, Action: "reopen", Target: question})
	http.Redirect(w, r, backToQueue(r, "reopen"), http.StatusSeeOther)
	return nil
}

// markedQuestion is the question a mark or reopen form names, with its key.
func (c *Console) markedQuestion(r *http.Request) (question, key string, err error) {
	if c.cfg.Handled == nil {
		return "", "", userError(http.StatusNotImplemented, "此部署未开启处理标记。")
	}
	question = strings.TrimSpace(r.PostFormValue("question"))
	if key = normalizeQuestion(question); key == "" {
		return "", "", userError(http.StatusBadRequest, "缺少要处理的问题。")
	}
	return question, key, nil
}

// backToQueue is the queue with the filters the form came from.
func backToQueue(r *http.Request, done string) string {
	v, err := url.ParseQuery(r.PostFormValue("back"))
	if err != nil {
		v = url.Values{}
	}
	out := url.Values{}
	for _, k := range []string{"region", "from", "to", "show", "sort"} {
		if s := v.Get(k); s != "" {
			out.Set(k, s)
		}
	}
	out.Set("done", done)
	return "/admin/unanswered?" + out.Encode()
}

// unansweredCSV exports the queue as filtered, for a spreadsheet: UTF-8
// with a byte-order mark, which Excel needs to read Chinese.
func (c *Console) unansweredCSV(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	l, err := c.queueOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="unanswered-`+c.now().In(china).Format("20060102")+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"\uFEFF问题", "次数", "拒答", "地区", "最高得分", "最佳匹配文件", "效力", "最近一次", "状态", "处理说明", "处理人", "处理时间"})
	for _, g := range l.Groups {
		doc, status := g.Document, ""
		if g.DocTitle != "" {
			doc = g.DocTitle
		}
		if g.Validity != nil {
			status = statusNames[g.Validity.Status]
		}
		row := []string{cell(g.Question), strconv.Itoa(g.Count), strconv.Itoa(g.Refused), strings.Join(g.Regions, "、"),
			fmt.Sprintf("%.2f", g.Best), cell(doc), status, g.Last.In(china).Format("2006-01-02 15:04"), "待处理", "", "", ""}
		if h := g.Handled; h != nil {
			row[8], row[9], row[10], row[11] = "已处理", cell(h.Note), h.By, h.At.In(china).Format("2006-01-02 15:04")
		}
		cw.Write(row)
	}
	cw.Flush()
	c.log.Info("admin unanswered export", "user", si.User.Name, "rows", len(l.Groups))
	return cw.Error()
}

// cell keeps a spreadsheet from reading a cell as a formula (CSV injection):
// a question typed by anyone on WeChat may start with =, +, - or @.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// unansweredValidity gives each group the status today of the document its
// best hit came from, and sorts by it when asked (sort=status): a question
// answered only from an expired policy is a gap in the corpus too.
func (c *Console) unansweredValidity(ctx context.Context, groups []unansweredGroup, sortBy string) error {
	if c.cfg.Validity == nil {
		return nil
	}
	ix, err := c.cfg.Validity.Validity(ctx)
	if err != nil {
		return err
	}
	day := c.cfg.Validity.Today()
	for i := range groups {
		if g := &groups[i]; g.Document != "" {
			g.Validity = ix.Status(g.Document, nil, day)
			g.DocTitle = ix.Title(g.Document)
		}
	}
	if sortBy == "status" {
		slices.SortStableFunc(groups, func(a, b unansweredGroup) int {
			return cmp.Compare(groupOrder(a), groupOrder(b))
		})
	}
	return nil
}

func groupOrder(g unansweredGroup) int {
	if g.Validity == nil {
		return -1 // nothing found at all
	}
	return statusOrder[g.Validity.Status]
}

type unansweredGroup struct {
	Key      string // normalizeQuestion of the question: what groups, and what a handled mark is kept under
	Question string // as last asked
	Document string // the best hit's document, when one was found
	DocTitle string
	Validity *policy.ValidityStatus // of Document, today
	Count    int
	Refused  int
	Regions  []string
	Best     float64
	Last     time.Time
	Handled  *state.Handled
}

// groupUnanswered groups questions by their normalised form (case, width and
// spacing and trailing punctuation folded), counts them and sorts the groups
// newest first.
func groupUnanswered(us []state.Unanswered) []unansweredGroup {
	idx := map[string]int{}
	var gs []unansweredGroup
	for _, u := range us {
		key := normalizeQuestion(u.Question)
		if key == "" {
			continue
		}
		i, ok := idx[key]
		if !ok {
			i = len(gs)
			idx[key] = i
			gs = append(gs, unansweredGroup{Key: key, Question: strings.TrimSpace(u.Question), Best: u.BestScore, Last: u.At, Document: u.Document})
		}
		g := &gs[i]
		g.Count++
		if u.Refused {
			g.Refused++
		}
		if u.BestScore > g.Best || (g.Document == "" && u.Document != "") {
			g.Best = max(g.Best, u.BestScore)
			if u.Document != "" {
				g.Document = u.Document
			}
		}
		if u.At.After(g.Last) {
			g.Last, g.Question = u.At, strings.TrimSpace(u.Question)
		}
		if u.Region != "" && !slices.Contains(g.Regions, u.Region) {
			g.Regions = append(g.Regions, u.Region)
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].Last.After(gs[j].Last) })
	return gs
}

// normalizeQuestion folds full-width forms, case and whitespace and drops
// trailing punctuation, so 「续贷怎么办？」 and 「续贷怎么办」 count as one.
func normalizeQuestion(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r == '\u3000' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), "?!.。！？，,；;…~")
}
