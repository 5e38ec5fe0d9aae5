package web_test

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/internal/web/webtest"
)

func (s *sample) do(method, target string, body io.Reader, cookie *http.Cookie, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://"+sampleHost+target, body)
	if method == http.MethodPost && hdr["Content-Type"] == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

func TestEveryPrivateRouteRefusesARequestWithoutASession(t *testing.T) {
	s := newSample(t)
	webtest.RequireSessionEverywhere(t, s.handler, s.router.Routes(), sampleHost, "amane_session")
}

func TestTheLayoutInEachLanguage(t *testing.T) {
	s := newSample(t)
	cookie, sess := s.login(t)
	scripts := regexp.MustCompile(`<script[^>]*>`)
	for _, tt := range []struct {
		lang, dir string
		texts     []string
	}{
		{"en", "ltr", []string{"Skip to content", "Bedtime until tomorrow 07:00", "2 devices", "12 blocked attempts today", "55 min of 1 h"}},
		{"fr", "ltr", []string{"Aller au contenu", "Heure du coucher jusqu&#39;à demain 07:00", "1 appareil", "0 tentative bloquée aujourd&#39;hui"}},
		{"ar", "rtl", []string{"انتقل إلى المحتوى", "وقت النوم حتى غدًا 07:00", "جهازان", "محاولتان محظورتان اليوم", "ساعتان من ساعتان"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			w := s.do("GET", "/?lang="+tt.lang, nil, cookie, nil)
			body := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("GET / = %d: %s", w.Code, body)
			}
			want := append([]string{
				`<html lang="` + tt.lang + `" dir="` + tt.dir + `">`,
				`<a class="skip" href="#main">`, `<main id="main"`,
				`data-csrf="` + sess.CSRF + `"`,
				`href="/" aria-current="page"`,
				`<input type="hidden" name="csrf" value="` + sess.CSRF + `">`,
			}, tt.texts...)
			if m := hasAll(body, want...); len(m) > 0 {
				t.Errorf("the page lacks %q", m)
			}
			for _, tag := range scripts.FindAllString(body, -1) {
				if !strings.Contains(tag, `src="/static/`) {
					t.Errorf("inline script: %s", tag)
				}
			}
			if strings.Contains(body, "style=") || strings.Contains(body, "<style") {
				t.Error("inline style: the CSP forbids it")
			}
			if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != web.LangCookie || c[0].Value != tt.lang {
				t.Errorf("?lang= did not remember the choice: cookies %v", c)
			}
		})
	}
}

func TestTheLoginPageHasNoMenuAndNoToken(t *testing.T) {
	s := newSample(t)
	w := s.do("GET", "/login", nil, nil, map[string]string{"Accept-Language": "ar-MA"})
	body := w.Body.String()
	if m := hasAll(body, `dir="rtl"`, `<label for="f-password">كلمة المرور</label>`, `autocomplete="current-password"`); len(m) > 0 {
		t.Errorf("login page lacks %q", m)
	}
	if strings.Contains(body, "data-csrf") || strings.Contains(body, `class="menu"`) {
		t.Error("the login page shows the menu or a token to a visitor without a session")
	}
}

func TestAFieldErrorShowsNextToItsFieldAndInTheAPI(t *testing.T) {
	s := newSample(t)
	cookie, sess := s.login(t)
	w := s.do("POST", "/pause/adam", strings.NewReader("csrf="+sess.CSRF+"&minutes=soon"), cookie, nil)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad minutes: %d, want 422", w.Code)
	}
	if m := hasAll(w.Body.String(), `aria-invalid="true" aria-describedby="f-minutes-error"`,
		`<p class="field-error" id="f-minutes-error"><bdi>&#34;soon&#34; is not a number of minutes from 1 to 1440</bdi></p>`,
		`<a href="#f-minutes">`); len(m) > 0 {
		t.Errorf("the page lacks %q", m)
	}

	w = s.do("POST", "/api/v1/pause", strings.NewReader(`{"target": "", "minutes": "0"}`), cookie,
		map[string]string{"Content-Type": "application/json", web.CSRFHeader: sess.CSRF})
	var got struct {
		Field, Error string
		Errors       []web.FieldError
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("API: %d %s (%v)", w.Code, w.Body, err)
	}
	if got.Field != "target" || got.Error != "name a device or a profile" || len(got.Errors) != 2 || got.Errors[1].Field != "minutes" {
		t.Errorf("API answered %s", w.Body)
	}
}

