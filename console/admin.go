package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
)

// uploadTTL is how long a previewed upload waits for its commit.
const (
	uploadTTL  = 30 * time.Minute
	maxPending = 50 // previews held at once, across admins
)

// pendingUpload is a previewed upload kept server-side until committed, so
// the bytes committed are exactly the bytes previewed.
type pendingUpload struct {
	user    string
	name    string // stored file name, which gives the document ID
	orig    string // name the admin uploaded
	data    []byte
	docID   string
	replace string // ID of the document this upload replaces; empty for a new one
	exists  bool   // a document of docID was stored at preview time
	parsed  policy.Meta
	expires time.Time
}

// uploadExts are the formats the parser reads (retrieval.Extensions).
var uploadExts = retrieval.Extensions

type previewView struct {
	Token    string
	Orig     string
	Size     string
	Doc      *policy.Document
	Replace  string
	Exists   bool // a document with this ID is already stored
	Tree     []treeItem
	Agencies []agencyCount
	// Shown is the metadata as it will be stored: as parsed, with an
	// earlier correction of the document applied; the admin may change it.
	Shown      policy.Meta
	CanCorrect bool
}

type treeItem struct {
	Heading string // set for a heading row
	Clause  *policy.Clause
	Depth   int
}

type agencyCount struct {
	Name  string
	Count int
}

// msgSourceLost tells the admin that an upload was stored but its bytes
// were not kept (ErrSourceNotSaved), so it cannot be re-ingested yet.
const msgSourceLost = "文件已入库，但原文未能保存，暂时无法对它重新入库；请稍后重新上传同一文件以保存原文。"

// noticeText turns the redirect's ?done=ACTION&doc=ID into a message
// naming the document by its title; only known actions are shown, and the
// template escapes what is shown.
func noticeText(q url.Values, docs []retrieval.StoredDocument) string {
	a, ok := actionNames[q.Get("done")]
	if !ok {
		return ""
	}
	id := q.Get("doc")
	for _, d := range docs {
		if d.ID == id && d.Title != "" {
			return fmt.Sprintf("%s完成：《%s》（%s）", a, d.Title, id)
		}
	}
	return fmt.Sprintf("%s完成：%s", a, id)
}

// preview parses an upload and shows what would be stored; nothing is
// stored until the admin commits it.
func (c *Console) preview(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	f, hdr, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return userError(http.StatusBadRequest, "请选择要上传的文件。")
	}
	if err != nil {
		return userError(http.StatusBadRequest, "读取上传文件失败。")
	}
	defer f.Close()
	if hdr.Size > c.cfg.MaxUpload {
		return userError(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大：上限为 %s。", sizeText(c.cfg.MaxUpload)))
	}
	data, err := io.ReadAll(io.LimitReader(f, c.cfg.MaxUpload+1))
	if err != nil {
		return fmt.Errorf("admin preview: read upload: %w", err)
	}
	orig := filepath.Base(strings.ReplaceAll(hdr.Filename, "\\", "/"))
	ext := strings.ToLower(filepath.Ext(orig))
	if !slices.Contains(uploadExts, ext) {
		return userError(http.StatusUnsupportedMediaType, "只接受 txt、md、html 格式的文件（可为 UTF-8 或 GBK 编码）。")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return userError(http.StatusBadRequest, "文件为空，未保存任何内容。")
	}
	replace := strings.TrimSpace(r.PostFormValue("replace"))
	name, err := c.storedName(r, orig, ext, data, replace)
	if err != nil {
		return err
	}
	doc, err := c.cfg.Parse(name, data)
	switch {
	case errors.Is(err, policy.ErrEmpty):
		return userError(http.StatusBadRequest, "文件没有可读的正文，未保存任何内容。")
	case errors.Is(err, policy.ErrBinary):
		return userError(http.StatusBadRequest, "文件不是文本（可能是 Word、PDF 或图片），未保存任何内容。请另存为 txt、md 或 html 后上传。")
	case errors.Is(err, policy.ErrNoClauses):
		return userError(http.StatusBadRequest, "未能识别出任何条款，未保存任何内容。请检查文件是否为政策正文。")
	case err != nil:
		return fmt.Errorf("admin preview: %w", err)
	}
	_, _, err = c.cfg.Store.Document(r.Context(), doc.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, retrieval.ErrNotFound) {
		return fmt.Errorf("admin preview: %w", err)
	}
	shown := doc.Meta()
	if c.cfg.Corrections != nil {
		all, err := c.cfg.Corrections.Corrections(r.Context())
		if err != nil {
			return fmt.Errorf("admin preview: %w", err)
		}
		all[doc.ID].Apply(&shown)
	}
	token := randomToken()
	c.addPending(token, pendingUpload{user: si.User.Name, name: name, orig: orig, data: data,
		docID: doc.ID, replace: replace, exists: exists, parsed: doc.Meta(), expires: c.now().Add(uploadTTL)})
	pv := &previewView{Token: token, Orig: orig, Size: sizeText(int64(len(data))), Doc: doc, Replace: replace,
		Exists: exists, Tree: clauseTree(doc.Clauses), Agencies: agencyCounts(doc.Clauses),
		Shown: shown, CanCorrect: c.cfg.Corrections != nil}
	return c.render(w, r, "preview", si, page{Title: "预览：" + doc.Title, Preview: pv})
}

