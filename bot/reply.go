package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/answer"
)

// maxReply is WeChat's limit on a passive text reply, in bytes of UTF-8.
const maxReply = 2048

// fit makes an answer a passive reply: a long one is shortened and links to
// its whole text, saved as a public read-only page.
func (h *Handler) fit(ctx context.Context, a answer.Answer) string {
	text := strings.TrimSpace(a.Answer)
	if len(text) <= maxReply {
		return text
	}
	link, err := h.publish(ctx, a)
	if err != nil {
		// Still answer: a shortened answer with its citations beats none.
		h.log.Error("wechat publish answer", "err", err)
	}
	return fitCitations(text, link, maxReply)
}

// fitCitations shortens an answer citing several clauses by whole
// citations: the last citation goes with its quote and its 责任单位, so
// every quote kept keeps its own source lines; what is left is shortened
// by shorten.
func fitCitations(text, link string, max int) string {
	for len(text)+len("\n")+len(link) > max {
		shorter, ok := dropLastCitation(text)
		if !ok {
			break
		}
		text = shorter
	}
	if len(text) <= max && link == "" {
		return text
	}
	return shorten(text, link, max)
}

var reNumberedCite = regexp.MustCompile(`^\[(\d{1,2})\] 依据[：:]`)

// dropLastCitation removes the highest-numbered citation block ([n] 依据：…
// with its 责任单位 line) and the quotes marked [n]; false when the answer
// has fewer than two numbered citations.
func dropLastCitation(text string) (string, bool) {
	paras := strings.Split(text, "\n\n")
	last, count := 0, 0
	for _, p := range paras {
		if m := reNumberedCite.FindStringSubmatch(strings.TrimSpace(p)); m != nil {
			n, _ := strconv.Atoi(m[1])
			last = max(last, n)
			count++
		}
	}
	if count < 2 {
		return text, false
	}
	marker := "[" + strconv.Itoa(last) + "]"
	kept := paras[:0:0]
	for _, p := range paras {
		t := strings.TrimSpace(p)
		if strings.HasPrefix(t, marker+" 依据") || strings.HasSuffix(t, marker) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "\n\n"), true
}

// publish saves the whole answer under an unguessable id and returns the line linking to it.
func (h *Handler) publish(ctx context.Context, a answer.Answer) (string, error) {
	if h.cfg.PublicBaseURL == "" {
		return "", nil
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("publish answer: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	data, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("publish answer: %w", err)
	}
	if err := h.cfg.State.SavePublicAnswer(ctx, id, data); err != nil {
		return "", fmt.Errorf("publish answer: %w", err)
	}
	return "完整回答：" + strings.TrimRight(h.cfg.PublicBaseURL, "/") + "/a/" + id, nil
}

// shorten cuts text to max bytes: the body is cut at a sentence boundary,
// the trailing citation lines (依据：…, 责任单位：…) are kept, and link, when
// not empty, ends the reply.
func shorten(text, link string, max int) string {
	body, cites := splitCitations(text)
	tail := cites
	if link != "" {
		tail = append(append([]string(nil), cites...), link)
	}
	// Citations outrank the body, the link outranks the agencies: drop
	// citation lines from the end only when they alone do not fit.
	for len(tail) > 1 && len(strings.Join(tail, "\n")) > max {
		i := len(tail) - 1
		if link != "" {
			i--
		}
		if i < 1 {
			break
		}
		tail = append(tail[:i:i], tail[i+1:]...)
	}
	end := strings.Join(tail, "\n")
	if len(end) > max {
		return cutRunes(end, max)
	}
	room := max - len(end)
	if end != "" {
		room-- // the newline before the tail
	}
	cut := cutSentence(body, room)
	switch {
	case end == "":
		return cut
	case cut == "":
		return end
	}
	return cut + "\n" + end
}

// splitCitations separates the trailing citation lines from the answer body.
func splitCitations(text string) (body string, cites []string) {
	lines := strings.Split(text, "\n")
	i := len(lines)
	for i > 0 {
		l := strings.TrimSpace(lines[i-1])
		if l != "" && !isCitation(l) {
			break
		}
		i--
	}
	for _, l := range lines[i:] {
		if l = strings.TrimSpace(l); l != "" {
			cites = append(cites, l)
		}
	}
	return strings.TrimSpace(strings.Join(lines[:i], "\n")), cites
}

func isCitation(line string) bool {
	if m := reNumberedCite.FindString(line); m != "" {
		return true
	}
	for _, p := range []string{"依据：", "依据:", "责任单位：", "责任单位:"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

const ellipsis = "…"

// cutSentence returns the longest prefix of s within max bytes that ends a
// sentence; without one it cuts between characters and marks the cut.
func cutSentence(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	best := -1
	for i, r := range s {
		end := i + utf8.RuneLen(r)
		if end > max {
			break
		}
		if strings.ContainsRune("。！？；!?;\n", r) {
			best = end
		}
	}
	// A sentence boundary that keeps too little is worse than a marked cut.
	if best > 0 && best >= max/3 {
		return strings.TrimSpace(s[:best])
	}
	return cutRunes(s, max)
}

// cutRunes cuts s to at most max bytes between characters, ending with an ellipsis.
func cutRunes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max - len(ellipsis)
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n]) + ellipsis
}
