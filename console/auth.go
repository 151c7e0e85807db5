package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"policybot/staff"
)

const cookieName = "policybot_session"

// signedIn is the request's session and its user, read fresh from the user
// store on every request so that disabling an account takes effect at once.
type signedIn struct {
	Session staff.Session
	User    staff.User
}

type ctxKey struct{}

func sessionFrom(ctx context.Context) (*signedIn, bool) {
	s, ok := ctx.Value(ctxKey{}).(*signedIn)
	return s, ok
}

// current returns the signed-in user of r, or nil.
func (c *Console) current(r *http.Request) (*signedIn, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || len(ck.Value) != 64 {
		return nil, nil
	}
	sess, err := c.cfg.Sessions.Session(r.Context(), sessionID(ck.Value))
	if errors.Is(err, staff.ErrSessionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := c.cfg.Users.User(r.Context(), sess.User)
	if errors.Is(err, staff.ErrUserNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, nil
	}
	return &signedIn{Session: sess, User: u}, nil
}

// require lets fn run only for a signed-in user of role (admins pass agent
// checks too) and, for POSTs, only with the session's CSRF token. Anonymous
// page views are sent to /login; anonymous scripts and POSTs get 401.
func (c *Console) require(role string, fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		si, err := c.current(r)
		if err != nil {
			return err
		}
		if si == nil {
			if r.Method == http.MethodGet && !wantsText(r) {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return userError(http.StatusUnauthorized, "请先登录。")
		}
		if role == staff.RoleAdmin && !si.User.CanAdmin() {
			return errForbidden
		}
		if r.Method == http.MethodPost {
			if err := c.checkCSRF(w, r, si.Session); err != nil {
				return err
			}
		}
		return fn(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, si)))
	}
}

// checkCSRF compares the form's token with the session's in constant time.
// It parses the form, so it bounds the body first: an upload may be
// MaxUpload plus room for the other fields, anything else 64 KiB.
func (c *Console) checkCSRF(w http.ResponseWriter, r *http.Request, s staff.Session) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxUpload+64<<10)
		err = r.ParseMultipartForm(1 << 20) // larger parts spill to temporary files
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		err = r.ParseForm()
	}
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		return userError(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大：上限为 %s。", sizeText(c.cfg.MaxUpload)))
	}
	if err != nil {
		return userError(http.StatusBadRequest, "表单格式不正确。")
	}
	got := r.PostFormValue("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
		return errBadCSRF
	}
	return nil
}

// safeNext returns next when it is a path on this site, else /console: a
// login link must never send the user elsewhere (open redirect).
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/console"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/console"
	}
	return next
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) error {
	si, err := c.current(r)
	if err != nil {
		return err
	}
	next := safeNext(r.URL.Query().Get("next"))
	if si != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return c.render(w, r, "login", nil, page{Title: "登录", Next: next, CSRF: c.loginToken(w)})
}

// loginCookie carries the login form's CSRF token (double submit: a page
// of another site can post the form but can neither read nor set it).
const loginCookie = "pb_login"

// loginToken issues the token of a login form.
func (c *Console) loginToken(w http.ResponseWriter) string {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", MaxAge: 3600,
		Secure: c.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return tok
}

// loginCSRF reports whether the posted form carries the token of the login
// page it came from.
func loginCSRF(r *http.Request) bool {
	ck, err := r.Cookie(loginCookie)
	form := r.PostFormValue("csrf")
	return err == nil && form != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(form)) == 1
}

// login checks the password. Unknown names, wrong passwords, disabled and
// locked accounts all get the same message and the same delay, so the page
// tells nobody which accounts exist.
func (c *Console) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	if !loginCSRF(r) {
		w.WriteHeader(http.StatusForbidden)
		return c.render(w, r, "login", nil, page{Title: "登录", Next: next, Name: name, CSRF: c.loginToken(w),
			Message: "登录页已过期，请重新输入后登录。"})
	}
	csrf := r.PostFormValue("csrf")
	allowed, err := c.attempts.ReserveLogin(r.Context(), name, maxFailures, lockoutFor)
	if err != nil {
		return err
	}
	if !allowed {
		c.sleep(r.Context(), failDelay)
		w.WriteHeader(http.StatusTooManyRequests)
		return c.render(w, r, "login", nil, page{Title: "登录", Next: next, Name: name, CSRF: csrf,
			Message: msgLocked})
	}
	u, err := c.cfg.Users.User(r.Context(), name)
	if err != nil && !errors.Is(err, staff.ErrUserNotFound) {
		return err
	}
	ok := err == nil && !u.Disabled && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
	if err != nil {
		// Spend the time a hash comparison takes, so timing does not reveal unknown names.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	}
	if !ok {
		// The reserved attempt stays counted: it failed.
		c.log.Info("console login failed", "user", name)
		c.sleep(r.Context(), failDelay)
		w.WriteHeader(http.StatusUnauthorized)
		return c.render(w, r, "login", nil, page{Title: "登录", Next: next, Name: name, CSRF: csrf, Message: "用户名或密码错误。"})
	}
	if err := c.attempts.LoginSucceeded(r.Context(), name); err != nil {
		return err
	}
	token := randomToken()
	sess := staff.Session{ID: sessionID(token), User: u.Name, CSRF: randomToken(), Expires: c.now().Add(c.cfg.SessionTTL)}
	if err := c.cfg.Sessions.CreateSession(r.Context(), sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", MaxAge: int(c.cfg.SessionTTL / time.Second),
		Secure: c.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	c.log.Info("console login", "user", u.Name, "role", u.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

const msgLocked = "登录失败次数过多，账号已锁定 15 分钟，请稍后再试或联系管理员。"

// dummyHash is a bcrypt hash of a random password at the default cost.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()[:32]), bcrypt.DefaultCost)

func (c *Console) logoutForm(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	return c.render(w, r, "logout", si, page{Title: "退出登录"})
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) error {
	si, _ := sessionFrom(r.Context())
	if err := c.cfg.Sessions.DeleteSession(r.Context(), si.Session.ID); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: c.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
