package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/amane-dns/amane/internal/web/webtest"
)

func TestEveryRouteButLoginNeedsASession(t *testing.T) {
	tc := newTestConsole(t)
	webtest.RequireSessionEverywhere(t, tc.Handler(), tc.Routes(), testHost, "amane_session")
	public := map[string]bool{}
	for _, r := range tc.Routes() {
		if r.Public {
			public[r.Pattern] = true
		}
	}
	want := []string{"GET /static/", "GET /login", "POST /login", "POST /setup", "POST /api/v1/login", "GET /metrics"}
	if len(public) != len(want) {
		t.Errorf("public routes: %v, want only %v", public, want)
	}
	for _, p := range want {
		if !public[p] {
			t.Errorf("%s is not public", p)
		}
	}
}

func TestOnlyTheConsolesOwnNamesAreServed(t *testing.T) {
	tc := newTestConsole(t)
	for _, tt := range []struct {
		host string
		want int
	}{
		{"amane.lan", http.StatusOK},
		{"192.168.1.2", http.StatusOK},
		{"192.168.1.2:80", http.StatusOK},
		{"127.0.0.1:8080", http.StatusOK},
		{"evil.example", http.StatusForbidden}, // a blocked name, or a DNS-rebinding page: the block page
		{"192.168.1.99", http.StatusForbidden},
		{"", http.StatusForbidden},
	} {
		t.Run(tt.host, func(t *testing.T) {
			w := tc.req(http.MethodGet, "/login", nil, func(r *http.Request) { r.Host = tt.host })
			if w.Code != tt.want {
				t.Errorf("Host %q: %d, want %d", tt.host, w.Code, tt.want)
			}
			if blocked := strings.Contains(w.Body.String(), `id="blocked-heading"`); blocked != (tt.want == http.StatusForbidden) {
				t.Errorf("Host %q: block page %v, want %v", tt.host, blocked, tt.want == http.StatusForbidden)
			}
			if tt.want == http.StatusForbidden && (strings.Contains(w.Body.String(), `name="password"`) || len(w.Result().Cookies()) > 0) {
				t.Errorf("Host %q got the console's login or a cookie", tt.host)
			}
		})
	}
}

func TestPagesCarryTheSecurityHeaders(t *testing.T) {
	tc := newTestConsole(t)
	w := tc.get(nil, "/login", "")
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if w.Header().Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", csp)
	}
}

func TestLoginSetsAStrictCookieAndLogoutEndsIt(t *testing.T) {
	tc := newTestConsole(t)
	w := tc.req(http.MethodPost, "/login", strings.NewReader(url.Values{"password": {testPassword}, "next": {"/devices"}}.Encode()),
		func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") })
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/devices" {
		t.Fatalf("login: %d to %q", w.Code, w.Header().Get("Location"))
	}
	c := w.Result().Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", c)
	}
	if got := tc.get(c[0], "/devices", "").Code; got != http.StatusOK {
		t.Fatalf("devices with the cookie: %d", got)
	}
	sess, _ := tc.sessions.Lookup(c[0].Value)
	if w := tc.form(t, c[0], sess, "/logout", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	if got := tc.get(c[0], "/devices", "").Code; got != http.StatusSeeOther {
		t.Fatalf("devices after logout: %d, want a redirect to the login", got)
	}
}

func TestLoginDoesNotRedirectElsewhere(t *testing.T) {
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "evil"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("next %q → %q", next, got)
		}
	}
}

func TestPasswordGuessesAreThrottled(t *testing.T) {
	tc := newTestConsole(t)
	codes := map[int]int{}
	var last *http.Response
	for range 12 {
		w := tc.req(http.MethodPost, "/login", strings.NewReader("password=guess"),
			func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") })
		codes[w.Code]++
		last = w.Result()
	}
	if codes[http.StatusTooManyRequests] == 0 || last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("12 wrong passwords: %v, last %d Retry-After %q", codes, last.StatusCode, last.Header.Get("Retry-After"))
	}
	// Throttled, even the right password waits: it is not even checked.
	var out map[string]any
	if code := tc.api(t, nil, nil, http.MethodPost, "/api/v1/login", `{"password": "`+testPassword+`"}`, &out); code != http.StatusTooManyRequests {
		t.Fatalf("the right password while throttled: %d %v", code, out)
	}
}

func TestANewPasswordEndsOlderSessions(t *testing.T) {
	tc := newTestConsole(t)
	cookie, _ := tc.session(t)
	if got := tc.get(cookie, "/", "").Code; got != http.StatusOK {
		t.Fatalf("home: %d", got)
	}
	if err := SetPassword(tc.pwPath, "another pass phrase"); err != nil {
		t.Fatal(err)
	}
	if got := tc.get(cookie, "/", "").Code; got != http.StatusSeeOther {
		t.Fatalf("home with a session of the old password: %d, want a redirect to the login", got)
	}
}

func TestTheFirstPasswordIsChosenOnlyFromTheMachineItself(t *testing.T) {
	tc := newTestConsole(t)
	tc.pwPath = tc.pwPath + ".none" // no password set
	body := url.Values{"new_password": {"a long pass phrase"}, "confirm": {"a long pass phrase"}}.Encode()
	post := func(remote string) int {
		return tc.req(http.MethodPost, "/setup", strings.NewReader(body), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.RemoteAddr = remote
		}).Code
	}
	if got := post("192.168.1.50:4000"); got != http.StatusForbidden {
		t.Fatalf("setup from the LAN: %d", got)
	}
	if got := post("127.0.0.1:4000"); got != http.StatusSeeOther {
		t.Fatalf("setup from the machine: %d", got)
	}
	if got := post("127.0.0.1:4000"); got != http.StatusForbidden {
		t.Fatalf("a second setup: %d, want 403 (the password is set)", got)
	}
}

func TestOnlyTheHomeNetworkIsServed(t *testing.T) {
	tc := newTestConsole(t)
	for _, tt := range []struct {
		remote string
		want   int
	}{
		{"192.168.1.50:4000", http.StatusOK},
		{"127.0.0.1:4000", http.StatusOK},
		{"203.0.113.9:4000", http.StatusForbidden}, // beyond server.allow: the internet
		{"10.0.0.5:4000", http.StatusForbidden},
	} {
		if got := tc.req(http.MethodGet, "/login", nil, func(r *http.Request) { r.RemoteAddr = tt.remote }).Code; got != tt.want {
			t.Errorf("from %s: %d, want %d", tt.remote, got, tt.want)
		}
	}
}

// TestMetricsNeedNoLoginAndNameNoOne: Prometheus scrapes /metrics on the
// console's listener without a session; it names no client.
func TestMetricsNeedNoLoginAndNameNoOne(t *testing.T) {
	tc := newTestConsole(t)
	w := tc.get(nil, "/metrics", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "amane_build_info") {
		t.Fatalf("/metrics: %d\n%s", w.Code, w.Body.String())
	}
	if strings.Contains(w.Body.String(), tabletIP) || strings.Contains(w.Body.String(), "kids-tablet") {
		t.Fatalf("/metrics names a device:\n%s", w.Body.String())
	}
}
