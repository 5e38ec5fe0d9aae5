// Package webtest holds the test helpers of the consoles built on
// internal/web: RequireSessionEverywhere walks every registered route and
// proves it refuses a request that has no session. It is imported by
// tests only.
package webtest

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/amane-dns/amane/internal/web"
)

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// RequireSessionEverywhere sends every route of routes that is not Public
// to h, as host, twice (without a cookie, and with cookie set to a session
// id that does not exist) and fails t unless each is refused as
// Sessions.Require refuses: 401 for an API call, 303 to the login page for
// a page. A pattern without a method is tried with GET and POST. State
// changes carry Sec-Fetch-Site: same-origin, so that the CSRF check lets
// them through and the refusal seen is the session's. It fails, too, when
// no route is private: a console with nothing to protect is a mistake.
func RequireSessionEverywhere(t testing.TB, h http.Handler, routes []web.Route, host, cookie string) {
	t.Helper()
	private := 0
	for _, rt := range routes {
		if rt.Public {
			continue
		}
		private++
		methods := []string{}
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			methods, path = []string{http.MethodGet, http.MethodPost}, rt.Pattern
		} else {
			methods = append(methods, method)
		}
		if i := strings.Index(path, "/"); i > 0 {
			host, path = path[:i], path[i:]
		}
		path = strings.ReplaceAll(path, "{$}", "")
		path = wildcard.ReplaceAllString(path, "x")
		for _, m := range methods {
			for _, forged := range []bool{false, true} {
				r := httptest.NewRequest(m, "http://"+host+path, strings.NewReader("{}"))
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				if forged {
					r.AddCookie(&http.Cookie{Name: cookie, Value: "forged-session-id"})
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if !refused(w, path) {
					t.Errorf("%s %s (route %q, forged cookie %v) answered %d without a session; want 401 or 303 to the login page",
						m, path, rt.Name, forged, w.Code)
				}
			}
		}
	}
	if private == 0 {
		t.Error("no private route: every route is served without a session")
	}
}

func refused(w *httptest.ResponseRecorder, path string) bool {
	if strings.HasPrefix(path, "/api/") {
		return w.Code == http.StatusUnauthorized
	}
	return w.Code == http.StatusSeeOther && strings.Contains(w.Header().Get("Location"), "next=")
}