// storedName is the file name an upload is ingested under; it gives the
// document ID. A replacement keeps the ID of the document it replaces, so
// the store swaps the old version for the new in one transaction. A new
// upload keeps its own name unless that yields no usable ID (Chinese names
// do), in which case a content hash names it.
func (c *Console) storedName(r *http.Request, orig, ext string, data []byte, replace string) (string, error) {
	if replace != "" {
		if _, _, err := c.cfg.Store.Document(r.Context(), replace); err != nil {
			if errors.Is(err, retrieval.ErrNotFound) {
				return "", userError(http.StatusBadRequest, "要替换的文件不存在。")
			}
			return "", fmt.Errorf("admin preview: %w", err)
		}
		return replace + ext, nil
	}
	id := policy.DocumentID(orig)
	alnum := 0
	for _, r := range id {
		if r != '-' && r != '_' {
			alnum++
		}
	}
	if alnum < 3 || id == "doc" {
		sum := sha256.Sum256(data)
		return "upload-" + hex.EncodeToString(sum[:6]) + ext, nil
	}
	return orig, nil
}

// clauseTree lists the clauses under their headings, each heading once.
func clauseTree(cs []policy.Clause) []treeItem {
	var out []treeItem
	var open []string
	for i := range cs {
		cl := &cs[i]
		heads := cl.Path
		if len(heads) > 0 {
			heads = heads[:len(heads)-1] // the last element is the clause itself
		}
		common := 0
		for common < len(open) && common < len(heads) && open[common] == heads[common] {
			common++
		}
		for d := common; d < len(heads); d++ {
			out = append(out, treeItem{Heading: heads[d], Depth: d})
		}
		open = heads
		out = append(out, treeItem{Clause: cl, Depth: len(heads)})
	}
	return out
}

// agencyCounts counts the clauses each agency is responsible for, most first.
func agencyCounts(cs []policy.Clause) []agencyCount {
	n := map[string]int{}
	var order []string
	for _, cl := range cs {
		for _, a := range cl.Agencies {
			if n[a] == 0 {
				order = append(order, a)
			}
			n[a]++
		}
	}
	out := make([]agencyCount, len(order))
	for i, a := range order {
		out[i] = agencyCount{Name: a, Count: n[a]}
	}
	slices.SortStableFunc(out, func(a, b agencyCount) int { return b.Count - a.Count })
	return out
}

func (c *Console) addPending(token string, p pendingUpload) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for k, v := range c.pending {
		if now.After(v.expires) {
			delete(c.pending, k)
		}
	}
	if len(c.pending) >= maxPending { // drop the oldest
		var oldest string
		for k, v := range c.pending {
			if oldest == "" || v.expires.Before(c.pending[oldest].expires) {
				oldest = k
			}
		}
		delete(c.pending, oldest)
	}
	c.pending[token] = p
}

// peekPending returns the upload previewed by user under token, leaving it pending.
func (c *Console) peekPending(token, user string) (pendingUpload, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pending[token]
	if !ok || p.user != user || c.now().After(p.expires) {
		return pendingUpload{}, false
	}
	return p, true
}

// takePending removes and returns the upload previewed by user under token.
func (c *Console) takePending(token, user string) (pendingUpload, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pending[token]
	if !ok || p.user != user || c.now().After(p.expires) {
		return pendingUpload{}, false
	}
	delete(c.pending, token)
	return p, true
}

