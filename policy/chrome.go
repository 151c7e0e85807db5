package policy

import (
	"regexp"
	"strings"
)

// chromeLines match whole lines that belong to the website a document was
// copied from, never to the document.
var chromeLines = compileAll(
	`^加盟(电话|热线)`,
	`^(精确|高级|全文)?检索$`, `^开始检索$`, `^搜索$`,
	`^【?政府扶持政策】?相关法规$`,
	`^扫一扫在手机(上)?打开当前页$`,
	`^【?相关(解读|链接|文件|阅读)】?[:：]?$`,
	`^【?(打印本页|关闭窗口|打印|关闭|收藏|返回顶部)】?( *【?(打印本页|关闭窗口|打印|关闭|收藏|返回顶部)】?)*$`,
	`^分享到`, `^分享[:：]`,
	`^[（(]此件(主动公开|公开发布|不予公开|依申请公开|不公开)[）)]$`,
	`^字号[:：]`, `^【?字体[:：]?】?\s*[大中小]`, `^浏览次数`, `^(来源|作者|责任编辑)[:：]`,
	`^(最新文件|内容概述|当前位置[:：].*|首页.*>.*)$`,
	`^(上一篇|下一篇)[:：]`,
	`^(微信|微博)$`,
)

// chromeTails are chrome fragments glued to the end of a text line (the seed
// ends mid-sentence directly followed by a site's link list).
var chromeTails = []string{"【政府扶持政策】相关法规", "扫一扫在手机打开当前页", "【相关解读】", "分享到："}

func compileAll(patterns ...string) []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	return res
}

// stripChrome returns the line without website chrome; "" when the whole
// line is chrome.
func stripChrome(line string) string {
	for _, t := range chromeTails {
		if i := strings.Index(line, t); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
	}
	for _, re := range chromeLines {
		if re.MatchString(line) {
			return ""
		}
	}
	return line
}
