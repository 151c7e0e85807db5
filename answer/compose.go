package answer

import (
	"regexp"
	"strconv"
	"strings"

	"policybot/policy"
	"policybot/retrieval"
)

// User-facing texts.
const (
	refusal = "抱歉，未找到与您问题直接相关的政策条款。\n\n" +
		"可换个说法再问（例如写明政策名称、事项或地区，如“小微企业续贷有什么支持政策”）。\n\n" +
		"政务服务可拨打 12345，涉税问题可拨打 12366。"
	askFullQuestion = "请把您的问题说得完整一些，例如：“小微企业续贷有什么支持政策？”我会查找相关政策条款并注明出处。"
	leadAnswer      = "根据现行政策，相关规定如下："
	leadHedge       = "未找到与您的问题完全对应的条款。"
	leadMore        = "关于上一个问题，还有以下相关条款："
	noMore          = "关于上一个问题，没有更多相关的政策条款了。您可以换个问题继续问我。"
)

// jurisdiction ranks a document's region for an asker: 0 the asker's own
// (or an enclosing) region, 1 national, 2 elsewhere.
func jurisdiction(docRegion, asker string) int {
	switch {
	case docRegion == policy.RegionNational:
		return 1
	case asker != "" && docRegion != "" && (strings.HasPrefix(asker, docRegion) || strings.HasPrefix(docRegion, asker)):
		return 0
	default:
		return 2
	}
}

// sameDocTop: the searcher's top hits that may be cited together although
// they share a document. A service guide answers 受理条件, 受理范围 and 办理时间
// in sibling items, and citing one clause per document left out the one
// asked for (measured on the three question sets: the gold clause cited in
// 26/22/29 answers of 28/30/37, then in 27/23/32).
const sameDocTop = maxCandidates

// candidates picks the hits an answer may cite, at most n, each scoring at
// least related × the best score, one per document except among the top
// sameDocTop. The first is the searcher's best, unless it is another
// region's clause the question does not name and a close one of the asker's
// region or national exists: then that one leads. Further hits must apply to
// the asker (own region or national) or to the region the first is about;
// own region before national.
func candidates(hits []retrieval.Hit, question, region string, related float64, n int) []retrieval.Hit {
	if len(hits) == 0 || n <= 0 {
		return nil
	}
	var close []retrieval.Hit
	seen := map[string]bool{}
	for i, h := range hits {
		if (!seen[h.Document.ID] || i < sameDocTop) && h.Score >= related*hits[0].Score {
			seen[h.Document.ID] = true
			close = append(close, h)
		}
	}
	lead := 0
	if jurisdiction(close[0].Document.Region, region) == 2 && !mentions(question, close[0].Document.Region) {
		for i, h := range close {
			if jurisdiction(h.Document.Region, region) < 2 {
				lead = i
				break
			}
		}
	}
	first := close[lead]
	out := []retrieval.Hit{first}
	firstRank := jurisdiction(first.Document.Region, region)
	for rank := 0; rank <= 2; rank++ {
		for i, h := range close {
			if i == lead || len(out) >= n || jurisdiction(h.Document.Region, region) != rank {
				continue
			}
			// Another region's policy does not apply to the asker unless the
			// question is about that region (the first hit is from there).
			if rank == 2 && !(firstRank == 2 && h.Document.Region == first.Document.Region) {
				continue
			}
			out = append(out, h)
		}
	}
	return out
}

// mentions reports whether question names region or one of its parts
// (北京市石景山区: 北京, 石景山), so a question about another place keeps
// that place's clause first.
func mentions(question, region string) bool {
	if region == "" {
		return false
	}
	var part []rune
	for _, r := range region {
		part = append(part, r)
		if strings.ContainsRune("省市区县州盟旗", r) {
			if len(part) >= 3 && strings.Contains(question, string(part[:len(part)-1])) {
				return true
			}
			part = part[:0]
		}
	}
	return len(part) >= 2 && strings.Contains(question, string(part))
}

// clauseRef names a clause as printed: "（四）加强信贷支持", "第二十三条 标题".
func clauseRef(c policy.Clause) string {
	label, title := strings.TrimSpace(c.Label), strings.TrimSpace(c.Title)
	switch {
	case label == "":
		return title
	case title == "":
		return label
	}
	// Labels closed by their own punctuation ((四) 三、 1.) run into the title;
	// 第…条 needs a space.
	if r := []rune(label); strings.ContainsRune("）)、.．", r[len(r)-1]) {
		return label + title
	}
	return label + " " + title
}

// citation is the 依据 line of a hit, with its 责任单位 line when it has agencies.
func citation(h retrieval.Hit) string {
	c := citeLine(h) + statusTag(h)
	if ag := agencies(h.Clause); len(ag) > 0 {
		c += "\n责任单位：" + strings.Join(ag, "、")
	}
	return c
}

// citeLine is "依据：《title》（文号）label title".
func citeLine(h retrieval.Hit) string {
	var b strings.Builder
	b.WriteString("依据：《")
	b.WriteString(h.Document.Title)
	b.WriteString("》")
	if h.Document.Number != "" {
		b.WriteString("（" + h.Document.Number + "）")
	}
	if ref := clauseRef(h.Clause); ref != "" {
		b.WriteString(ref)
	}
	return b.String()
}

// agencies lists a clause's agencies, lead agencies first, each once.
func agencies(c policy.Clause) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{c.LeadAgencies, c.Agencies} {
		for _, a := range list {
			if a = strings.TrimSpace(a); a != "" && !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// compose lays out an answer for a WeChat bubble: lead, body, then one
// citation block per cited hit, numbered when there are several.
func compose(lead, body string, cited []retrieval.Hit) string {
	var parts []string
	if lead != "" {
		parts = append(parts, lead)
	}
	if body = strings.TrimSpace(body); body != "" {
		parts = append(parts, body)
	}
	seen := map[string]bool{}
	for i, h := range cited {
		c := citation(h)
		if seen[h.Document.ID] {
			// A further clause of a document already named: its title
			// (often 60 characters) once is enough.
			c = sameDocCitation(h)
		}
		seen[h.Document.ID] = true
		if len(cited) > 1 {
			c = "[" + strconv.Itoa(i+1) + "] " + c
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, "\n\n")
}

// sameDocCitation is the 依据 line of a clause whose document an earlier
// citation of the answer names: "依据：同一文件 （四）加强信贷支持".
func sameDocCitation(h retrieval.Hit) string {
	c := "依据：同一文件 " + clauseRef(h.Clause)
	if h.Clause.Validity != nil {
		c += statusTag(h)
	}
	if ag := agencies(h.Clause); len(ag) > 0 {
		c += "\n责任单位：" + strings.Join(ag, "、")
	}
	return c
}

var markerRE = regexp.MustCompile(`\[(\d{1,2})\]`)

// renumber rewrites the [n] markers of a draft (1-based into the hits the
// generator was given) to the citation order given by cited (0-based
// indexes); with a single citation the markers are dropped as noise.
func renumber(text string, cited []int) string {
	pos := map[int]int{}
	for i, c := range cited {
		pos[c+1] = i + 1
	}
	return markerRE.ReplaceAllStringFunc(text, func(m string) string {
		if len(cited) <= 1 {
			return ""
		}
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		if p, ok := pos[n]; ok {
			return "[" + strconv.Itoa(p) + "]"
		}
		return ""
	})
}

// pick returns hits[idx] for each index, in order.
func pick(hits []retrieval.Hit, idx []int) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, len(idx))
	for _, i := range idx {
		out = append(out, hits[i])
	}
	return out
}
