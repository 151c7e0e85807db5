package policy

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Sentinel errors, wrapped with the file name by Parse.
var (
	ErrEmpty     = errors.New("empty document")
	ErrBinary    = errors.New("binary or undecodable document")
	ErrNoClauses = errors.New("no clause found")
)

// decode turns raw bytes into clean UTF-8 text: the encoding is detected
// (UTF-8 first, then GB18030, a superset of GBK and GB2312), a BOM is dropped
// and line endings become "\n".
func decode(data []byte) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return "", ErrEmpty
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL bytes", ErrBinary)
	}
	var text string
	if utf8.Valid(data) {
		text = string(data)
	} else {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("%w: neither UTF-8 nor GB18030: %v", ErrBinary, err)
		}
		// The GB18030 decoder maps undecodable bytes to U+FFFD instead of
		// failing; many of them mean the input was not GB text at all.
		text = string(out)
		if bad := strings.Count(text, "\uFFFD"); bad > 0 && bad*50 > utf8.RuneCountInString(text) {
			return "", fmt.Errorf("%w: neither UTF-8 nor GB18030", ErrBinary)
		}
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if controlShare(text) {
		return "", fmt.Errorf("%w: control characters", ErrBinary)
	}
	return text, nil
}

// controlShare reports whether more than 1% of the runes are control
// characters other than whitespace, which text documents never have.
func controlShare(s string) bool {
	n, bad := 0, 0
	for _, r := range s {
		n++
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\f' && r != '\v' {
			bad++
		}
	}
	return bad*100 > n
}

// cleanLine trims the spaces Chinese web pages use (ideographic space, NBSP,
// zero-width characters) from both ends of a line and collapses inner runs of
// whitespace to one ASCII space.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\ufeff', '\u2060':
			return -1
		case '\u3000', '\u00a0', '\t', '\f', '\v':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
