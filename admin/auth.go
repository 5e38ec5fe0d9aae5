package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
)

// account is the console's one account: the family's parents share it.
const account = "parent"

// hash returns the password hash in force, "" when none is set yet.
func (c *Console) hash() (string, error) {
	if c.pwPath == "" {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.memHash, nil
	}
	return readHash(c.pwPath)
}

// current is the private group's second wrapper: a session opened with an
// older password ends, so `amane password` logs every browser out.
func (c *Console) current(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := web.SessionFrom(r.Context())
		h, err := c.hash()
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if sess == nil || h == "" || sess.Role != fingerprint(h) {
			if sess != nil {
				c.sessions.Delete(sess.ID)
			}
			c.sessions.ClearCookie(w, r)
			if web.IsAPI(r) {
				web.WriteJSONError(w, http.StatusUnauthorized, errors.New("the password changed: sign in again"))
				return
			}
			http.Redirect(w, r, c.router.URL("login"), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loginData is the login page's.
type loginData struct {
	Next     string
	NoPass   bool // no password is set yet
	CanSetUp bool // and this visitor, on the machine itself, may choose it
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request, status int, errs web.FieldErrors) {
	h, _ := c.hash()
	d := loginData{Next: safeNext(r.FormValue("next")), NoPass: h == ""}
	d.CanSetUp = d.NoPass && web.ClientAddr(r).IsLoopback()
	c.rd.Render(w, r, web.View{Page: "login", Status: status, Errors: errs, Data: d})
}

// safeNext keeps a post-login destination only if it is a path of this
// console: never another site (an open redirect).
func safeNext(s string) string {
	if u, err := url.Parse(s); err != nil || s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || u.Host != "" {
		return "/"
	}
	return s
}

// checkLogin runs the throttle and the password check and opens a
// session; the page and the API answer its outcome each in their way.
func (c *Console) checkLogin(r *http.Request, password string) (*web.Session, time.Duration, error) {
	keys := []string{"addr:" + web.ClientAddr(r).String(), "account:" + account}
	if wait := c.throttle.Wait(keys...); wait > 0 {
		return nil, wait, nil
	}
	h, err := c.hash()
	if err != nil {
		return nil, 0, err
	}
	ok := false
	if h != "" {
		if ok, err = web.CheckPassword(h, password); err != nil {
			return nil, 0, err
		}
	}
	if !ok {
		c.throttle.Fail(keys...)
		return nil, 0, nil
	}
	c.throttle.Succeed(keys...)
	sess, err := c.sessions.Create(account, fingerprint(h))
	return sess, 0, err
}

func retryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
}

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	sess, wait, err := c.checkLogin(r, r.PostFormValue("password"))
	loc := c.rd.Localizer(r)
	switch {
	case err != nil:
		c.fail(w, r, err)
	case wait > 0:
		retryAfter(w, wait)
		c.loginPage(w, r, http.StatusTooManyRequests, web.FieldErrors{{Field: "password",
			Error: loc.T("login.throttled", loc.Duration(wait.Truncate(time.Minute)+time.Minute))}})
	case sess == nil:
		c.loginPage(w, r, http.StatusUnauthorized, web.FieldErrors{{Field: "password", Error: loc.T("login.wrong")}})
	default:
		c.sessions.SetCookie(w, r, sess)
		http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	}
}

// setupPost sets the first password, from the machine itself only and
// only while none is set (DESIGN.md: `amane password`, or the first visit
// from the machine itself). A LAN visitor cannot claim the console.
func (c *Console) setupPost(w http.ResponseWriter, r *http.Request) {
	if h, err := c.hash(); err != nil || h != "" || !web.ClientAddr(r).IsLoopback() {
		http.Error(w, c.rd.Localizer(r).T("error.forbidden"), http.StatusForbidden)
		return
	}
	pw := r.PostFormValue("new_password")
	var err error
	switch {
	case pw != r.PostFormValue("confirm"):
		err = fielderr.New("confirm", "%s", c.rd.Localizer(r).T("setup.mismatch"))
	case checkNewPassword(pw) != nil:
		err = fielderr.New("new_password", "%s", c.rd.Localizer(r).T("setup.too_short", MinPassword))
	case c.pwPath != "":
		err = SetPassword(c.pwPath, pw)
	default:
		var h string
		if h, err = web.HashPassword(pw); err == nil {
			c.mu.Lock()
			c.memHash = h
			c.mu.Unlock()
		}
	}
	if err != nil {
		c.loginPage(w, r, http.StatusUnprocessableEntity, web.Fields(err))
		return
	}
	c.opts.Log.Info("console password set from the machine itself")
	if sess, _, err := c.checkLogin(r, pw); err == nil && sess != nil { // and sign in with it
		c.sessions.SetCookie(w, r, sess)
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if sess := web.SessionFrom(r.Context()); sess != nil {
		c.sessions.Delete(sess.ID)
	}
	c.sessions.ClearCookie(w, r)
	if web.IsAPI(r) {
		web.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	}
	http.Redirect(w, r, c.router.URL("login"), http.StatusSeeOther)
}

func (c *Console) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password string `json:"password"`
	}
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteJSONError(w, http.StatusBadRequest, err)
		return
	}
	sess, wait, err := c.checkLogin(r, req.Password)
	switch {
	case err != nil:
		web.WriteJSONError(w, http.StatusInternalServerError, err)
	case wait > 0:
		retryAfter(w, wait)
		web.WriteJSONError(w, http.StatusTooManyRequests, fielderr.New("password", "too many attempts: try again in %s", wait.Round(time.Second)))
	case sess == nil:
		web.WriteJSONError(w, http.StatusUnauthorized, fielderr.New("password", "wrong password"))
	default:
		c.sessions.SetCookie(w, r, sess)
		web.WriteJSON(w, http.StatusOK, map[string]string{"csrf": sess.CSRF})
	}
}

func (c *Console) apiSession(w http.ResponseWriter, r *http.Request) {
	sess := web.SessionFrom(r.Context())
	web.WriteJSON(w, http.StatusOK, map[string]any{"csrf": sess.CSRF, "expires": sess.Expires})
}

// fail answers an unexpected error: logged, and a plain 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.opts.Log.Error("console", "path", r.URL.Path, "err", err)
	if web.IsAPI(r) {
		web.WriteJSONError(w, http.StatusInternalServerError, errors.New("internal error"))
		return
	}
	http.Error(w, c.rd.Localizer(r).T("error.internal"), http.StatusInternalServerError)
}
