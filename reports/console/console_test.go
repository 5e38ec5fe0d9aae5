package console

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/internal/web/webtest"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/storetest"
)

const testHost = "console.helpline.example"

var t0 = time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)

// fakePublisher is a Publisher of function fields.
type fakePublisher struct {
	published func() (map[string][]string, error)
	publish   func(context.Context) (int64, error)
}

func (f fakePublisher) Published() (map[string][]string, error)    { return f.published() }
func (f fakePublisher) Publish(ctx context.Context) (int64, error) { return f.publish(ctx) }

// fixture is a console on a fresh bbolt store with three reported
// domains and an account of each role.
type fixture struct {
	c        *Console
	store    reports.Store
	sessions *web.Sessions
	feed     map[string][]string // what the fake publisher last published
	version  int64
}

// password is every fixture account's password.
const password = "correct horse battery"

func newFixture(t testing.TB, store reports.Store) *fixture {
	t.Helper()
	return newFixtureAt(t, store, func() time.Time { return t0 })
}

// newFixtureAt is newFixture on the clock now: a browser drops a cookie
// that expired by its own clock, so a browser test needs the real time.
func newFixtureAt(t testing.TB, store reports.Store, now func() time.Time) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "console.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{store: store, feed: map[string][]string{"scam": {"old.example"}}, version: 6}
	if f.sessions, err = web.NewSessions(db, web.SessionConfig{Bucket: "console.sessions", Now: now}); err != nil {
		t.Fatal(err)
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []reports.Account{{Name: "olga", Role: reports.RoleOperator}, {Name: "paul", Role: reports.RolePublisher}, {Name: "ada", Role: reports.RoleAdmin}} {
		a.Hash, a.Created = hash, t0
		if err := store.AddAccount(a, reports.Decision{By: "setup", At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	k := storetest.Key(t)
	b, body, sig := storetest.Batch(t, k,
		storetest.Manual("groomer.example", "cyberviolence", "2026-11-20", "asks children for photos", "9-12"),
		storetest.Manual("groomer.example", "cyberviolence", "2026-11-22", "", "13-17"),
		storetest.Counted(reports.Watch, "shop.example", "scam", "2026-11-21", 7),
		storetest.Manual("old.example", "scam", "2026-10-02", "", ""))
	if _, err := store.Receive(b, body, sig, t0); err != nil {
		t.Fatal(err)
	}
	pub := fakePublisher{
		published: func() (map[string][]string, error) { return f.feed, nil },
		publish: func(context.Context) (int64, error) {
			f.feed, _ = store.Confirmed()
			f.version++
			return f.version, nil
		},
	}
	f.c, err = New(Options{
		Store: store, Sessions: f.sessions, Publisher: pub, Hosts: Config{Listen: "127.0.0.1:0", Hosts: []string{testHost}}.AllowedHosts(),
		Reporter: reports.Reporter{Org: "EMC-Helpline", Contact: "reports@helpline.example", Domain: "helpline.example"},
		Now:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func boltStore(t testing.TB) reports.Store {
	t.Helper()
	s, err := reports.OpenStore(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// as returns a session cookie and CSRF token for account.
func (f *fixture) as(t testing.TB, account string) (*http.Cookie, string) {
	t.Helper()
	a, err := f.store.Account(account)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.sessions.Create(a.Name, string(a.Role))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "amane_session", Value: sess.ID}, sess.CSRF
}

// do sends a request as the holder of cookie and returns the answer.
func (f *fixture) do(t testing.TB, cookie *http.Cookie, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://"+testHost+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	f.c.Handler().ServeHTTP(w, r)
	return w
}

func TestEveryPrivateRouteRequiresASession(t *testing.T) {
	f := newFixture(t, boltStore(t))
	webtest.RequireSessionEverywhere(t, f.c.Handler(), f.c.Routes(), testHost, "amane_session")
}

func TestRolesAreEnforcedByTheirRouteGroup(t *testing.T) {
	f := newFixture(t, boltStore(t))
	for _, tc := range []struct {
		account, method, path string
		want                  int
	}{
		{"olga", "GET", "/", 200},
		{"olga", "GET", "/domains/shop.example", 200},
		{"olga", "GET", "/stats", 200},
		{"olga", "GET", "/exports", 200},
		{"olga", "GET", "/publish", 403},
		{"olga", "POST", "/publish", 403},
		{"olga", "GET", "/accounts", 403},
		{"olga", "POST", "/accounts", 403},
		{"olga", "POST", "/accounts/paul/remove", 403},
		{"paul", "GET", "/publish", 200},
		{"paul", "GET", "/accounts", 403},
		{"paul", "POST", "/accounts/olga/remove", 403},
		{"ada", "GET", "/publish", 200},
		{"ada", "GET", "/accounts", 200},
	} {
		t.Run(tc.account+" "+tc.method+" "+tc.path, func(t *testing.T) {
			cookie, csrf := f.as(t, tc.account)
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{web.CSRFField: {csrf}}
			}
			if w := f.do(t, cookie, tc.method, tc.path, form); w.Code != tc.want {
				t.Errorf("= %d; want %d", w.Code, tc.want)
			}
		})
	}
	if f.version != 6 {
		t.Error("an operator published the feed")
	}
	if _, err := f.store.Account("paul"); err != nil {
		t.Error("an operator or a publisher removed an account")
	}
}

func TestOperatorsMenuHidesWhatTheyMayNotOpen(t *testing.T) {
	f := newFixture(t, boltStore(t))
	for account, want := range map[string][2]bool{"olga": {false, false}, "paul": {true, false}, "ada": {true, true}} {
		cookie, _ := f.as(t, account)
		body := f.do(t, cookie, "GET", "/", nil).Body.String()
		if got := [2]bool{strings.Contains(body, `href="/publish"`), strings.Contains(body, `href="/accounts"`)}; got != want {
			t.Errorf("%s's menu links publish, accounts = %v; want %v", account, got, want)
		}
	}
}

func TestLoginThrottlesAndSignsIn(t *testing.T) {
	f := newFixture(t, boltStore(t))
	login := func(account, pw string) *httptest.ResponseRecorder {
		return f.do(t, nil, "POST", "/login", url.Values{"account": {account}, "password": {pw}, "next": {"/stats"}})
	}
	if w := f.do(t, nil, "GET", "/login?lang=fr", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `lang="fr"`) {
		t.Fatalf("GET /login?lang=fr = %d", w.Code)
	}
	if w := login("nobody", password); w.Code != 401 || !strings.Contains(w.Body.String(), "Wrong account or password") {
		t.Fatalf("an unknown account = %d", w.Code)
	}
	w := login("olga", password)
	if w.Code != 303 || w.Header().Get("Location") != "/stats" || !strings.Contains(w.Header().Get("Set-Cookie"), "amane_session=") {
		t.Fatalf("a good login = %d to %q, cookie %q", w.Code, w.Header().Get("Location"), w.Header().Get("Set-Cookie"))
	}
	if w := f.do(t, nil, "POST", "/login", url.Values{"account": {"olga"}, "password": {password}, "next": {"//evil.example/"}}); w.Header().Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %q; want /", w.Header().Get("Location"))
	}
	var last *httptest.ResponseRecorder
	for range 12 {
		last = login("paul", "wrong")
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" {
		t.Fatalf("after 12 wrong passwords = %d; want 429 with Retry-After", last.Code)
	}
}

func TestRequestsForAnotherHostAreRefused(t *testing.T) {
	f := newFixture(t, boltStore(t))
	r := httptest.NewRequest("GET", "http://evil.example/login", nil)
	w := httptest.NewRecorder()
	f.c.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusMisdirectedRequest {
		t.Errorf("Host evil.example = %d; want 421", w.Code)
	}
	w = f.do(t, nil, "GET", "/login", nil)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("no CSP on the login page: %q", csp)
	}
}

func TestAFormFromAnotherSiteIsRefused(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, _ := f.as(t, "olga")
	w := f.do(t, cookie, "POST", "/domains/shop.example", url.Values{"action": {"confirm"}, "category": {"scam"}, "reason": {"x"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("a decision without the CSRF token = %d; want 403", w.Code)
	}
	if log, _ := f.store.Audit("shop.example"); len(log) != 0 {
		t.Fatalf("it was recorded: %+v", log)
	}
}

func TestTheQueueGroupsByDomainNewestFirst(t *testing.T) {
	for name, open := range map[string]func(testing.TB) reports.Store{"bbolt": boltStore, "postgres": pgStore} {
		t.Run(name, func(t *testing.T) { testQueue(t, newFixture(t, open(t))) })
	}
}

func testQueue(t *testing.T, f *fixture) {
	cookie, _ := f.as(t, "olga")
	body := f.do(t, cookie, "GET", "/", nil).Body.String()
	g, s, o := strings.Index(body, "groomer.example"), strings.Index(body, "shop.example"), strings.Index(body, "old.example")
	if g < 0 || s < 0 || o < 0 || !(g < s && s < o) {
		t.Fatalf("queue order groomer %d, shop %d, old %d; want newest first", g, s, o)
	}
	for _, want := range []string{"asks children for photos", "2026-11-22", "Cyberviolence", `<bdi dir="ltr">9-12</bdi>`, "3 domains"} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	if _, err := f.store.Confirm("shop.example", "scam", reports.Decision{By: "x", At: t0}); err != nil {
		t.Fatal(err)
	}
	if body := f.do(t, cookie, "GET", "/", nil).Body.String(); strings.Contains(body, "shop.example") {
		t.Error("the queue of new domains shows a confirmed one")
	}
	if body := f.do(t, cookie, "GET", "/?status=confirmed", nil).Body.String(); !strings.Contains(body, "shop.example") || strings.Contains(body, "groomer.example") {
		t.Error("?status=confirmed does not show the confirmed domain alone")
	}
}

func TestAConfirmInTheConsoleIsAuditedAndShown(t *testing.T) {
	for name, open := range map[string]func(testing.TB) reports.Store{"bbolt": boltStore, "postgres": pgStore} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, open(t))
			cookie, csrf := f.as(t, "olga")
			decide := func(form url.Values) *httptest.ResponseRecorder {
				form.Set(web.CSRFField, csrf)
				return f.do(t, cookie, "POST", "/domains/groomer.example", form)
			}
			if w := decide(url.Values{"action": {"confirm"}, "category": {"cyberviolence"}}); w.Code != 422 || !strings.Contains(w.Body.String(), "Give a reason") {
				t.Fatalf("a confirm without a reason = %d", w.Code)
			}
			if w := decide(url.Values{"action": {"confirm"}, "category": {"porn"}, "reason": {"x"}}); w.Code != 422 || !strings.Contains(w.Body.String(), `id="f-category-error"`) {
				t.Fatalf("a confirm with a bad category = %d", w.Code)
			}
			if w := decide(url.Values{"action": {"reject"}, "reason": {"x"}}); w.Code != 303 {
				t.Fatalf("reject = %d", w.Code)
			}
			w := decide(url.Values{"action": {"confirm"}, "category": {"cyberviolence"}, "reason": {"sextortion, 2 parents"}})
			if w.Code != 303 || w.Header().Get("Location") != "/domains/groomer.example#history" {
				t.Fatalf("confirm = %d to %q", w.Code, w.Header().Get("Location"))
			}
			log, _ := f.store.Audit("groomer.example")
			if len(log) != 2 || log[1].By != "olga" || log[1].Action != "confirm" || log[1].Reason != "sextortion, 2 parents" || !log[1].At.Equal(t0) {
				t.Fatalf("the audit log = %+v; want olga's rejection then confirmation", log)
			}
			body := f.do(t, cookie, "GET", "/domains/groomer.example?lang=fr", nil).Body.String()
			for _, want := range []string{"sextortion, 2 parents", "a confirmé", "<bdi>olga</bdi>", "2026-11-23 14:30 UTC", "asks children for photos", `value="retract"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the domain page lacks %q", want)
				}
			}
			if strings.Index(body, "a confirmé") > strings.Index(body, "a rejeté") {
				t.Error("the history is not newest first")
			}
		})
	}
}

func TestUnknownDomainIs404(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, csrf := f.as(t, "olga")
	if w := f.do(t, cookie, "GET", "/domains/typo.example", nil); w.Code != 404 {
		t.Errorf("GET an unreported domain = %d", w.Code)
	}
	if w := f.do(t, cookie, "POST", "/domains/typo.example", url.Values{web.CSRFField: {csrf}, "action": {"confirm"}, "category": {"scam"}, "reason": {"x"}}); w.Code != 404 {
		t.Errorf("POST an unreported domain = %d", w.Code)
	}
}

func TestPublishShowsTheChangeThenPublishes(t *testing.T) {
	f := newFixture(t, boltStore(t))
	if _, err := f.store.Confirm("shop.example", "scam", reports.Decision{By: "olga", At: t0}); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := f.as(t, "paul")
	body := f.do(t, cookie, "GET", "/publish", nil).Body.String()
	adds, removes := strings.Index(body, `id="adds"`), strings.Index(body, `id="removes"`)
	if s, o := strings.Index(body, "shop.example"), strings.Index(body, "old.example"); !(adds < s && s < removes && removes < o) {
		t.Fatalf("publish page: shop.example should be added and old.example removed:\n%s", body)
	}
	w := f.do(t, cookie, "POST", "/publish", url.Values{web.CSRFField: {csrf}})
	if w.Code != 303 || w.Header().Get("Location") != "/publish?published=7" {
		t.Fatalf("publish = %d to %q", w.Code, w.Header().Get("Location"))
	}
	if log, _ := f.store.Audit(""); log[len(log)-1].Action != "publish" || log[len(log)-1].By != "paul" || log[len(log)-1].Detail != "version 7" {
		t.Fatalf("the publication was recorded as %+v", log[len(log)-1])
	}
	body = f.do(t, cookie, "GET", "/publish?published=7", nil).Body.String()
	if !strings.Contains(body, "Feed version 7 published") || strings.Contains(body, "shop.example") {
		t.Error("after publishing, the page does not say so, or still lists the change")
	}
	if !strings.Contains(body, `<bdi>paul</bdi></strong> · published · <bdi translate="no">version 7</bdi>`) {
		t.Error("the publish page does not show the publication in its history")
	}
}

func TestPublishFailureIsShown(t *testing.T) {
	f := newFixture(t, boltStore(t))
	f.c.o.Publisher = fakePublisher{
		published: func() (map[string][]string, error) { return nil, nil },
		publish:   func(context.Context) (int64, error) { return 0, errors.New("the feed key is unreadable") },
	}
	cookie, csrf := f.as(t, "paul")
	if w := f.do(t, cookie, "POST", "/publish", url.Values{web.CSRFField: {csrf}}); w.Code != 422 || !strings.Contains(w.Body.String(), "the feed key is unreadable") {
		t.Fatalf("a failed publication = %d", w.Code)
	}
	if log, _ := f.store.Audit(""); log[len(log)-1].Action == "publish" {
		t.Error("a failed publication was recorded as done")
	}
}

func TestStatsDrawsChartsInBothDirections(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, _ := f.as(t, "olga")
	for lang, anchor := range map[string]string{"en": `text-anchor="start"`, "ar": `text-anchor="end"`} {
		body := f.do(t, cookie, "GET", "/stats?lang="+lang, nil).Body.String()
		if strings.Count(body, "<svg") != 3 || !strings.Contains(body, anchor) || !strings.Contains(body, ">2026-10</text>") {
			t.Errorf("%s: want 3 charts, labels %s, the month 2026-10", lang, anchor)
		}
	}
	ch := newChart("x", "t", "category", []reports.StatRow{{Key: "scam", Count: 10}, {Key: "abuse", Count: 5}}, false)
	if ch.Bars[0].BarW != chartWidth-labelWidth-valueWidth || ch.Bars[1].BarW != ch.Bars[0].BarW/2 || ch.Bars[1].LabelKey != "cat.abuse" {
		t.Errorf("bars = %+v; want the largest full width and the other half", ch.Bars)
	}
	rtl := newChart("x", "t", "", []reports.StatRow{{Key: "2026-11", Count: 10}}, true)
	if b := rtl.Bars[0]; b.BarX+b.BarW != chartWidth-labelWidth || b.LabelX != chartWidth-4 {
		t.Errorf("a right-to-left bar = %+v; want it to end at the label column on the right", b)
	}
}

func TestExportsDownloadCSVAndXARF(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, _ := f.as(t, "olga")
	if w := f.do(t, cookie, "GET", "/exports?since=yesterday", nil); w.Code != 422 || !strings.Contains(w.Body.String(), "since") {
		t.Errorf("a bad filter = %d", w.Code)
	}
	w := f.do(t, cookie, "GET", "/exports/reports.csv?category=scam", nil)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if w.Code != 200 || err != nil || len(rows) != 3 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV = %d, %d rows, %v, %q", w.Code, len(rows), err, w.Header().Get("Content-Disposition"))
	}
	w = f.do(t, cookie, "GET", "/exports/reports.xarf.json?category=cyberviolence", nil)
	var xs []reports.XARF
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &xs) != nil || len(xs) != 1 || xs[0].Reporter.Org != "EMC-Helpline" {
		t.Fatalf("XARF = %d %s", w.Code, w.Body.String())
	}
}

func TestAdminsManageAccounts(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, csrf := f.as(t, "ada")
	olga, _ := f.as(t, "olga")
	add := func(name, role, pw string) *httptest.ResponseRecorder {
		return f.do(t, cookie, "POST", "/accounts", url.Values{web.CSRFField: {csrf}, "name": {name}, "role": {role}, "password": {pw}})
	}
	if w := add("Bad Name", "boss", "short"); w.Code != 422 || !strings.Contains(w.Body.String(), `id="f-name"`) || !strings.Contains(w.Body.String(), "f-password-error") {
		t.Fatalf("a bad account = %d", w.Code)
	}
	if w := add("nadia", "publisher", "a long enough one"); w.Code != 303 {
		t.Fatalf("add = %d %s", w.Code, w.Body.String())
	}
	if a, err := f.store.Account("nadia"); err != nil || a.Role != reports.RolePublisher {
		t.Fatalf("nadia = %+v, %v", a, err)
	}
	if w := f.do(t, cookie, "POST", "/accounts/ada/remove", url.Values{web.CSRFField: {csrf}}); w.Code != 422 {
		t.Errorf("removing oneself = %d; want 422", w.Code)
	}
	if w := f.do(t, cookie, "POST", "/accounts/olga/remove", url.Values{web.CSRFField: {csrf}}); w.Code != 303 {
		t.Fatalf("remove olga = %d", w.Code)
	}
	if body := f.do(t, cookie, "GET", "/accounts", nil).Body.String(); !strings.Contains(body, `<bdi>ada</bdi></strong> · removed an account · <bdi translate="no">olga</bdi>`) {
		t.Error("the accounts page does not show the removal in its history")
	}
	if w := f.do(t, olga, "GET", "/", nil); w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("a removed account's session = %d to %q; want sent to the login page", w.Code, w.Header().Get("Location"))
	}
}

func TestARoleChangedSinceLoginEndsTheSession(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, _ := f.as(t, "paul")
	d := reports.Decision{By: "ada", At: t0}
	if err := f.store.RemoveAccount("paul", d); err != nil {
		t.Fatal(err)
	}
	if err := f.store.AddAccount(reports.Account{Name: "paul", Role: reports.RoleOperator, Hash: "x", Created: t0}, d); err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, cookie, "GET", "/publish", nil); w.Code != 303 {
		t.Errorf("a session with its old role = %d; want sent to log in again", w.Code)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t, boltStore(t))
	cookie, csrf := f.as(t, "olga")
	if w := f.do(t, cookie, "POST", "/logout", url.Values{web.CSRFField: {csrf}}); w.Code != 303 {
		t.Fatalf("logout = %d", w.Code)
	}
	if w := f.do(t, cookie, "GET", "/", nil); w.Code != 303 {
		t.Errorf("after logout = %d; want sent to the login page", w.Code)
	}
}

func TestCatalogsAreComplete(t *testing.T) {
	cats, err := web.NewCatalogs(mustSub("locales"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cats.Check(); err != nil {
		t.Fatal(err)
	}
}
