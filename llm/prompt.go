package llm

import (
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"policybot/policy"
	"policybot/retrieval"
)

// noAnswerMarker is the phrase the system prompt asks for when the clauses do
// not answer the question; Generate turns such an answer into ErrNoAnswer.
const noAnswerMarker = "没有找到"

// systemPrompt binds the model to the numbered clauses. The rules are what
// Verify checks afterwards, so a model that follows them passes.
const systemPrompt = `你是政府惠企政策咨询助手，回答企业关于扶持政策的问题。

规则：
1. 只依据用户消息中编号的政策条款[1]、[2]……作答，不使用条款以外的知识，不编造政策内容、金额、比例、期限、部门或电话。
2. 每句依据条款的话后面用方括号标注条款编号，例如[1]；只能使用给出的编号。
3. 提到负责办理的部门时，只写所引条款“责任单位”中列出的单位，照原文写全称；条款没有列出责任单位时不写部门。
4. 如果这些条款不能回答问题，只回答：“抱歉，所给政策条款中没有找到这个问题的答案。”不要勉强作答。
5. 用简体中文纯文本回答，适合在微信聊天中阅读：不用Markdown（不用#、*、-、表格、加粗），分成两三个短段落，不超过300字。
6. 不要罗列条款的文件名和文号，系统会在回答后附上引用信息。
7. 每个条款注明了“效力”。只有效力为“现行有效”的条款可以称为现行政策；已到期、已废止、已被替代或尚未施行的条款，提到时要如实说明其效力，不得说成现行规定。`

// maxClauseRunes bounds each clause in the prompt: a long article of a law
// would otherwise crowd out the others and slow the answer.
const maxClauseRunes = 1500

// messages builds the chat: the system rules, then the numbered clauses and
// the question. Nothing but the given hits goes into the prompt.
func messages(question string, hits []retrieval.Hit) []openai.ChatCompletionMessage {
	var b strings.Builder
	b.WriteString("政策条款：\n")
	for i, h := range hits {
		fmt.Fprintf(&b, "\n[%d]\n文件：《%s》\n", i+1, h.Document.Title)
		if h.Document.Number != "" {
			fmt.Fprintf(&b, "文号：%s\n", h.Document.Number)
		}
		fmt.Fprintf(&b, "效力：%s\n", validityLabel(h))
		if heading := clauseHeading(h); heading != "" {
			fmt.Fprintf(&b, "条款：%s\n", heading)
		}
		fmt.Fprintf(&b, "内容：%s\n", truncateRunes(strings.TrimSpace(h.Clause.Text), maxClauseRunes))
		if len(h.Clause.Agencies) > 0 {
			fmt.Fprintf(&b, "责任单位：%s\n", strings.Join(h.Clause.Agencies, "、"))
		} else {
			b.WriteString("责任单位：未列出\n")
		}
	}
	fmt.Fprintf(&b, "\n问题：%s", strings.TrimSpace(question))
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: systemPrompt},
		{Role: openai.ChatMessageRoleUser, Content: b.String()},
	}
}

// validityLabel says in words where the hit's document stands on the day asked.
func validityLabel(h retrieval.Hit) string {
	v := h.Document.Validity
	if v == nil {
		return "未知"
	}
	switch v.Status {
	case policy.StatusInForce:
		return "现行有效"
	case policy.StatusExpired:
		return "已到期（有效期至" + v.Expires + "）"
	case policy.StatusRepealed:
		return "已废止（" + v.Since + "起）"
	case policy.StatusSuperseded:
		return "已被《" + v.SupersededByTitle + "》替代（" + v.Since + "起）"
	case policy.StatusNotYetInForce:
		return "尚未施行（" + v.Effective + "起施行）"
	}
	return "待确认"
}

// clauseHeading is the clause's label and title, e.g. （四）加强信贷支持 or
// 第二十三条 (a law's article has no title).
func clauseHeading(h retrieval.Hit) string {
	label, title := strings.TrimSpace(h.Clause.Label), strings.TrimSpace(h.Clause.Title)
	switch {
	case label == "" || title == "":
		return label + title
	case strings.HasSuffix(label, "条"):
		return label + " " + title
	default:
		return label + title
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "……"
}
