package answer

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"policybot/retrieval"
	"policybot/segment"
)

// followKind is what a follow-up asks of the previous answer.
type followKind int

const (
	followNone     followKind = iota
	followAgencies            // 那找哪个部门？
	followMore                // 还有吗
	followDetail              // 详细说说
	followValidity            // 这个政策还有效吗？
)

// Trigger phrases per kind; longer first within a kind so that the longest is removed.
var followTriggers = []struct {
	kind    followKind
	phrases []string
}{
	{followValidity, []string{"现在还有效吗", "是否还有效", "还有没有效", "还有效吗", "是否有效", "有效吗", "还在执行吗",
		"还执行吗", "还适用吗", "过期了吗", "失效了吗", "废止了吗", "到期了吗", "什么时候到期", "何时到期", "哪天到期",
		"什么时候截止", "什么时候结束", "什么时候失效", "有效期到什么时候", "有效期多久", "有效期", "什么时候施行",
		"什么时候生效", "何时生效", "何时施行", "从什么时候开始"}},
	{followDetail, []string{"详细说一下", "详细介绍一下", "详细讲讲", "详细说说", "具体说说", "展开说说", "详细一点", "详细内容",
		"具体内容", "条款原文", "看看原文", "详细点", "原文", "全文", "详细"}},
	{followMore, []string{"还有别的吗", "还有其他的吗", "还有其他吗", "还有没有", "其他的呢", "别的呢", "还有吗", "还有呢",
		"还有别的", "还有其他", "下一条", "再来一条", "更多"}},
	{followAgencies, []string{"哪个部门负责", "由哪个部门", "找哪个部门", "哪个部门", "什么部门", "哪些部门", "哪个单位",
		"哪些单位", "什么单位", "哪个机构", "主管部门", "负责部门", "责任单位", "谁负责", "找哪里", "找谁", "联系谁",
		"问谁", "去哪办", "哪里办", "在哪办", "到哪办"}},
}

// followFillers carry no topic of their own: a question that is only a
// trigger and these is a follow-up, not a new question.
var followFillers = []string{"请问", "那么", "那", "这个", "这项", "这些", "该", "此", "上述", "政策", "条款", "事项", "业务",
	"办理", "申请", "咨询", "负责", "具体", "一下", "应该", "可以", "需要", "我们", "我", "给", "的", "是", "能", "要", "去",
	"再", "说", "还", "看看", "呢", "吗", "啊", "呀", "吧", "有", "办", "内容"}

// classify tells whether q is a follow-up of the previous answer: a trigger
// phrase with nothing but fillers around it. "企业在海外遇到知识产权纠纷找谁"
// names its own topic, so it is a question, not a follow-up.
func classify(q string) followKind {
	s := stripPunct(q)
	for _, ft := range followTriggers {
		for _, p := range ft.phrases {
			if !strings.Contains(s, p) {
				continue
			}
			rest := strings.Replace(s, p, "", 1)
			for _, f := range followFillers {
				rest = strings.ReplaceAll(rest, f, "")
			}
			if utf8.RuneCountInString(rest) <= 2 {
				return ft.kind
			}
		}
	}
	return followNone
}

// Words that point back at the previous topic.
var anaphora = []string{"这个", "那个", "这方面", "该政策", "这项", "此项", "这类", "上述", "它", "那"}

// Words that ask about any topic without naming one: a short question made
// only of these ("怎么申请？", "需要什么材料") is about the previous topic.
var generic = map[string]bool{"申请": true, "办理": true, "条件": true, "流程": true, "材料": true, "要求": true,
	"标准": true, "时间": true, "期限": true, "多少": true, "金额": true, "补贴": true, "怎么": true, "如何": true,
	"什么": true, "哪些": true, "需要": true, "可以": true, "能否": true, "享受": true, "资格": true, "范围": true,
	"对象": true, "截止": true, "费用": true, "手续": true, "方式": true, "途径": true, "政策": true, "规定": true}

// isElliptical tells whether q leans on the previous topic: short and
// pointing back (这个、那、它、这方面), or naming no topic of its own.
func isElliptical(q string) bool {
	s := stripPunct(q)
	n := utf8.RuneCountInString(s)
	if n <= 12 {
		for _, a := range anaphora {
			if strings.Contains(s, a) {
				return true
			}
		}
	}
	if n > 8 {
		return false
	}
	for _, t := range segment.Query(q) {
		if t.Weight >= 1 && !generic[t.Text] { // the asker's own words, not synonyms
			return false
		}
	}
	return true
}

