package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

const (
	testHost     = "amane.lan"
	testPassword = "correct horse battery"
	// tablet is a device the leases know and no one has named yet.
	tabletIP  = "192.168.1.23"
	tabletMAC = "a4:83:e7:12:34:56"
)

// testConsole is a console over a real appliance, its configuration in
// files as an installed one has them: amane.toml (hand-written: a
// profile "yasmine", a list of games), a leases file with two devices,
// and the state directory where console.toml and the password go.
type testConsole struct {
	*Console
	app  *appliance.Appliance
	path string // amane.toml
	dir  string
	// now is the appliance's clock: the console's goroutines read it while
	// a test moves it, so it is atomic.
	now atomic.Pointer[time.Time]

	closeApp func()
}

const testTOML = `state_dir = "DIR/state"
timezone = "UTC"
[server]
listen = ["127.0.0.1:0"]
allow = ["127.0.0.0/8", "192.168.1.0/24", "192.0.2.0/24"] # 192.0.2.1: httptest.NewRequest's client
[upstream]
servers = ["udp://127.0.0.1:9"]
[catalog]
enabled = false
[identify]
leases = ["DIR/leases"]
[[list]]
name = "games"
category = "games"
path = "DIR/games.txt"
[[profile]]
name = "yasmine"
preset = "9-12"
[[profile.budget]]
categories = ["games"]
minutes = 60
[[device]]
name = "yasmine-phone"
ip = "192.168.1.30"
profile = "yasmine"
`

func newTestConsole(t testing.TB) *testConsole {
	t.Helper()
	return newTestConsoleAt(t, time.Date(2026, 12, 7, 19, 30, 0, 0, time.UTC)) // a Monday evening
}

// newTestConsoleAt is newTestConsole with its clock at now: set before
// the appliance starts, since its goroutines read it.
func newTestConsoleAt(t testing.TB, now time.Time) *testConsole {
	t.Helper()
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("amane.toml", strings.ReplaceAll(testTOML, "DIR", dir))
	write("games.txt", "game.example\nfortnite.example\n")
	write("leases", "1900000000 "+tabletMAC+" "+tabletIP+" kids-tablet *\n1900000000 aa:bb:cc:dd:ee:01 192.168.1.30 yasmine-phone *\n1900000000 3c:22:fb:aa:bb:cc 192.168.1.40 salon-laptop *\n")
	if err := SetPassword(PasswordPath(filepath.Join(dir, "state")), testPassword); err != nil {
		t.Fatal(err)
	}
	tc := &testConsole{path: filepath.Join(dir, "amane.toml"), dir: dir}
	tc.setNow(now)
	tc.start(t)
	return tc
}

// start (re)starts the appliance and its console on the files, as a
// restart of amane serve does.
func (tc *testConsole) start(t testing.TB) {
	t.Helper()
	cfg, err := configs.Load(tc.path)
	if err != nil {
		t.Fatal(err)
	}
	tc.app, err = appliance.New(cfg, appliance.Options{Now: tc.clock})
	if err != nil {
		t.Fatal(err)
	}
	tc.app.Start()
	closeApp := sync.OnceFunc(tc.app.Close) // restart closes it first
	tc.closeApp = closeApp
	t.Cleanup(closeApp)
	tc.Console, err = New(tc.app, []string{"192.168.1.2:80"}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.Console.Check(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Console.Close)
}

// restart closes the appliance and starts another on the same files.
func (tc *testConsole) restart(t testing.TB) {
	t.Helper()
	tc.Console.Close()
	tc.closeApp()
	tc.start(t)
}

// decide is the DNS decision the appliance makes now for a query of name
// from addr.
func (tc *testConsole) decide(addr, name string) policy.Decision {
	return tc.app.Policy().Decide(policy.Client{Addr: netip.MustParseAddr(addr)}, name, dns.TypeA, tc.clock())
}

// session opens a session as the login does and returns its cookie.
func (tc *testConsole) session(t testing.TB) (*http.Cookie, *web.Session) {
	t.Helper()
	h, err := tc.hash()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tc.sessions.Create(account, fingerprint(h))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "amane_session", Value: sess.ID}, sess
}

// req sends a request as a browser on the LAN would: Host the console's,
// a same-origin state change, from a LAN address.
func (tc *testConsole) req(method, target string, body io.Reader, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	r.Host = testHost
	r.RemoteAddr = "192.168.1.50:40000"
	if method == http.MethodPost {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, m := range mod {
		m(r)
	}
	w := httptest.NewRecorder()
	tc.Handler().ServeHTTP(w, r)
	return w
}

// form posts values with the session's cookie and CSRF token.
func (tc *testConsole) form(t testing.TB, cookie *http.Cookie, sess *web.Session, target string, v url.Values) *httptest.ResponseRecorder {
	t.Helper()
	v.Set(web.CSRFField, sess.CSRF)
	return tc.req(http.MethodPost, target, strings.NewReader(v.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
	})
}

// api calls the JSON API with the session's cookie and CSRF token and
// decodes the answer into out (if not nil).
func (tc *testConsole) api(t testing.TB, cookie *http.Cookie, sess *web.Session, method, target, body string, out any) int {
	t.Helper()
	w := tc.req(method, target, strings.NewReader(body), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if sess != nil {
			r.Header.Set(web.CSRFHeader, sess.CSRF)
		}
	})
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v in %q", method, target, err, w.Body.String())
		}
	}
	return w.Code
}

// get fetches a page with the session's cookie in lang.
func (tc *testConsole) get(cookie *http.Cookie, target, lang string) *httptest.ResponseRecorder {
	return tc.req(http.MethodGet, target, nil, func(r *http.Request) {
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if lang != "" {
			r.Header.Set("Accept-Language", lang)
		}
	})
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// clock is what the appliance reads as now.
func (tc *testConsole) clock() time.Time { return *tc.now.Load() }

// setNow moves the appliance's clock.
func (tc *testConsole) setNow(t time.Time) { tc.now.Store(&t) }
