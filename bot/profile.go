package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"policybot/answer"
	"policybot/enterprise"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/state"
)

// Profile commands, as users send them (and menu keys map to them).
const (
	cmdSetProfile    = "设置企业信息"
	cmdEditProfile   = "修改企业信息"
	cmdShowProfile   = "我的企业信息"
	cmdDeleteProfile = "删除我的信息"
	cmdMatch         = "适合我的政策"
	cmdSkip          = "跳过"
	cmdCancel        = "取消"
)

const (
	textProfileOff     = "暂未开通企业信息服务，您可以直接提问，例如：小微企业续贷怎么办？"
	textProfileSaved   = "企业信息已保存：\n%s\n\n发送“适合我的政策”查看适合贵企业的政策，“订阅政策推送”在有新政策时收到通知；发送“修改企业信息”可修改，发送“删除我的信息”可删除。"
	textProfileNone    = "您还没有设置企业信息。发送“设置企业信息”，回答几个简单问题（约1分钟），即可查看适合贵企业的政策。"
	textProfileDeleted = "您的企业信息已删除。"
	textProfileCancel  = "已退出企业信息设置，之前保存的信息未改动。"
	textNoMatches      = "根据贵企业的信息，暂未找到现行有效、适用的政策。信息越完整，匹配越准确：发送“修改企业信息”补充。"
	textMatchFailed    = "抱歉，暂时无法查询适合贵企业的政策，请稍后再试。"
	textProfileFailed  = "抱歉，企业信息暂时无法保存，请稍后再试。"
	profileHint        = "（回复“跳过”可跳过此项，回复“取消”退出）"
	maxMatchesShown    = 5
	// maxMatchesPublished bounds the whole list behind the reply's link.
	maxMatchesPublished = 100
	dialogTTL           = 30 * time.Minute
)

// step is one question of the profile dialogue.
type step struct {
	field  string
	ask    string
	accept func(u *enterprise.Profile, answer string) error
	// skip, when set, passes the question over for a profile that needs
	// no answer to it.
	skip func(p enterprise.Profile) bool
}