// hasContent tells whether q has a term worth searching for.
func hasContent(q string) bool {
	return len(segment.QueryTerms(q)) > 0
}

// stripPunct drops punctuation, symbols and spaces.
func stripPunct(q string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, q)
}

// followUp answers a follow-up from the session; without the context it
// needs, it asks for the full question.
func (t *turn) followUp(ctx context.Context, kind followKind) Answer {
	sess := t.sess
	if err := sess.loadHits(); err != nil {
		t.svc.log.Warn("answer: decode session hits", "err", err)
	}
	switch kind {
	case followAgencies:
		if len(sess.Cited) == 0 {
			return Answer{Answer: askFullQuestion}
		}
		return Answer{Answered: true, Answer: agencyAnswer(sess.Cited), Citations: sess.Cited}
	case followValidity:
		if len(sess.Cited) == 0 {
			return Answer{Answer: askFullQuestion}
		}
		return Answer{Answered: true, Answer: validityAnswer(sess.Cited), Citations: sess.Cited}
	case followDetail:
		if len(sess.Cited) == 0 {
			return Answer{Answer: askFullQuestion}
		}
		h := sess.Cited[0]
		text := "以下是该条款原文：\n\n" + strings.TrimSpace(h.Clause.Text) + "\n\n" + citation(h)
		return Answer{Answered: true, Answer: text, Citations: []retrieval.Hit{h}}
	case followMore:
		if sess.Question == "" {
			return Answer{Answer: askFullQuestion}
		}
		var next []retrieval.Hit
		for _, h := range sess.Hits {
			if !sess.shown(h.Clause.ID) && h.Score >= t.svc.cfg.MinScore && len(next) < maxCitations {
				next = append(next, h)
			}
		}
		if len(next) == 0 {
			return Answer{Answer: noMore}
		}
		cited, body, extractive := t.generate(ctx, sess.Question, next)
		sess.markShown(cited)
		opening := ""
		if extractive {
			opening = leadMore
		}
		return Answer{Answered: true, Answer: compose(opening, body, cited), Citations: cited}
	}
	return Answer{Answer: askFullQuestion}
}

// agencyAnswer names the agencies of the cited clauses, each with its
// document and clause; for a clause listing none it says so and names the
// issuing body.
func agencyAnswer(cited []retrieval.Hit) string {
	var parts []string
	for _, h := range cited {
		var msg string
		if ag := agencies(h.Clause); len(ag) > 0 {
			msg = "可联系以下责任单位：" + strings.Join(ag, "、")
		} else {
			msg = "该条款没有列明责任单位"
			if h.Document.Issuer != "" {
				msg += "，可咨询发文单位" + h.Document.Issuer
			}
			msg += "；也可拨打 12345 政务服务热线咨询。"
		}
		parts = append(parts, msg+"\n"+citeLine(h))
	}
	return strings.Join(parts, "\n\n")
}

// Small talk: greetings and thanks get a short reply of their own, never a
// policy clause (在吗 once matched a clause about 存在问题).
var (
	greetings = []string{"你好", "您好", "在吗", "在不在", "有人吗", "早上好", "上午好", "中午好", "下午好", "晚上好", "哈喽", "嗨", "hello", "hi"}
	thanks    = []string{"谢谢", "感谢", "多谢", "好的", "知道了", "明白了", "再见", "拜拜", "哈哈", "嗯嗯", "嗯", "ok"}
)

const (
	greetingReply = "您好，我是惠企政策咨询助手。请直接告诉我您想了解的政策问题，例如：“小微企业续贷有什么支持政策？”"
	thanksReply   = "不客气！还有其他政策问题，随时可以问我。"
)

// smallTalk returns the reply to a message that is only a greeting or thanks, "" otherwise.
func smallTalk(q string) string {
	s := strings.ToLower(stripPunct(q))
	for _, set := range []struct {
		words []string
		reply string
	}{{greetings, greetingReply}, {thanks, thanksReply}} {
		rest := s
		for _, w := range set.words {
			rest = strings.ReplaceAll(rest, w, "")
		}
		if rest != s && utf8.RuneCountInString(rest) <= 2 {
			return set.reply
		}
	}
	return ""
}
