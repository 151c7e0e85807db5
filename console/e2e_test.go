package console

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"policybot/seeds"
)

// chromiumPath finds the browser the end-to-end test drives; without one the
// test skips, except in CI, where a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("POLICYBOT_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found and CI=true: apt-get install -y chromium chromium-driver")
	}
	t.Skip("chromium not found (apt-get install -y chromium chromium-driver)")
	return ""
}

// artifactsDir is where screenshots go: $POLICYBOT_ARTIFACTS, else ./testdata/artifacts (gitignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("POLICYBOT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// uploadDoc is the document the admin uploads; its words appear nowhere in
// the seed corpus, so finding its clause proves the commit reached search.
const uploadDoc = `天津市数字化转型券实施细则
津工信〔2025〕7号

第一条 为支持中小企业数字化转型，设立数字化转型券。
第二条 中小企业购买数字化转型服务的，可申领数字化转型券，每家企业每年最高抵扣20万元。（责任单位：市工业和信息化局）
第三条 本细则自2025年1月1日起施行。
`

// chrome drives headless Chromium against a harness's server.
type chrome struct {
	t     *testing.T
	h     *harness
	ctx   context.Context
	base  string
	shots string
}

// newBrowser starts Chromium (skipping without one, outside CI) with the
// clipboard allowed for the harness's origin.
func newBrowser(t *testing.T, h *harness) *chrome {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	base := h.srv.URL
	// The first call starts the browser and must not carry a timeout (it
	// would stop the browser); later calls use one derived from it.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/login")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 150*time.Second)
	t.Cleanup(cancelTimeout)
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted, Origin: base})
		if err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	return &chrome{t: t, h: h, ctx: ctx, base: base, shots: artifactsDir(t)}
}

func (b *chrome) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// navigating runs an action that loads a new page and waits for the load.
func navigating(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.RunResponse(ctx, a)
		return err
	})
}

func (b *chrome) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func (b *chrome) eval(js string, opts ...chromedp.EvaluateOption) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *chrome) login(name string) {
	b.t.Helper()
	b.do("sign in as "+name,
		chromedp.Navigate(b.base+"/console"), // redirected to /login?next=%2Fconsole
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), b.h.password),
		navigating(chromedp.Submit(chromedp.CSS(`input[name=password]`))),
		chromedp.WaitVisible(chromedp.ID("q")),
	)
}

// shot saves what the window shows as name.png and the whole page as
// name-full.png.
func (b *chrome) shot(name string) {
	b.t.Helper()
	for _, s := range []struct {
		file string
		take chromedp.Action[[]byte]
	}{{name + ".png", chromedp.CaptureScreenshot()}, {name + "-full.png", chromedp.FullScreenshot(100)}} {
		png, err := chromedp.Run(b.ctx, s.take)
		if err != nil {
			b.t.Fatalf("screenshot: %v", err)
		}
		p := filepath.Join(b.shots, s.file)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", p)
	}
}

// waitCopied waits until the copy status says something.
func waitCopied(done string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`["`+done+`", "无法自动复制，请在下方手动复制"].includes(document.getElementById("copy-status").textContent) || document.getElementById("copy-status").textContent.startsWith("生成答复失败")`,
			chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		return err
	})
}

func TestBrowserEndToEnd(t *testing.T) {
	h := newHarnessWith(t, seeds.Documents)
	b := newBrowser(t, h)
	base, do, text, eval, login := b.base, b.do, b.text, b.eval, b.login

	// Agent: the search box has the focus, Enter searches, 复制答复 copies.
	login("agent1")
	if got := eval(`document.activeElement.id`); got != "q" {
		t.Errorf("focused element on load %q, want the search box", got)
	}
	do("search",
		chromedp.SendKeys(chromedp.ID("q"), "小微企业续贷怎么办"),
		navigating(chromedp.KeyEvent("\r")),
		chromedp.WaitVisible(chromedp.CSS(`.hit mark`)),
		chromedp.Click(chromedp.ID("copy-answer")),
		waitCopied("已复制答复"),
	)
	if took := text(`#took`); !strings.Contains(took, "用时") {
		t.Errorf("search time not shown: %q", took)
	}
	if status := text(`#copy-status`); status != "已复制答复" {
		t.Errorf("copy status %q, want 已复制答复", status)
	}
	copied := eval(`document.getElementById("answer-text").value`)
	if !strings.Contains(copied, "续贷") || !strings.Contains(copied, "《") {
		t.Errorf("copied answer lacks the clause or its citation:\n%s", copied)
	}
	if clip := eval(`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise); clip != copied {
		t.Errorf("clipboard holds %q, want the copied answer %q", clip, copied)
	}
	b.shot("console")

	// "/" focuses the search box from anywhere on the page.
	do("press /", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`)(ctx, t)
		return err
	}), chromedp.KeyEvent("/"))
	if got := eval(`document.activeElement.id`); got != "q" {
		t.Errorf("after '/': focused %q, want the search box", got)
	}

	// Admin: sign out, sign in, upload, preview, commit, find the clause.
	file := filepath.Join(t.TempDir(), "szh-quan.txt")
	if err := os.WriteFile(file, []byte(uploadDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	do("sign out", navigating(chromedp.Click(chromedp.CSS(`.who button`))), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)))
	login("admin1")
	do("upload",
		chromedp.Navigate(base+"/admin/documents"),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		navigating(chromedp.Submit(chromedp.ID("file"))),
		chromedp.WaitVisible(chromedp.ID("commit")),
	)
	preview := text(`main`)
	for _, want := range []string{"天津市数字化转型券实施细则", "第二条", "每家企业每年最高抵扣20万元", "市工业和信息化局"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	do("commit", navigating(chromedp.Click(chromedp.ID("commit"))), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if notice := text(`.notice`); !strings.Contains(notice, "上传完成") {
		t.Errorf("notice %q, want 上传完成", notice)
	}
	do("find the new clause",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "数字化转型券怎么申领"),
		navigating(chromedp.KeyEvent("\r")),
		chromedp.WaitVisible(chromedp.CSS(`.hit`)),
	)
	if hits := text(`.groups`); !strings.Contains(hits, "《天津市数字化转型券实施细则》") {
		t.Errorf("uploaded clause not found from the console:\n%s", hits)
	}
}