// commit ingests a previewed upload.
func (c *Console) commit(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	if c.cfg.Ingest == nil {
		return userError(http.StatusNotImplemented, "此部署未开启上传入库。")
	}
	token := r.PostFormValue("token")
	p, ok := c.peekPending(token, si.User.Name)
	if !ok {
		return userError(http.StatusBadRequest, "预览已过期或已提交，请重新上传。")
	}
	corr, changes, err := c.correctionOf(r, p)
	if err != nil {
		return err // the preview stays pending: the admin can go back and fix the field
	}
	if _, ok := c.takePending(token, si.User.Name); !ok {
		return userError(http.StatusBadRequest, "预览已过期或已提交，请重新上传。")
	}
	restore, err := c.saveCorrection(r, p.docID, corr)
	if err != nil {
		return fmt.Errorf("admin commit %s: %w", p.name, err)
	}
	summary, err := c.cfg.Ingest(r.Context(), p.name, p.data)
	if err != nil && !errors.Is(err, ErrSourceNotSaved) {
		restore()
	}
	kept := !errors.Is(err, ErrSourceNotSaved)
	if !kept {
		// The document is stored and must be audited like any change; the
		// admin is told that re-ingesting it will not work for now.
		c.log.Error("upload stored but its source not kept", "doc", p.docID, "err", err)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("admin commit %s: %w", p.name, err)
	}
	action, detail := "upload", fmt.Sprintf("%s（%d 字节）：%s", p.orig, len(p.data), summary)
	if changes != "" {
		detail += "；更正：" + changes
	}
	if p.replace != "" || p.exists {
		action = "replace"
	}
	to := "/admin/documents?done=" + action + "&doc=" + url.QueryEscape(p.docID)
	if !kept {
		detail += "；原文未能保存"
		to += "&source=lost"
	}
	c.changed()
	c.audit(r, staff.AuditEntry{User: si.User.Name, Action: action, Target: p.docID, Detail: detail})
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// setStatus retires a document (kept for audit, no longer retrieved) or re-activates it.
func (c *Console) setStatus(status string) handlerFunc {
	action := "retire"
	if status == retrieval.StatusActive {
		action = "activate"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		si, _ := sessionFrom(r.Context())
		id := r.PathValue("id")
		if err := c.cfg.Store.SetStatus(r.Context(), id, status); err != nil {
			return fmt.Errorf("admin %s %s: %w", action, id, err)
		}
		c.changed()
		c.audit(r, staff.AuditEntry{User: si.User.Name, Action: action, Target: id})
		http.Redirect(w, r, "/admin/documents?done="+action+"&doc="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
}

// reingest re-reads and re-embeds a stored document from its source.
func (c *Console) reingest(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	if c.cfg.Reingest == nil {
		return userError(http.StatusNotImplemented, "此部署未开启重新入库。")
	}
	id := r.PathValue("id")
	if _, _, err := c.cfg.Store.Document(r.Context(), id); err != nil {
		return fmt.Errorf("admin reingest %s: %w", id, err)
	}
	summary, err := c.cfg.Reingest(r.Context(), id)
	if err != nil {
		return fmt.Errorf("admin reingest %s: %w", id, err)
	}
	c.changed()
	c.audit(r, staff.AuditEntry{User: si.User.Name, Action: "reingest", Target: id, Detail: summary})
	http.Redirect(w, r, "/admin/documents?done=reingest&doc="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// audit records a change that has already been committed to the store. The
// store and the audit log are separate, so a failure here cannot undo the
// change; it is logged at error level with everything the entry held, which
// keeps the who and what in the service log.
func (c *Console) audit(r *http.Request, e staff.AuditEntry) {
	e.At = c.now().UTC()
	if err := c.cfg.Audit.RecordAudit(r.Context(), e); err != nil {
		c.log.Error("audit entry not recorded", "user", e.User, "action", e.Action, "target", e.Target, "detail", e.Detail, "err", err)
		return
	}
	c.log.Info("admin change", "user", e.User, "action", e.Action, "target", e.Target)
}

// changed tells the searcher's view of the corpus that it changed.
func (c *Console) changed() {
	if c.cfg.Validity != nil {
		c.cfg.Validity.Invalidate()
	}
}

// pushesShown bounds the push log page.
const pushesShown = 500

// pushes lists the latest policy pushes: when, to which enterprise (a
// hash), which documents, how it went.
func (c *Console) pushes(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	entries, err := c.cfg.Pushes.PushEntries(r.Context(), pushesShown)
	if err != nil {
		return fmt.Errorf("admin pushes: %w", err)
	}
	return c.render(w, r, "pushes", si, page{Title: "政策推送记录", Pushes: entries})
}
