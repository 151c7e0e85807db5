package answer

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"policybot/policy"
	"policybot/retrieval"
)

// Leads of an answer whose citations are not all in force: "现行" is said
// only of documents in force.
const (
	leadMixed   = "相关规定如下（效力已在出处中注明）："
	leadNoneNow = "以下条款与您的问题相关，但请注意其效力："
)

// current reports whether a hit's document is in force (or carries no
// validity: a store without it, a test fixture).
func current(h retrieval.Hit) bool { return h.Document.Validity.Current() }

// gone reports whether a hit's document no longer applies.
func gone(h retrieval.Hit) bool {
	v := h.Document.Validity
	return v != nil && (v.Status == policy.StatusExpired || v.Status == policy.StatusRepealed || v.Status == policy.StatusSuperseded)
}

// notYet reports whether a hit's document has yet to take effect.
func notYet(h retrieval.Hit) bool {
	v := h.Document.Validity
	return v != nil && v.Status == policy.StatusNotYetInForce
}

// lead is the opening of an extractive answer citing cited.
func lead(cited []retrieval.Hit) string {
	all := true
	for _, h := range cited {
		all = all && current(h)
	}
	switch {
	case all:
		return leadAnswer
	case len(cited) > 0 && current(cited[0]):
		return leadMixed
	}
	return leadNoneNow
}

// preferCurrent puts the rule in force first when the best citation no
// longer applies (or does not apply yet), and returns the one-line notice saying so ("" when the
// best applies). The rule in force is the replacement the corpus names
// (the best of its clauses among hits, or in a wider search), else another
// in-force hit that scores about as well.
func (t *turn) preferCurrent(ctx context.Context, query string, cands, hits []retrieval.Hit) ([]retrieval.Hit, string) {
	if len(cands) == 0 {
		return cands, ""
	}
	if !gone(cands[0]) && !notYet(cands[0]) {
		return withoutReplaced(cands), ""
	}
	old := cands[0]
	notice := "提示：" + statusSentence(old)
	var now *retrieval.Hit
	if by := old.Document.Validity.SupersededBy; by != "" {
		now = bestOf(hits, by)
		if now == nil {
			wide, err := t.svc.cfg.Searcher.Search(ctx, t.searchRequest(query, retrieval.MaxK))
			if err == nil {
				now = bestOf(wide, by)
			}
		}
		if now != nil && !current(*now) {
			now = nil
		}
	}
	if now == nil {
		for i := range cands {
			if current(cands[i]) && cands[i].Score >= t.svc.cfg.Related*old.Score {
				now = &cands[i]
				break
			}
		}
	}
	if now == nil {
		// The policy no longer in force is cited first, just below: the
		// notice need not repeat its title.
		return cands, "提示：" + statusSentenceAs(old, "该政策")
	}
	out := []retrieval.Hit{*now}
	for _, h := range cands {
		if h.Clause.ID != now.Clause.ID && len(out) < maxCitations {
			out = append(out, h)
		}
	}
	return out, notice + "现行规定如下。"
}

// withoutReplaced drops the citations of a document repealed or
// superseded by another document cited: the 2020 text of a 条例 beside
// its 2025 revision adds nothing but confusion.
func withoutReplaced(cited []retrieval.Hit) []retrieval.Hit {
	ids := map[string]bool{}
	for _, h := range cited {
		ids[h.Document.ID] = true
	}
	out := cited[:0:0]
	for _, h := range cited {
		if v := h.Document.Validity; v != nil && gone(h) && ids[v.SupersededBy] {
			continue
		}
		out = append(out, h)
	}
	return out
}

// bestOf is the best hit of document id, nil when none.
func bestOf(hits []retrieval.Hit, id string) *retrieval.Hit {
	for i := range hits {
		if hits[i].Document.ID == id {
			return &hits[i]
		}
	}
	return nil
}

// statusSentence says in one sentence where a document stands, the way a
// hotline agent would: 《…》已于2020年12月31日到期。
func statusSentence(h retrieval.Hit) string { return statusSentenceAs(h, docName(h.Document)) }

