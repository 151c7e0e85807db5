package bot

import (
	"context"
	"policybot/state"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Messages users see. Short, polite, in Chinese.
const (
	textWelcome = "您好，欢迎关注！我可以帮您查询各级政府的惠企政策，直接发文字或语音提问即可，例如：\n" +
		"1. 小微企业续贷怎么办？\n2. 商标和专利可以质押贷款吗？\n3. 小微企业第一次贷款有什么支持？\n" +
		"需要人工服务请发送“人工”。"
	textVoiceUnclear = "抱歉，没有听清您的语音，请用文字输入您的问题。"
	textUnsupported  = "暂时只能回答文字或语音提问，请用文字描述您想了解的政策问题。"
	textEmpty        = "请输入您想了解的政策问题，例如：小微企业续贷怎么办？"
	textHandoff      = "正在为您转接人工客服，请稍候…"
	textTooLong      = "您的问题太长了，请用500字以内简要说明想了解的政策，例如：小微企业续贷怎么办？"
	textMenuUnknown  = "该菜单暂未配置问题，请直接输入您的问题。"
	textRateLimited  = "您的提问有点频繁，请稍等一分钟后再问。"
	textFailed       = "抱歉，系统暂时无法回答，请稍后再试。"
	textPlaceholder  = "正在查询，请稍候…\n如稍后未收到回答，请发送“继续”获取。"
	textNothingToGet = "暂时没有待取的回答，请直接输入您的问题。"
)

// delivery is what one POST from WeChat came to.
type delivery struct {
	typ       string // metric label: text, voice, image, event, other
	outcome   string // metric label
	key       string // message key, when the message is deduplicated
	openid    string
	reply     *message.Reply // nil: reply "success"
	malformed bool
}

func textReply(s string) *message.Reply {
	return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(s)}
}

// maxQuestionRunes bounds a question, as web.MaxQueryRunes does for the API.
const maxQuestionRunes = 500

// handle routes one parsed message.
func (h *Handler) handle(ctx context.Context, m *message.MixMessage) delivery {
	d := delivery{typ: messageType(m.MsgType), openid: string(m.FromUserName)}
	if d.openid == "" || m.MsgType == "" {
		d.malformed = true
		return d
	}
	d.key = messageKey(m)
	switch m.MsgType {
	case message.MsgTypeText:
		h.handleText(ctx, m, strings.TrimSpace(m.Content), &d)
	case message.MsgTypeVoice:
		if q := strings.TrimSpace(m.Recognition); q != "" {
			h.handleText(ctx, m, q, &d)
		} else {
			d.reply, d.outcome = textReply(textVoiceUnclear), "unrecognized"
		}
	case message.MsgTypeEvent:
		h.handleEvent(ctx, m, &d)
	default:
		d.reply, d.outcome = textReply(textUnsupported), "unsupported"
	}
	return d
}

func (h *Handler) handleText(ctx context.Context, m *message.MixMessage, text string, d *delivery) {
	// NUL, control characters and invalid UTF-8 would be lost on the way
	// to the store; the API caps questions at 500 characters, so does this.
	text = strings.TrimSpace(state.CleanText(text, 0))
	if utf8.RuneCountInString(text) > maxQuestionRunes {
		d.reply, d.outcome = textReply(textTooLong), "too_long"
		return
	}
	cmd := command(text)
	if wantsHuman(cmd) {
		h.handoff(d)
		return
	}
	switch cmd {
	case "":
		d.reply, d.outcome = textReply(textEmpty), "empty"
	case "继续":
		h.once(ctx, d, h.takePending(d.openid))
	default:
		if compute := h.profileCommand(ctx, d.openid, cmd, text); compute != nil {
			h.once(ctx, d, compute)
			return
		}
		h.once(ctx, d, h.ask(d.openid, text))
	}
}

// reHuman: a short message asking for a person (转人工, 我要找人工客服, 找人工).
var reHuman = regexp.MustCompile(`^(请|我要|我想|帮我)?(转|找|接|要|联系)?(一下)?(人工|真人|客服人员)(客服|服务|坐席)?(吧|呢|啊)?$`)

func wantsHuman(s string) bool {
	return s == "客服" || reHuman.MatchString(strings.ReplaceAll(s, " ", ""))
}

// handoff hands the user to the account's customer-service agents and tells
// them so — a transfer reply carries no text, so the notice is pushed
// alongside — or, outside the agents' hours, gives the hotline instead.
func (h *Handler) handoff(d *delivery) {
	if !h.cfg.agentsOnline(time.Now()) {
		d.reply, d.outcome = textReply(h.cfg.offlineText()), "transfer_offline"
		return
	}
	d.reply = &message.Reply{MsgType: message.MsgTypeTransfer, MsgData: message.NewTransferCustomer("")}
	d.outcome = "transfer"
	openid := d.openid
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.APITimeout)
		defer cancel()
		if err := h.sendText(ctx, openid, textHandoff); err != nil {
			h.log.Warn("wechat handoff notice", "err", redact(err), "openid", hashID(openid))
		}
	}()
}

func (h *Handler) handleEvent(ctx context.Context, m *message.MixMessage, d *delivery) {
	switch m.Event {
	case message.EventSubscribe:
		d.reply, d.outcome = textReply(textWelcome), "welcome"
	case message.EventClick:
		q, ok := h.cfg.MenuQuestions[m.EventKey]
		if !ok {
			d.reply, d.outcome = textReply(textMenuUnknown), "unknown_menu"
			return
		}
		// A menu key maps to a question or to a command (适合我的政策).
		h.handleText(ctx, m, q, d)
	default: // unsubscribe, VIEW, location reports…: nothing to say
		d.outcome = "ignored"
	}
}

// command normalises a short text for matching commands: voice recognition
// and habits add trailing punctuation.
func command(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "。.！!？?～~ ")
}

// messageKey identifies a message across WeChat's retries: MsgId for
// messages, sender and creation time for events (which have no MsgId).
func messageKey(m *message.MixMessage) string {
	account := string(m.ToUserName)
	if m.MsgID != 0 {
		return "wechat:" + account + ":msg:" + strconv.FormatInt(m.MsgID, 10)
	}
	return "wechat:" + account + ":evt:" + string(m.FromUserName) + ":" + strconv.FormatInt(m.CreateTime, 10)
}

func messageType(t message.MsgType) string {
	switch t {
	case message.MsgTypeText, message.MsgTypeVoice, message.MsgTypeImage, message.MsgTypeEvent:
		return string(t)
	}
	return "other"
}
