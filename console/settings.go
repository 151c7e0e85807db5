package console

import (
	"fmt"
	"net/http"
	"strings"

	"policybot/staff"
)

// settings shows the agent's own settings: the default region their
// searches use when they type none (over the server's POLICYBOT_REGION).
func (c *Console) settings(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	p := page{Title: "我的设置", Region: si.User.Region, ServerRegion: c.cfg.Region}
	if r.URL.Query().Get("done") == "1" {
		p.Notice = "已保存默认地区。"
	}
	return c.render(w, r, "settings", si, p)
}

// saveSettings stores the agent's default region; empty goes back to the server's.
func (c *Console) saveSettings(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	region := strings.TrimSpace(r.PostFormValue("region"))
	if err := staff.CheckRegion(region); err != nil {
		return userError(http.StatusBadRequest, fmt.Sprintf("地区最多 %d 个字，且不能含特殊字符。", staff.MaxRegionRunes))
	}
	if err := c.cfg.Users.SetUserRegion(r.Context(), si.User.Name, region); err != nil {
		return fmt.Errorf("console settings: %w", err)
	}
	c.log.Info("console settings", "user", si.User.Name, "region", region)
	http.Redirect(w, r, "/console/settings?done=1", http.StatusSeeOther)
	return nil
}