// statusSentenceAs is statusSentence naming the document name.
func statusSentenceAs(h retrieval.Hit, name string) string {
	v := h.Document.Validity
	if v == nil {
		return name + "的效力状态未知。"
	}
	by := replacement(v)
	switch v.Status {
	case policy.StatusInForce:
		s := name + "现行有效"
		if v.Effective != "" {
			s += "，自" + cnDate(v.Effective) + "起施行"
		}
		if v.Expires != "" {
			s += "，有效期至" + cnDate(v.Expires)
		}
		return s + "。"
	case policy.StatusExpired:
		return name + "已于" + cnDate(v.Expires) + "到期。"
	case policy.StatusRepealed:
		s := name + "已于" + cnDate(v.Since) + "废止"
		if by != "" {
			s += "（由" + by + "废止）"
		}
		return s + "。"
	case policy.StatusSuperseded:
		s := name + "已于" + cnDate(v.Since) + "被"
		if by == "" {
			by = "新的规定"
		}
		return s + by + "替代。"
	case policy.StatusNotYetInForce:
		return name + "尚未施行，将自" + cnDate(v.Effective) + "起施行。"
	}
	return name + "是否仍然有效，文中没有写明确定的日期" + basisNote(v) + "，建议向发文单位确认。"
}

// statusTag marks a citation of a document not in force: "（已废止）".
func statusTag(h retrieval.Hit) string {
	v := h.Document.Validity
	if v == nil {
		return ""
	}
	switch v.Status {
	case policy.StatusExpired:
		return "（已到期：有效期至" + cnDate(v.Expires) + "）"
	case policy.StatusRepealed:
		return "（已于" + cnDate(v.Since) + "废止）"
	case policy.StatusSuperseded:
		return "（已于" + cnDate(v.Since) + "被" + cmp.Or(replacement(v), "新的规定") + "替代）"
	case policy.StatusNotYetInForce:
		return "（尚未施行：自" + cnDate(v.Effective) + "起施行）"
	case policy.StatusUnknown:
		if v.Basis != "" && !strings.HasPrefix(v.Basis, "文中未写明") {
			return "（效力待确认：" + termPhrase(v.Basis) + "）"
		}
	}
	return ""
}

// basisNote is "（原文：…）" for a status with a basis sentence.
func basisNote(v *policy.ValidityStatus) string {
	if v.Basis == "" || strings.HasPrefix(v.Basis, "文中未写明") {
		return ""
	}
	return "（原文：“" + policy.Clip(v.Basis, 60) + "”）"
}

// validityAnswer answers "这个政策还有效吗？" from the validity of the clauses just cited.
func validityAnswer(cited []retrieval.Hit) string {
	var parts []string
	seen := map[string]bool{}
	for _, h := range cited {
		if seen[h.Document.ID] {
			continue
		}
		seen[h.Document.ID] = true
		s := statusSentence(h)
		if v := h.Document.Validity; v != nil && v.Status != policy.StatusUnknown && v.Basis != "" {
			s += "依据：“" + policy.Clip(v.Basis, 80) + "”"
		}
		if v := h.Document.Validity; v != nil && v.SupersededByTitle != "" && (v.Status == policy.StatusRepealed || v.Status == policy.StatusSuperseded) {
			s += "\n现行规定请见" + replacement(v) + "，可直接问我相关问题。"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n\n")
}

// replacement names the document that replaced v's: 《title》（文号）.
func replacement(v *policy.ValidityStatus) string {
	if v.SupersededByTitle == "" {
		return ""
	}
	return docName(policy.Meta{Title: v.SupersededByTitle, Number: v.SupersededByNumber})
}

// termPhrase is the part of a basis sentence that states the term
// (有效期为新冠肺炎疫情防控期间), else the sentence shortened.
func termPhrase(basis string) string {
	parts := strings.FieldsFunc(basis, func(r rune) bool { return r == '，' || r == '；' || r == ',' })
	for _, key := range []string{"有效期", "执行期", "实施期", "解除", "止", "期限"} {
		for _, part := range parts {
			if strings.Contains(part, key) {
				return policy.Clip(part, 40)
			}
		}
	}
	return policy.Clip(basis, 40)
}

// docName is 《title》 with its 文号 when it has one.
func docName(m policy.Meta) string {
	s := "《" + m.Title + "》"
	if m.Number != "" {
		s += "（" + m.Number + "）"
	}
	return s
}

// cnDate writes 2026-01-01 as 2026年1月1日 (and 2020 as 2020年).
func cnDate(d string) string {
	parts := strings.Split(d, "-")
	if len(parts) == 0 || parts[0] == "" {
		return "（日期不详）"
	}
	out := parts[0] + "年"
	for i, unit := range []string{"月", "日"} {
		if i+1 < len(parts) {
			n, err := strconv.Atoi(parts[i+1])
			if err != nil {
				return d
			}
			out += strconv.Itoa(n) + unit
		}
	}
	return out
}