func TestCSRF(t *testing.T) {
	s := newSample(t)
	cookie, sess := s.login(t)
	form := func(tok string) io.Reader {
		return strings.NewReader(url.Values{"csrf": {tok}, "minutes": {"30"}}.Encode())
	}
	for _, tt := range []struct {
		name string
		body io.Reader
		hdr  map[string]string
		want int
	}{
		{"a form with the session's token passes", form(sess.CSRF), nil, http.StatusSeeOther},
		{"a form without a token is refused", form(""), nil, http.StatusForbidden},
		{"another session's token is refused", form("AAAA" + sess.CSRF[4:]), nil, http.StatusForbidden},
		{"a post from another site is refused even with the token", form(sess.CSRF), map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"an Origin that is not the Host is refused", form(sess.CSRF), map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"the same Origin passes", form(sess.CSRF), map[string]string{"Origin": "http://" + sampleHost}, http.StatusSeeOther},
		{"the API's header carries the token", strings.NewReader(`{"target":"adam","minutes":"30"}`),
			map[string]string{"Content-Type": "application/json", web.CSRFHeader: sess.CSRF}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := "/pause/adam"
			if tt.hdr["Content-Type"] == "application/json" {
				target = "/api/v1/pause"
			}
			if w := s.do("POST", target, tt.body, cookie, tt.hdr); w.Code != tt.want {
				t.Errorf("got %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestTheHostCheckDefeatsDNSRebinding(t *testing.T) {
	s := newSample(t)
	for _, tt := range []struct {
		host string
		ok   bool
	}{
		{sampleHost, true}, {"AMANE.LAN.", true}, {"127.0.0.1:8080", true}, {"[::1]:80", true},
		{"evil.example", false}, {"amane.lan.evil.example", false}, {"192.168.1.2", false}, {"", false},
	} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		if got := !strings.HasPrefix(w.Body.String(), "blocked:"); got != tt.ok {
			t.Errorf("Host %q: served the console %v, want %v (%d)", tt.host, got, tt.ok, w.Code)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "evil.example"
	web.NewHostCheck([]string{"amane.lan"}, nil).Wrap(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != http.StatusMisdirectedRequest {
		t.Errorf("no fallback: %d, want 421", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newSample(t)
	h := s.do("GET", "/login", nil, nil, nil).Header()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows something unsafe: %s", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
}

func TestSessions(t *testing.T) {
	s := newSample(t)
	w := s.do("POST", "/login", strings.NewReader("password=correct+horse"), nil, nil)
	cookies := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login: %d, cookies %v", w.Code, cookies)
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || len(c.Value) < 43 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, 32 random bytes", c)
	}
	if got := s.do("GET", "/", nil, c, nil).Code; got != 200 {
		t.Errorf("with the session: %d", got)
	}

	t.Run("the cookie is Secure over TLS", func(t *testing.T) {
		r := httptest.NewRequest("POST", "https://"+sampleHost+"/", nil)
		w := httptest.NewRecorder()
		sess, _ := s.sessions.Create("parent", "parent")
		s.sessions.SetCookie(w, r, sess)
		if !w.Result().Cookies()[0].Secure {
			t.Error("not Secure")
		}
	})
	t.Run("a session expires", func(t *testing.T) {
		s.clock = s.clock.Add(7*24*time.Hour + time.Second)
		defer func() { s.clock = s.clock.Add(-7*24*time.Hour - time.Second) }()
		if got := s.do("GET", "/", nil, c, nil).Code; got != http.StatusSeeOther {
			t.Errorf("a week later: %d, want 303 to login", got)
		}
		if n, err := s.sessions.Prune(); err != nil || n < 1 {
			t.Errorf("Prune = %d, %v", n, err)
		}
	})
	t.Run("logout ends it", func(t *testing.T) {
		c2, sess := s.login(t)
		if w := s.do("POST", "/logout", strings.NewReader("csrf="+sess.CSRF), c2, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("logout: %d", w.Code)
		}
		if got, _ := s.sessions.Lookup(sess.ID); got != nil {
			t.Error("the session outlived the logout")
		}
	})
	t.Run("ending an account's sessions", func(t *testing.T) {
		c3, _ := s.login(t)
		if err := s.sessions.DeleteAccount("parent"); err != nil {
			t.Fatal(err)
		}
		if got := s.do("GET", "/", nil, c3, nil).Code; got != http.StatusSeeOther {
			t.Errorf("after DeleteAccount: %d", got)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	s := newSample(t)
	post := func(addr, pw string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "http://"+sampleHost+"/login", strings.NewReader("password="+pw))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		return w
	}
	for i := range 5 {
		if w := post("192.168.1.50:4000", "guess"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, w.Code)
		}
	}
	// The sixth failure starts the waits.
	post("192.168.1.50:4000", "guess")
	w := post("192.168.1.50:4000", "correct+horse")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("after 6 failures: %d Retry-After %q, want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := post("192.168.1.51:4000", "correct+horse"); w.Code != http.StatusTooManyRequests {
		t.Errorf("another address on the same account: %d, want 429", w.Code)
	}
	s.clock = s.clock.Add(time.Second)
	if w := post("192.168.1.50:4000", "correct+horse"); w.Code != http.StatusSeeOther {
		t.Errorf("after the wait, the right password: %d", w.Code)
	}
	if d := s.throttle.Wait("addr:192.168.1.50"); d != 0 {
		t.Errorf("a success left a wait of %v", d)
	}
}

func TestThrottleWaitsDoubleUpToTheMax(t *testing.T) {
	now := time.Unix(0, 0)
	th := web.NewThrottle(web.ThrottleConfig{Free: 2, Base: time.Second, Max: 5 * time.Second, Now: func() time.Time { return now }})
	var waits []time.Duration
	for range 7 {
		th.Fail("k")
		waits = append(waits, th.Wait("k"))
	}
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestPasswords(t *testing.T) {
	h1, err := web.HashPassword("كلمة سر طويلة جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := web.HashPassword("كلمة سر طويلة جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا")
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hashes %q and %q: want salted argon2id PHC strings", h1, h2)
	}
	if ok, err := web.CheckPassword(h1, "كلمة سر طويلة جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا"); !ok || err != nil {
		t.Errorf("the right password: %v, %v", ok, err)
	}
	if ok, _ := web.CheckPassword(h1, "كلمة سر طويلة جدا جدا جدا جدا جدا جدا جدا جدا جدا جدً"); ok {
		t.Error("a password differing past byte 72 matched (bcrypt's truncation)")
	}
	if _, err := web.CheckPassword("$2a$10$abc", "x"); err == nil {
		t.Error("a bcrypt hash was not told as malformed")
	}
	if _, err := web.HashPassword(""); err == nil {
		t.Error("an empty password was hashed")
	}
}

func TestSessionIDsAreHashedAtRest(t *testing.T) {
	s := newSample(t)
	_, sess := s.login(t)
	file, err := os.ReadFile(s.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(sess.ID))
	if strings.Contains(string(file), sess.ID) || !strings.Contains(string(file), string(sum[:])) {
		t.Error("the state file holds the raw session id, or not its hash")
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "amane_session", Value: sess.ID})
	got, err := s.sessions.FromRequest(r)
	if err != nil || got == nil || got.CSRF != sess.CSRF {
		t.Fatalf("FromRequest = %v, %v", got, err)
	}
	other := "B"
	if sess.ID[0] == 'B' {
		other = "C"
	}
	if got, _ := s.sessions.Lookup(other + sess.ID[1:]); got != nil {
		t.Error("a neighbouring id opened the session")
	}
}

func TestAssetsAreServedUnderTheirHash(t *testing.T) {
	s := newSample(t)
	a, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	u := a.URL("web.css")
	if !regexp.MustCompile(`^/static/[0-9a-f]{12}/web\.css$`).MatchString(u) {
		t.Fatalf("URL = %q", u)
	}
	w := s.do("GET", u, nil, nil, map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		w.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s: %d %v", u, w.Code, w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(zr)
	orig, _ := os.ReadFile("static/web.css")
	if string(css) != string(orig) {
		t.Error("the gzipped stylesheet is not the file")
	}
	if got := s.do("GET", "/static/000000000000/web.css", nil, nil, nil).Code; got != 404 {
		t.Errorf("a stale hash: %d, want 404", got)
	}
	total := 0
	for _, n := range []string{"web.css", "web.js"} {
		sz, _ := a.Size(n)
		total += sz
	}
	if total > 60<<10 {
		t.Errorf("shared CSS and JS weigh %d bytes compressed, over the 60 KB a page may weigh", total)
	}
	t.Logf("web.css + web.js: %d bytes compressed", total)
}

func TestAssetsCompressOnFirstUseOnceForConcurrentRequests(t *testing.T) {
	a, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile("static/web.css")
	if err != nil {
		t.Fatal(err)
	}
	u := a.URL("web.css")
	bodies := make([][]byte, 8)
	done := make(chan int)
	for i := range bodies {
		go func() {
			r := httptest.NewRequest("GET", u, nil)
			r.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Header().Get("Content-Encoding") == "gzip" {
				bodies[i] = w.Body.Bytes()
			}
			done <- i
		}()
	}
	for range bodies {
		<-done
	}
	for i, b := range bodies {
		if b == nil {
			t.Fatalf("request %d was not served gzipped", i)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if css, _ := io.ReadAll(zr); string(css) != string(orig) {
			t.Fatalf("request %d: the gzipped body is not the file", i)
		}
	}
	plain := httptest.NewRecorder()
	a.ServeHTTP(plain, httptest.NewRequest("GET", u, nil))
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.String() != string(orig) {
		t.Errorf("without Accept-Encoding: %v, %d bytes; want the file as it is", plain.Header(), plain.Body.Len())
	}
}

func TestAssetsHaveAKnownContentType(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"app.css", "text/css; charset=utf-8"},
		{"app.js", "text/javascript; charset=utf-8"},
		{"logo.svg", "image/svg+xml"},
	} {
		a, err := web.NewAssets(fstest.MapFS{tc.file: {Data: []byte("x")}})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("GET", a.URL(tc.file), nil))
		if got := w.Header().Get("Content-Type"); got != tc.want {
			t.Errorf("%s: Content-Type %q, want %q", tc.file, got, tc.want)
		}
	}
	if _, err := web.NewAssets(fstest.MapFS{"setup.exe": {Data: []byte("MZ")}}); err == nil || !strings.Contains(err.Error(), "setup.exe") {
		t.Errorf("an asset of unknown type: err = %v, want one naming it", err)
	}
}

// physical finds a CSS declaration that names a side of the screen
// rather than of the text: it does not mirror in Arabic.
var physical = regexp.MustCompile(`(?i)(^|[\s;{])((margin|padding|border|scroll-margin|scroll-padding)-(left|right)[\w-]*|left|right)\s*:` +
	`|\b(border-(top|bottom)-(left|right)-radius)\s*:|:\s*(left|right)\b`)

func TestThePhysicalPropertyCheckCatchesThem(t *testing.T) {
	for _, bad := range []string{"margin-left: 1rem;", "{padding-right:0}", "  left: 0;", "float: right;", "text-align: left;", "border-top-left-radius: 2px;"} {
		if physical.FindString(bad) == "" {
			t.Errorf("%q was not caught", bad)
		}
	}
	for _, good := range []string{"margin-inline-start: 1rem;", "inset-inline-end: 0;", "text-align: start;", "border-start-start-radius: 2px;", "padding-block: 0;"} {
		if m := physical.FindString(good); m != "" {
			t.Errorf("%q was caught as %q", good, m)
		}
	}
}

func TestTheStylesheetUsesLogicalPropertiesOnly(t *testing.T) {
	css, err := os.ReadFile("static/web.css")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(css), "\n") {
		code, _, _ := strings.Cut(line, "/*")
		if m := physical.FindString(code); m != "" {
			t.Errorf("static/web.css:%d: %q is physical: use margin-inline-start, inset-inline-end, text-align: start", i+1, strings.TrimSpace(m))
		}
	}
}

func TestRouterURL(t *testing.T) {
	s := newSample(t)
	if got := s.router.URL("pause", "target", "aa:bb cc"); got != "/pause/aa:bb%20cc" {
		t.Errorf("URL = %q", got)
	}
	if got := s.router.URL("profiles", "name", "kids"); got != "/profiles/kids" {
		t.Errorf("URL = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a missing parameter did not panic")
		}
	}()
	s.router.URL("pause")
}

func TestFieldsSortsErrorsUnderTheirKeys(t *testing.T) {
	err := errors.Join(
		errors.Join(fielderr.Within("profile[0]", errors.Join(fielderr.New("schedule[1].from", "%q is not a time", "25:00")))...),
		fielderr.New("password", "too short"),
		errors.New("the appliance is reloading"),
	)
	got := web.Fields(err)
	want := web.FieldErrors{
		{Field: "profile[0].schedule[1].from", Error: `"25:00" is not a time`},
		{Field: "password", Error: "too short"},
		{Field: "", Error: "the appliance is reloading"},
	}
	if len(got) != len(want) {
		t.Fatalf("Fields = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Fields[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if got.For("password") != "too short" || got.For("nothing") != "" {
		t.Errorf("For: %q %q", got.For("password"), got.For("nothing"))
	}
	b, _ := json.Marshal(fielderr.New("profile.schedule[0].from", "must be before %s", "to"))
	if string(b) != `{"field":"profile.schedule[0].from","error":"must be before to"}` {
		t.Errorf("a fielderr.Error marshals as %s", b)
	}
	if web.FieldID("profile.schedule[0].from") != "f-profile-schedule-0-from" {
		t.Errorf("FieldID = %q", web.FieldID("profile.schedule[0].from"))
	}
}

func TestAPageWithoutConsoleSetsNoCookie(t *testing.T) {
	cats, _ := web.NewCatalogs()
	assets, _ := web.NewAssets()
	rd, err := web.NewRenderer(web.RendererConfig{
		Catalogs: cats, Assets: assets,
		Pages: fstest.MapFS{"block.html": {Data: []byte(`{{ define "title" }}{{ t "state.blocked" }}{{ end }}{{ define "content" }}<h1>{{ t "state.blocked" }}</h1>{{ end }}`)}},
		URL:   func(name string, _ ...string) string { panic("no routes on the block page: " + name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	rd.Render(w, httptest.NewRequest("GET", "http://blocked.example/?lang=ar", nil), web.View{Page: "block", Status: http.StatusForbidden})
	if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
		t.Fatalf("%d, cookies %v: want 403 and none", w.Code, w.Result().Cookies())
	}
	if m := hasAll(w.Body.String(), `<html lang="ar" dir="rtl">`, `<span class="brand">أمان</span>`, `<h1>محظور</h1>`); len(m) > 0 {
		t.Errorf("the page lacks %q:\n%s", m, w.Body)
	}
}

func TestABrokenPageIsFoundByCheckAndIsAnErrorPageWhenVisited(t *testing.T) {
	good := `{{ define "title" }}ok{{ end }}{{ define "content" }}<p>{{ t "state.blocked" }}</p>{{ end }}`
	for _, tc := range []struct {
		name, page string
		want       string // in Check's error and in the log of a visit
	}{
		{"a page that does not parse", `{{ define "title" }}x{{ end }}{{ define "content" }}{{ if }}{{ end }}`, "broken.html"},
		{"a page html/template cannot escape", `{{ define "title" }}x{{ end }}{{ define "content" }}<a href="{{ if .Data }}x"{{ end }}>{{ end }}`, "broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cats, _ := web.NewCatalogs()
			assets, _ := web.NewAssets()
			var logged strings.Builder
			rd, err := web.NewRenderer(web.RendererConfig{
				Catalogs: cats, Assets: assets,
				Pages: fstest.MapFS{"good.html": {Data: []byte(good)}, "broken.html": {Data: []byte(tc.page)}},
				URL:   func(string, ...string) string { return "/" },
				Log:   slog.New(slog.NewTextHandler(&logged, nil)),
			})
			if err != nil {
				t.Fatalf("NewRenderer: %v; a page is parsed at its first use, or by Check", err)
			}
			err = rd.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an error naming %q", err, tc.want)
			}
			w := httptest.NewRecorder()
			rd.Render(w, httptest.NewRequest("GET", "http://amane/?lang=fr", nil), web.View{Page: "broken"})
			if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "<a") {
				t.Errorf("visiting the broken page: %d %q, want a 500 and no part of the page", w.Code, w.Body)
			}
			if !strings.Contains(logged.String(), "rendering a page") || !strings.Contains(logged.String(), tc.want) {
				t.Errorf("the log does not say what failed: %q", logged.String())
			}
		})
	}
}

func TestCheckPassesGoodPagesAndRenderingNeedsNoCheck(t *testing.T) {
	cats, _ := web.NewCatalogs()
	assets, _ := web.NewAssets()
	cfg := web.RendererConfig{
		Catalogs: cats, Assets: assets,
		Pages: fstest.MapFS{"block.html": {Data: []byte(`{{ define "title" }}t{{ end }}{{ define "content" }}<h1>{{ t "state.blocked" }}</h1>{{ end }}`)}},
		URL:   func(string, ...string) string { return "/" },
	}
	checked, err := web.NewRenderer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := checked.Check(); err != nil {
		t.Fatalf("Check = %v on a good page", err)
	}
	unchecked, err := web.NewRenderer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range []*web.Renderer{checked, unchecked} {
		w := httptest.NewRecorder()
		rd.Render(w, httptest.NewRequest("GET", "http://amane/?lang=fr", nil), web.View{Page: "block"})
		if w.Code != 200 || !strings.Contains(w.Body.String(), `<h1>Bloqué</h1>`) {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRenderHome measures the server time of the sample's home page,
// the shape of the parents' console's (issue 11: at most 5 ms a page).
func BenchmarkRenderHome(b *testing.B) {
	s := newSample(b)
	cookie, _ := s.login(b)
	r := httptest.NewRequest("GET", "http://"+sampleHost+"/?lang=ar", nil)
	r.AddCookie(cookie)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// recorder is a testing.TB that keeps the failures it is told.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recorder) Helper()           {}

func TestTheRouteWalkCatchesAnUnguardedRoute(t *testing.T) {
	rt := web.NewRouter()
	forgot := func(next http.Handler) http.Handler { return next } // "authorization" that checks nothing
	g := rt.Private(forgot)
	g.HandleFunc("devices", "GET /devices", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("all the devices")) })
	g.HandleFunc("api_pause", "POST /api/v1/pause", func(w http.ResponseWriter, r *http.Request) {})
	rec := &recorder{TB: t}
	webtest.RequireSessionEverywhere(rec, rt, rt.Routes(), sampleHost, "amane_session")
	if len(rec.failures) != 4 { // two routes, each without a cookie and with a forged one
		t.Errorf("the walk told %d failures, want 4: %q", len(rec.failures), rec.failures)
	}
	rec = &recorder{TB: t}
	webtest.RequireSessionEverywhere(rec, web.NewRouter(), nil, sampleHost, "amane_session")
	if len(rec.failures) != 1 {
		t.Errorf("a console with no private route passed the walk")
	}
}
