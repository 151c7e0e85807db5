package policy

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// skipped are elements whose content is never document text: code, styling
// and the page's navigation chrome.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Iframe: true, atom.Select: true, atom.Button: true, atom.Form: true,
	atom.Head: true, atom.Svg: true, atom.Object: true,
}

// blocks end a line of text; everything else is inline.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Tr: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Section: true, atom.Article: true, atom.Blockquote: true,
	atom.Pre: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Hr: true, atom.Center: true, atom.Main: true, atom.Caption: true,
}

// htmlToText strips markup, scripts and navigation from an HTML page and keeps
// its block structure as lines; table cells of one row are joined by a space.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skipDepth := 0
	var skipTag atom.Atom
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipDepth > 0 {
				if a == skipTag && tt == html.StartTagToken {
					skipDepth++
				}
				continue
			}
			if skipped[a] && tt == html.StartTagToken {
				skipTag, skipDepth = a, 1
				continue
			}
			if blocks[a] {
				b.WriteByte('\n')
			} else if a == atom.Td || a == atom.Th {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipDepth > 0 {
				if a == skipTag {
					skipDepth--
				}
				continue
			}
			if blocks[a] {
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skipDepth > 0 {
				continue
			}
			// Source newlines inside a paragraph are layout, not structure.
			t := strings.NewReplacer("\n", " ", "\r", " ").Replace(string(z.Text()))
			b.WriteString(t)
		}
	}
}

// looksLikeHTML sniffs markup when the file name does not say.
func looksLikeHTML(s string) bool {
	head := strings.ToLower(s[:min(len(s), 2048)])
	for _, m := range []string{"<!doctype html", "<html", "<body", "<p>", "<p ", "<div", "<br", "<table"} {
		if strings.Contains(head, m) {
			return true
		}
	}
	return false
}
