package console

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"policybot/seeds"
	"policybot/testenv"
)

// TestBrowserWorkday drives a day's work as the issue tried it: seeds and
// ../shared/corpus, an agent searching from the keyboard, a clause in its
// document, an admin's document list, an upload corrected in its preview,
// and the unanswered questions worked through.
func TestBrowserWorkday(t *testing.T) {
	corpus := filepath.Join(testenv.Shared(t), "corpus")
	h := newHarnessWith(t, seeds.Documents)
	if _, err := h.ingester.IngestPaths(context.Background(), corpus); err != nil {
		t.Fatal(err)
	}
	h.addDocs(60) // past one page of the admin's list whatever the corpus holds
	h.queue()
	b := newBrowser(t, h)
	t.Run("Search", func(t *testing.T) { workdaySearch(t, b) })
	t.Run("Clause", func(t *testing.T) { workdayClause(t, b) })
	t.Run("AdminDocuments", func(t *testing.T) { workdayDocuments(t, b) })
	t.Run("Unanswered", func(t *testing.T) { workdayUnanswered(t, b) })
}

func workdaySearch(t *testing.T, b *chrome) {
	b.t = t
	b.login("agent1")
	// The agent's own default region, set once.
	b.do("set own region",
		chromedp.Navigate(b.base+"/console/settings"),
		chromedp.WaitVisible(chromedp.ID("own-region")),
		chromedp.SendKeys(chromedp.ID("own-region"), "天津市"),
		navigating(chromedp.Submit(chromedp.ID("own-region"))),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
		chromedp.Navigate(b.base+"/console"),
		chromedp.WaitVisible(chromedp.ID("q")),
	)
	if got := b.eval(`document.getElementById("region").value`); got != "天津市" {
		t.Errorf("region box %q, want the agent's own 天津市", got)
	}
	b.do("search 续贷",
		chromedp.SendKeys(chromedp.ID("q"), "小微企业续贷怎么办"),
		navigating(chromedp.KeyEvent("\r")),
		chromedp.WaitVisible(chromedp.CSS(`.group`)),
	)
	if first := b.text(`.group .doc`); !strings.Contains(first, "天津") {
		t.Errorf("first document %q, want a Tianjin one with the agent's region", first)
	}
	// Whole terms only: no mark is a fragment of a question word.
	marks := b.eval(`Array.from(document.querySelectorAll(".hit mark")).map(m => m.textContent).join("|")`)
	if !strings.Contains("|"+marks+"|", "|续贷|") {
		t.Errorf("marks %q lack 续贷", marks)
	}
	for _, frag := range []string{"业续", "微企", "续贷怎", "么办"} {
		if strings.Contains("|"+marks+"|", "|"+frag+"|") {
			t.Errorf("marks %q hold the fragment %q", marks, frag)
		}
	}
	if n := b.eval(`String(document.querySelectorAll(".group").length)`); n == "0" {
		t.Fatal("no groups")
	}
	// ↓ from the box selects the first result, j the next, k back.
	b.do("↓ j j k", chromedp.KeyEvent(kArrowDown), chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
	if got := b.eval(`String(Array.from(document.querySelectorAll(".hit")).findIndex(h => h.classList.contains("selected")))`); got != "1" {
		t.Errorf("after ↓ j j k the selected result is %s, want 1 (the second)", got)
	}
	if got := b.eval(`document.activeElement.closest(".hit") === document.querySelectorAll(".hit")[1] ? "yes" : "no"`); got != "yes" {
		t.Error("the selected result's link does not have the focus (Enter would not open it)")
	}
	// c copies the ready answer.
	b.do("c", chromedp.KeyEvent("c"), waitCopied("已复制答复"))
	if st := b.text(`#copy-status`); st != "已复制答复" {
		t.Errorf("after c: %q", st)
	}
	if clip := b.eval(`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise); !strings.Contains(clip, "续贷") || !strings.Contains(clip, "《") {
		t.Errorf("clipboard after c: %q", clip)
	}
	b.shot("search")
	// Filters: laws only.
	b.do("filter kind=law",
		chromedp.SetValue(chromedp.ID("kind"), "law"),
		navigating(chromedp.Submit(chromedp.ID("q"))),
		chromedp.WaitVisible(chromedp.ID("took")),
	)
	metas := b.eval(`Array.from(document.querySelectorAll(".group .doc .meta")).map(m => m.textContent).join("\n")`)
	if metas != "" {
		for _, m := range strings.Split(metas, "\n") {
			if !strings.Contains(m, "法律") {
				t.Errorf("kind=law lists %q", m)
			}
		}
	}
	if !strings.Contains(b.eval(`location.search`), "kind=law") {
		t.Error("the kind filter is not in the URL")
	}
}

// The keys chromedp.KeyEvent sends as themselves.
const (
	kArrowDown = kb.ArrowDown
	kEscape    = kb.Escape
)

func workdayClause(t *testing.T, b *chrome) {
	b.t = t
	b.do("search again",
		chromedp.Navigate(b.base+"/console?q="+"%E5%B0%8F%E5%BE%AE%E4%BC%81%E4%B8%9A%E7%BB%AD%E8%B4%B7%E6%80%8E%E4%B9%88%E5%8A%9E"),
		chromedp.WaitVisible(chromedp.CSS(`.group`)),
	)
	// Select the third result, scroll, open it with Enter.
	b.do("select", chromedp.Focus(chromedp.ID("q")), chromedp.KeyEvent(kArrowDown), chromedp.KeyEvent("j"), chromedp.KeyEvent("j"))
	b.eval(`window.scrollTo(0, 420); ""`)
	y0 := b.eval(`String(Math.round(window.scrollY))`)
	want := b.eval(`document.querySelectorAll(".hit")[2].querySelector(".path").textContent`)
	b.do("Enter", navigating(chromedp.KeyEvent("\r")), chromedp.WaitVisible(chromedp.CSS(`.clause.current`)))
	if !strings.Contains(b.eval(`location.pathname`), "/console/clause/") {
		t.Fatalf("Enter opened %s", b.eval(`location.href`))
	}
	// The cited clause is on screen, not below the fold.
	if vis := b.eval(`(() => { const r = document.querySelector(".fulltext .clause.current").getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight ? "yes" : "no " + r.top })()`); vis != "yes" {
		t.Errorf("the cited clause is not in view: %s", vis)
	}
	if path := b.text(`.fulltext .clause.current .path`); path != want {
		t.Errorf("opened %q, want the selected result %q", path, want)
	}
	crumbs := b.text(`.crumbs`)
	if !strings.Contains(crumbs, "《") {
		t.Errorf("breadcrumbs %q lack the document", crumbs)
	}
	b.shot("clause")
	pos := b.text(`#position`)
	// o copies the clause's own text with its citation.
	b.do("o", chromedp.KeyEvent("o"), waitCopied("已复制原文"))
	clip := b.eval(`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)
	cur := b.text(`.fulltext .clause.current p`)
	if !strings.Contains(clip, strings.TrimSpace(cur)) || !strings.Contains(clip, "——《") {
		t.Errorf("复制原文 copied %q, want the clause %q with its citation", clip, cur)
	}
	// n (and →) open the next clause; p goes back.
	b.do("n", navigating(chromedp.KeyEvent("n")), chromedp.WaitVisible(chromedp.CSS(`.clause.current`)))
	if next := b.text(`#position`); next == pos || ordinal(next) != ordinal(pos)+1 {
		t.Errorf("after n: %q, was %q", next, pos)
	}
	b.do("p", navigating(chromedp.KeyEvent("p")), chromedp.WaitVisible(chromedp.CSS(`.clause.current`)))
	if back := b.text(`#position`); back != pos {
		t.Errorf("after p: %q, want %q", back, pos)
	}
	// Esc goes back to the search: same query, same result selected, same scroll.
	b.do("Esc", navigating(chromedp.KeyEvent(kEscape)), chromedp.WaitVisible(chromedp.CSS(`.group`)))
	if q := b.eval(`document.getElementById("q").value`); q != "小微企业续贷怎么办" {
		t.Errorf("back on the search page the query is %q", q)
	}
	if sel := b.eval(`String(Array.from(document.querySelectorAll(".hit")).findIndex(h => h.classList.contains("selected")))`); sel != "2" {
		t.Errorf("back on the search page result %s is selected, want 2", sel)
	}
	if y := b.eval(`String(Math.round(window.scrollY))`); y != y0 {
		t.Errorf("back on the search page scrolled to %s, want %s as left", y, y0)
	}
}

// ordinal reads N of "第 N / M 条".
func ordinal(pos string) int {
	f := strings.Fields(pos)
	if len(f) < 2 {
		return -1
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func workdayDocuments(t *testing.T, b *chrome) {
	b.t = t
	b.do("sign out", chromedp.Navigate(b.base+"/logout"), chromedp.WaitVisible(chromedp.CSS(`main button`)),
		navigating(chromedp.Click(chromedp.CSS(`main button`))), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)))
	b.login("admin1")
	b.do("documents", chromedp.Navigate(b.base+"/admin/documents"), chromedp.WaitVisible(chromedp.ID("doc-q")))
	if info := b.text(`#page-info`); !strings.Contains(info, "第 1 /") {
		t.Errorf("page info %q", info)
	}
	if n := b.eval(`String(document.querySelectorAll("table.docs tbody tr").length)`); n != "50" {
		t.Errorf("%s rows on the first page, want 50", n)
	}
	// The action buttons stay on one line each.
	if wrapped := b.eval(`String(Array.from(document.querySelectorAll(".actions button")).filter(b => b.getClientRects().length > 1 || b.offsetHeight > 40).length)`); wrapped != "0" {
		t.Errorf("%s action buttons wrap", wrapped)
	}
	b.do("next page", navigating(chromedp.Click(chromedp.ID("page-next"))), chromedp.WaitVisible(chromedp.ID("page-info")))
	if info := b.text(`#page-info`); !strings.Contains(info, "第 2 /") {
		t.Errorf("after 下一页: %q", info)
	}
	b.do("search 津金融, sort by title",
		chromedp.Navigate(b.base+"/admin/documents"), chromedp.WaitVisible(chromedp.ID("doc-q")),
		chromedp.SendKeys(chromedp.ID("doc-q"), "津金融"),
		navigating(chromedp.Submit(chromedp.ID("doc-q"))),
		chromedp.WaitVisible(chromedp.CSS(`table.docs`)),
	)
	if rows := b.text(`table.docs tbody`); !strings.Contains(rows, "津金融〔2024〕9号") {
		t.Errorf("search 津金融: %q", rows)
	}
	b.eval(`document.getElementById("doc-q").value = ""; document.getElementById("doc-source").value = "upload"; ""`)
	b.do("filter source=upload", navigating(chromedp.Submit(chromedp.ID("doc-q"))), chromedp.WaitVisible(chromedp.CSS(`table.docs`)))
	if rows := b.eval(`Array.from(document.querySelectorAll("table.docs tbody tr")).map(r => r.textContent).join("\n")`); !strings.Contains(rows, "网页上传") || strings.Contains(rows, "测试文件") {
		t.Errorf("source=upload lists %q", rows)
	}
	b.do("all documents", chromedp.Navigate(b.base+"/admin/documents"), chromedp.WaitVisible(chromedp.ID("doc-q")))
	b.shot("documents")

	// Upload, correct the 文号 and issuer in the preview, commit.
	file := filepath.Join(t.TempDir(), "szh-quan2.txt")
	if err := os.WriteFile(file, []byte(strings.Replace(uploadDoc, "津工信〔2025〕7号\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("upload",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		navigating(chromedp.Submit(chromedp.ID("file"))),
		chromedp.WaitVisible(chromedp.ID("fix-number")),
	)
	if got := b.eval(`document.getElementById("fix-number").value`); got != "" {
		t.Errorf("the parser found 文号 %q in a text without one", got)
	}
	b.do("correct", chromedp.SendKeys(chromedp.ID("fix-number"), "津工信〔2025〕7号"),
		chromedp.SetValue(chromedp.ID("fix-issuer"), "天津市工业和信息化局"))
	b.shot("preview")
	b.do("commit", navigating(chromedp.Click(chromedp.ID("commit"))), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if notice := b.text(`.notice`); !strings.Contains(notice, "《天津市数字化转型券实施细则》") {
		t.Errorf("banner %q does not name the document by title", notice)
	}
	if audit := b.text(`table.audit`); !strings.Contains(audit, "更正：文号 — → 津工信〔2025〕7号") {
		t.Errorf("audit lacks the correction: %q", audit)
	}
	if row := b.eval(`Array.from(document.querySelectorAll("table.docs tbody tr")).map(r => r.textContent).find(t => t.includes("数字化转型券")) || ""`); !strings.Contains(row, "津工信〔2025〕7号") {
		t.Errorf("the list shows %q, want the corrected 文号", row)
	}
}

func workdayUnanswered(t *testing.T, b *chrome) {
	b.t = t
	b.do("unanswered", chromedp.Navigate(b.base+"/admin/unanswered"), chromedp.WaitVisible(chromedp.CSS(`table.unanswered`)))
	// Re-run the 续贷 question: it is answered today.
	b.do("re-run", navigating(chromedp.Click(chromedp.Search(`//tr[td[1][text()="小微企业续贷怎么办"]]//a[contains(@class,"rerun-link")]`))),
		chromedp.WaitVisible(chromedp.ID("rerun-answer")))
	if ans := b.text(`#rerun-answer`); !strings.Contains(ans, "续贷") {
		t.Errorf("re-run answer %q", ans)
	}
	// Mark the tax question handled with a note.
	b.do("mark handled",
		chromedp.SendKeys(chromedp.Search(`//tr[td[1][text()="外资企业怎么退税"]]//input[@name="note"]`), "已转税务局"),
		navigating(chromedp.Click(chromedp.Search(`//tr[td[1][text()="外资企业怎么退税"]]//button`))),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	if rows := b.text(`table.unanswered tbody`); strings.Contains(rows, "外资企业怎么退税") {
		t.Error("the handled question is still in the open queue")
	}
	b.do("region filter", chromedp.SetValue(chromedp.ID("u-region"), "天津市"), navigating(chromedp.Submit(chromedp.ID("u-region"))),
		chromedp.WaitVisible(chromedp.ID("export")))
	if rows := b.text(`main`); strings.Contains(rows, "养老保险断缴怎么办") {
		t.Error("region 天津市 lists a Beijing question")
	}
	b.do("show handled", chromedp.SetValue(chromedp.ID("u-show"), "handled"), navigating(chromedp.Submit(chromedp.ID("u-show"))),
		chromedp.WaitVisible(chromedp.CSS(`table.unanswered`)))
	if rows := b.text(`table.unanswered tbody`); !strings.Contains(rows, "外资企业怎么退税") || !strings.Contains(rows, "已转税务局") {
		t.Errorf("handled list %q", rows)
	}
	csv := b.eval(`fetch(document.getElementById("export").href, {credentials: "same-origin"}).then(r => r.text())`, chromedp.EvalAwaitPromise)
	if !strings.Contains(csv, "外资企业怎么退税") || !strings.Contains(csv, "已处理") || strings.Contains(csv, "养老保险") {
		t.Errorf("export %s of the filtered queue:\n%s", b.eval(`document.getElementById("export").href`), csv)
	}
	b.do("all", chromedp.Navigate(b.base+"/admin/unanswered?show=all"), chromedp.WaitVisible(chromedp.CSS(`table.unanswered`)))
	b.shot("unanswered")
}
