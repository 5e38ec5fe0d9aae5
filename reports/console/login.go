package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

type loginData struct {
	Account string
	Next    string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.page(w, r, web.View{Page: "login", Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// login signs an account in. A wrong account and a wrong password get the
// same answer, after the same work; both count against the address and
// the account name (web.Throttle).
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("account"))
	data := loginData{Account: name, Next: safeNext(r.PostFormValue("next"))}
	keys := []string{"addr:" + web.ClientAddr(r).String(), "account:" + name}
	loc := c.render[reports.RoleOperator].Localizer(r)
	if wait := c.throttle.Wait(keys...); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		c.page(w, r, web.View{Page: "login", Status: http.StatusTooManyRequests, Data: data,
			Errors: web.FieldErrors{{Field: "password", Error: loc.T("login.throttled", loc.Duration(wait.Truncate(time.Minute)+time.Minute))}}})
		return
	}
	a, err := c.o.Store.Account(name)
	hash := a.Hash
	if err != nil {
		hash = c.dummy
	}
	ok, _ := web.CheckPassword(hash, r.PostFormValue("password"))
	if err != nil || !ok {
		c.throttle.Fail(keys...)
		c.page(w, r, web.View{Page: "login", Status: http.StatusUnauthorized, Data: data,
			Errors: web.FieldErrors{{Field: "password", Error: loc.T("console.login_wrong")}}})
		return
	}
	c.throttle.Succeed(keys...)
	sess, err := c.o.Sessions.Create(a.Name, string(a.Role))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.o.Sessions.SetCookie(w, r, sess)
	next := data.Next
	if next == "" {
		next = c.router.URL("queue")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a ?next= that is a path on this console, nothing else:
// a login must not redirect elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.o.Sessions.Delete(web.SessionFrom(r.Context()).ID) //nolint:errcheck // the cookie goes anyway
	c.o.Sessions.ClearCookie(w, r)
	http.Redirect(w, r, c.router.URL("login"), http.StatusSeeOther)
}