var reNumber = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*(人|名|万元|万|元)?\s*$`)

// number reads "25", "25人", "800万元"; unit "万" is taken as 万元.
func number(s string) (float64, error) {
	m := reNumber.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("请回复一个数字")
	}
	return strconv.ParseFloat(m[1], 64)
}

var steps = []step{
	{"region", "贵企业在哪个地区？请回复省、市或区，如：天津市、天津市滨海新区。", func(p *enterprise.Profile, a string) error {
		r := policy.CanonicalRegion(a)
		if !knownRegion(r) || len([]rune(r)) > 40 {
			return errors.New("没有识别出地区，请回复如“天津市”或“天津市滨海新区”")
		}
		p.Region = r
		return nil
	}, nil},
	{"industry", "贵企业属于什么行业？如：制造业、零售业、批发业、餐饮业、软件和信息技术服务业、建筑业。", func(p *enterprise.Profile, a string) error {
		if _, err := enterprise.Understand(enterprise.Profile{Industry: a}, time.Now()); err != nil {
			return errors.New("没有识别出行业，请回复国民经济行业门类或划型行业，如“制造业”“零售业”")
		}
		p.Industry = a
		return nil
	}, nil},
	{"employees", "贵企业从业人员有多少人？请回复数字，如：25。", func(p *enterprise.Profile, a string) error {
		n, err := number(a)
		if err != nil || n < 1 || n > 10_000_000 || n != float64(int(n)) {
			return errors.New("请回复从业人数，一个整数，如：25")
		}
		p.Employees = int(n)
		return nil
	}, nil},
	{"revenue_wan", "贵企业上年营业收入多少万元？请回复数字，如：800。", func(p *enterprise.Profile, a string) error {
		n, err := number(a)
		if err != nil || n <= 0 || n > 1e9 {
			return errors.New("请回复营业收入（万元），一个数字，如：800")
		}
		p.RevenueWan = n
		return nil
	}, nil},
	{"size", "贵企业的规模？请回复：大型、中型、小型或微型。", func(p *enterprise.Profile, a string) error {
		for s, name := range enterprise.SizeNames {
			if a == name || a == name+"企业" {
				p.Size = s
				return nil
			}
		}
		return errors.New("请回复：大型、中型、小型或微型")
	}, func(p enterprise.Profile) bool {
		// Asked only when industry, employees and revenue do not decide
		// it (an 建筑业 firm: the standard needs 资产总额 too).
		u, err := enterprise.Understand(p, time.Now())
		return err == nil && u.Size != "" && u.SizeDerived
	}},
	{"qualifications", "贵企业有哪些资质？可多选，用顿号分隔：" + strings.Join(qualificationChoices(), "、") + "。没有请回复“无”。", func(p *enterprise.Profile, a string) error {
		if a == "无" || a == "没有" {
			p.Qualifications = []string{}
			return nil
		}
		parts := strings.FieldsFunc(a, func(r rune) bool { return strings.ContainsRune("、,，;； ", r) })
		u, err := enterprise.Understand(enterprise.Profile{Qualifications: parts}, time.Now())
		if err != nil {
			return errors.New("有未识别的资质，请从以下选择：" + strings.Join(qualificationChoices(), "、"))
		}
		p.Qualifications = u.Qualifications
		return nil
	}, nil},
	{"founded_year", "贵企业哪一年成立？请回复年份，如：2018。", func(p *enterprise.Profile, a string) error {
		y, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(a), "年"))
		if err != nil || y < 1800 || y > time.Now().Year() {
			return errors.New("请回复四位年份，如：2018")
		}
		p.FoundedYear = y
		return nil
	}, nil},
}

// knownRegion: a province (or its short name) with what follows, or a city
// the place lists know.
func knownRegion(r string) bool {
	for _, p := range policy.Provinces {
		if strings.HasPrefix(r, p.Name) || strings.HasPrefix(r, p.Short) {
			return true
		}
	}
	_, ok := policy.CityProvince[policy.CoreName(r)]
	return ok
}

func qualificationChoices() []string {
	return slices.DeleteFunc(enterprise.Qualifications(), func(q string) bool { return q == "小型微利企业" })
}

// dialog is the profile dialogue under way, kept in the shared state.
type dialog struct {
	Step    int                `json:"step"`
	Profile enterprise.Profile `json:"profile"`
}

func dialogKey(openid string) string { return "profile-dialog:" + openid }

// ProfileKey is a WeChat user's profile key: namespaced like its session.
func ProfileKey(openid string) string { return "wechat:" + openid }

// profileCommand is the computation of a profile command or a dialogue
// answer, or nil when text is neither (it is then a question).
func (h *Handler) profileCommand(ctx context.Context, openid, cmd, text string) computeFunc {
	if h.cfg.Profiles == nil {
		switch cmd {
		case cmdSetProfile, cmdEditProfile, cmdShowProfile, cmdDeleteProfile, cmdMatch, cmdSubscribe, cmdUnsubscribe:
			return fixed(textProfileOff, "profile_off")
		}
		return nil
	}
	switch cmd {
	case cmdSetProfile, cmdEditProfile:
		return h.startDialog(openid)
	case cmdShowProfile:
		return h.showProfile(openid)
	case cmdDeleteProfile:
		return h.deleteProfile(openid)
	case cmdMatch:
		return h.matchProfile(openid)
	case cmdSubscribe:
		return h.subscribe(openid, true)
	case cmdUnsubscribe, "取消订阅":
		return h.subscribe(openid, false)
	}
	// An answer to the dialogue's question, when one is under way.
	cctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	data, err := h.cfg.State.KVGet(cctx, dialogKey(openid))
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			h.log.Warn("wechat read profile dialogue", "err", err, "openid", hashID(openid))
		}
		return nil
	}
	var d dialog
	if json.Unmarshal(data, &d) != nil || d.Step < 0 || d.Step >= len(steps) {
		return nil
	}
	if cmd != cmdSkip && cmd != cmdCancel && looksLikeQuestion(cmd) {
		probe := d.Profile
		if steps[d.Step].accept(&probe, cmd) != nil {
			// A question asked mid-dialogue is answered, not refused as a
			// bad answer: the dialogue ends, what was saved stays.
			if err := h.cfg.State.KVDelete(cctx, dialogKey(openid)); err != nil {
				h.log.Warn("wechat end profile dialogue", "err", err, "openid", hashID(openid))
			}
			return nil
		}
	}
	return h.continueDialog(openid, d, cmd)
}

// looksLikeQuestion: longer than any answer to the dialogue's questions, or
// worded as a question.
func looksLikeQuestion(s string) bool {
	return len([]rune(s)) > 15 || strings.ContainsAny(s, "？?吗") || strings.Contains(s, "怎么") || strings.Contains(s, "如何")
}

// askerRegion is the region a user's questions are read for: the profile's
// when the user set one up, else the account's.
func (h *Handler) askerRegion(ctx context.Context, openid string) string {
	if h.cfg.Profiles == nil {
		return h.cfg.Region
	}
	cctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	p, err := h.cfg.Profiles.Profile(cctx, ProfileKey(openid))
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			h.log.Warn("wechat read profile", "err", err, "openid", hashID(openid))
		}
		return h.cfg.Region
	}
	if p.Region != "" {
		return p.Region
	}
	return h.cfg.Region
}

func fixed(text, outcome string) computeFunc {
	return func(context.Context) result { return result{Text: text, Outcome: outcome} }
}

func (h *Handler) startDialog(openid string) computeFunc {
	return func(ctx context.Context) result {
		d := dialog{}
		if p, err := h.cfg.Profiles.Profile(ctx, ProfileKey(openid)); err == nil {
			d.Profile = p // editing keeps what is not answered anew
		}
		intro := "好的，请回答几个问题，用于为您匹配适用的政策。"
		if link := h.profileLink(openid); link != "" {
			intro += "也可在网页一次填写（30分钟内有效）：" + link
		}
		return h.saveDialog(ctx, openid, d, intro+"\n"+steps[0].ask+profileHint)
	}
}

func (h *Handler) continueDialog(openid string, d dialog, answerText string) computeFunc {
	return func(ctx context.Context) result {
		if answerText == cmdCancel || answerText == "退出" {
			if err := h.cfg.State.KVDelete(ctx, dialogKey(openid)); err != nil {
				h.log.Warn("wechat end profile dialogue", "err", err, "openid", hashID(openid))
			}
			return result{Text: textProfileCancel, Outcome: "profile_cancel"}
		}
		s := steps[d.Step]
		if answerText != cmdSkip {
			if err := s.accept(&d.Profile, answerText); err != nil {
				return result{Text: err.Error() + "\n" + s.ask + profileHint, Outcome: "profile_invalid"}
			}
		}
		d.Step++
		for d.Step < len(steps) && steps[d.Step].skip != nil && steps[d.Step].skip(d.Profile) {
			d.Step++
		}
		if d.Step == len(steps) {
			return h.finishDialog(ctx, openid, d)
		}
		return h.saveDialog(ctx, openid, d, steps[d.Step].ask+profileHint)
	}
}

func (h *Handler) saveDialog(ctx context.Context, openid string, d dialog, reply string) result {
	data, _ := json.Marshal(d)
	if err := h.cfg.State.KVSet(ctx, dialogKey(openid), data, dialogTTL); err != nil {
		h.log.Error("wechat save profile dialogue", "err", err, "openid", hashID(openid))
		return result{Text: textProfileFailed, Outcome: "error"}
	}
	return result{Text: reply, Outcome: "profile_dialog"}
}

func (h *Handler) finishDialog(ctx context.Context, openid string, d dialog) result {
	u, err := enterprise.Understand(d.Profile, time.Now())
	if err != nil {
		// Each answer was checked as it came; a profile that fails now is
		// a bug, not the user's: keep what passes.
		h.log.Error("wechat profile dialogue result", "err", err, "openid", hashID(openid))
		return result{Text: textProfileFailed, Outcome: "error"}
	}
	if err := h.cfg.Profiles.SaveProfile(ctx, ProfileKey(openid), d.Profile); err != nil {
		h.log.Error("wechat save profile", "err", err, "openid", hashID(openid))
		return result{Text: textProfileFailed, Outcome: "error"}
	}
	if err := h.cfg.State.KVDelete(ctx, dialogKey(openid)); err != nil {
		h.log.Warn("wechat end profile dialogue", "err", err, "openid", hashID(openid))
	}
	return result{Text: fmt.Sprintf(textProfileSaved, describe(u)), Outcome: "profile_saved"}
}

// describe words a profile as understood, a line a field.
func describe(u enterprise.Understood) string {
	unknown := "（未填）"
	or := func(s string) string {
		if s == "" {
			return unknown
		}
		return s
	}
	size := unknown
	if u.Size != "" {
		size = enterprise.SizeNames[u.Size] + "企业"
		if u.SizeDerived {
			size += "（按划型标准推算）"
		}
	}
	quals := unknown
	if u.Qualifications != nil {
		quals = "无"
		if len(u.Qualifications) > 0 {
			quals = strings.Join(u.Qualifications, "、")
		}
	}
	num := func(n float64, unit string) string {
		if n == 0 {
			return unknown
		}
		return strconv.FormatFloat(n, 'f', -1, 64) + unit
	}
	return strings.Join([]string{
		"地区：" + or(u.Region), "行业：" + or(u.Industry), "从业人员：" + num(float64(u.Employees), "人"),
		"营业收入：" + num(u.RevenueWan, "万元"), "规模：" + size, "资质：" + quals, "成立年份：" + num(float64(u.FoundedYear), "年"),
	}, "\n")
}

func (h *Handler) showProfile(openid string) computeFunc {
	return func(ctx context.Context) result {
		p, err := h.cfg.Profiles.Profile(ctx, ProfileKey(openid))
		if errors.Is(err, state.ErrNotFound) {
			return result{Text: textProfileNone, Outcome: "profile_none"}
		}
		if err != nil {
			h.log.Error("wechat read profile", "err", err, "openid", hashID(openid))
			return result{Text: textFailed, Outcome: "error"}
		}
		u, _ := enterprise.Understand(p, time.Now())
		return result{Text: "您的企业信息：\n" + describe(u) + "\n\n发送“修改企业信息”可修改，发送“删除我的信息”可删除。", Outcome: "profile_shown"}
	}
}

// deleteProfile removes the profile and any dialogue under way: deleting
// is the enterprise's right, and nothing of it is kept.
func (h *Handler) deleteProfile(openid string) computeFunc {
	return func(ctx context.Context) result {
		err := h.cfg.Profiles.DeleteProfile(ctx, ProfileKey(openid))
		if err == nil {
			err = h.cfg.State.KVDelete(ctx, dialogKey(openid))
		}
		if err != nil {
			h.log.Error("wechat delete profile", "err", err, "openid", hashID(openid))
			return result{Text: textProfileFailed, Outcome: "error"}
		}
		return result{Text: textProfileDeleted, Outcome: "profile_deleted"}
	}
}

// matchProfile lists the five best in-force policies for the user's
// profile within the reply limit, with a link to the whole list.
func (h *Handler) matchProfile(openid string) computeFunc {
	return func(ctx context.Context) result {
		p, err := h.cfg.Profiles.Profile(ctx, ProfileKey(openid))
		if errors.Is(err, state.ErrNotFound) {
			return result{Text: textProfileNone, Outcome: "profile_none"}
		}
		if err != nil || h.cfg.Matcher == nil {
			h.log.Error("wechat read profile", "err", err, "openid", hashID(openid))
			return result{Text: textMatchFailed, Outcome: "error"}
		}
		today, _ := time.Parse(time.DateOnly, h.cfg.Matcher.Today())
		u, err := enterprise.Understand(p, today)
		if err != nil {
			return result{Text: textProfileNone, Outcome: "profile_none"}
		}
		cands, err := h.cfg.Matcher.Applicable(ctx, "")
		if err != nil {
			h.log.Error("wechat match profile", "err", err, "openid", hashID(openid))
			return result{Text: textMatchFailed, Outcome: "error"}
		}
		ms, total := enterprise.MatchAll(u, cands, maxMatchesPublished)
		if total == 0 {
			return result{Text: textNoMatches, Outcome: "matched_none"}
		}
		return result{Text: h.matchReply(ctx, ms, total), Outcome: "matched"}
	}
}

// matchReply words the first matches for a passive reply: each its
// document, clause and what to check, then the link to the whole list.
func (h *Handler) matchReply(ctx context.Context, ms []enterprise.Match, total int) string {
	var lines []string
	for i, m := range ms[:min(maxMatchesShown, len(ms))] {
		line := fmt.Sprintf("%d. %s", i+1, matchLine(m))
		lines = append(lines, line)
	}
	head := fmt.Sprintf("根据贵企业的信息，找到%d条现行有效、可能适用的政策，前%d条：", total, len(lines))
	text := head + "\n\n" + strings.Join(lines, "\n\n")
	full := answer.Answer{Answered: true, Answer: head + "\n\n" + allMatches(ms)}
	for _, m := range ms {
		full.Citations = append(full.Citations, retrieval.Hit{Score: m.Score, Document: m.Document, Clause: m.Clause})
	}
	link, err := h.publish(ctx, full)
	if err != nil {
		h.log.Error("wechat publish matches", "err", err)
	}
	link = strings.Replace(link, "完整回答：", "完整列表：", 1)
	tail := "\n\n回复条款名称可查询详情，如“" + firstQuestion(ms[0]) + "”。"
	for len(text)+len(tail)+len(link)+2 > maxReply && len(lines) > 1 {
		lines = lines[:len(lines)-1]
		text = head + "\n\n" + strings.Join(lines, "\n\n")
	}
	out := text + tail
	if link != "" {
		out += "\n" + link
	}
	if len(out) > maxReply {
		out = shorten(out, link, maxReply)
	}
	return out
}

func matchLine(m enterprise.Match) string {
	d, c := m.Document, m.Clause
	title := "《" + d.Title + "》"
	if d.Number != "" {
		title += "（" + d.Number + "）"
	}
	name := c.Label + c.Title
	line := title + name
	if m.Outcome == enterprise.NeedMoreInfo {
		line += "\n需补充：" + fieldNames(m.Missing)
	}
	if len(m.Check) > 0 {
		line += "\n请确认：" + policy.Clip(m.Check[0], 40)
	}
	return line
}

func allMatches(ms []enterprise.Match) string {
	var parts []string
	for i, m := range ms {
		p := fmt.Sprintf("%d. %s", i+1, matchLine(m))
		if len(m.Why) > 0 {
			p += "\n符合：" + strings.Join(m.Why, "；")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "\n\n")
}

func firstQuestion(m enterprise.Match) string {
	if m.Clause.Title != "" {
		return m.Clause.Title
	}
	return policy.Clip(m.Document.Title, 20)
}

var fieldWords = map[string]string{"region": "所在地区", "size": "企业规模（或行业、人数、营业收入）", "industry": "所属行业", "qualifications": "企业资质"}

func fieldNames(fs []string) string {
	var out []string
	for _, f := range fs {
		out = append(out, fieldWords[f])
	}
	return strings.Join(out, "、")
}
