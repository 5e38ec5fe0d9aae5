package admin

import (
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// withAdam gives the console the profile adam (games and TikTok blocked)
// and the tablet, as a parent does from the pages.
func (tc *testConsole) withAdam(t testing.TB) {
	t.Helper()
	cookie, sess := tc.session(t)
	v := newProfile()
	for _, k := range []string{"kind", "days", "from", "to"} {
		v.Del("profile.schedule[0]." + k) // no bedtime: the test may run at any hour
	}
	if w := tc.form(t, cookie, sess, "/profile", v); w.Code != http.StatusSeeOther {
		t.Fatalf("saving the profile: %d\n%s", w.Code, w.Body)
	}
	w := tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"adam-tablet"}, "device.profile": {"adam"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("naming the tablet: %d\n%s", w.Code, w.Body)
	}
}

// withUpstream gives the appliance a loopback upstream answering every A
// query with 192.0.2.80, and a list of video sites, so that allowed
// names are answered and their time counted; then restarts it.
func (tc *testConsole) withUpstream(t testing.TB) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(192, 0, 2, 80)})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	b, err := os.ReadFile(tc.path)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(tc.dir, "video.txt")
	if err := os.WriteFile(video, []byte("video.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(b), "udp://127.0.0.1:9", "udp://"+pc.LocalAddr().String(), 1) +
		"[[list]]\nname = \"video\"\ncategory = \"video\"\npath = \"" + video + "\"\n"
	if err := os.WriteFile(tc.path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	tc.restart(t)
}

// ask sends a DNS query for name from addr through the appliance's
// handler, and returns the answer's rcode. Without withUpstream only
// names answered locally (blocked ones) may be asked: the upstream is a
// closed port.
func (tc *testConsole) ask(t testing.TB, addr, name string) int {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name+".", dns.TypeA)
	pkt, _ := m.Pack()
	r := new(dns.Msg)
	if err := r.Unpack(tc.app.Handler().Answer(mustAddr(addr), false, pkt, nil)); err != nil {
		t.Fatal(err)
	}
	return r.Rcode
}

// waitActivity waits until device's log holds n answers (blocked ones
// when blocked). The log's
// writer takes events in batches (activity.DrainEvery); the wait is on
// its tick, with a deadline, and asserts nothing about time.
func (tc *testConsole) waitActivity(t testing.TB, device string, n int, blocked bool) {
	t.Helper()
	tick := time.NewTicker(activity.DrainEvery)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for len(tc.app.Activity(device, activity.Filter{Blocked: blocked})) < n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: %d answers in the log, want %d", device, len(tc.app.Activity(device, activity.Filter{Blocked: blocked})), n)
		}
	}
}

// TestTheActivityPageShowsWhyAndAllowsInOneTap: Adam's tablet tries a
// game and TikTok; his Activity page lists both with the reason in the
// page's language, Home counts them, the API returns them, and "allow
// this site" and "block this site" change what DNS decides for him.
func TestTheActivityPageShowsWhyAndAllowsInOneTap(t *testing.T) {
	// The resolver stamps its events with the real clock: the console's
	// "today" and "the last hour" must be read on it too.
	tc := newTestConsoleAt(t, time.Now())
	tc.withUpstream(t)
	tc.withAdam(t)
	cookie, sess := tc.session(t)
	for _, n := range []string{"game.example", "tiktok.com"} {
		if rc := tc.ask(t, tabletIP, n); rc != dns.RcodeNameError {
			t.Fatalf("%s: rcode %d, want blocked", n, rc)
		}
	}
	for _, n := range []string{"video.example", "www.youtube.com"} {
		if rc := tc.ask(t, tabletIP, n); rc != dns.RcodeSuccess {
			t.Fatalf("%s: rcode %d, want answered", n, rc)
		}
	}
	tc.waitActivity(t, "adam-tablet", 4, false)

	tiktok, _ := catalog.ByID("tiktok")
	youtube, _ := catalog.ByID("youtube")
	for _, tt := range []struct{ lang, games, app, line, dir, days string }{
		{"en", "Games", tiktok.Name("en") + " is blocked", "2 blocked attempts today", "ltr", "Time online, day by day"},
		{"fr", "Jeux vidéo", tiktok.Name("fr") + " est bloqué", "2 tentatives bloquées aujourd&#39;hui", "ltr", "Temps en ligne, jour par jour"},
		{"ar", "الألعاب", tiktok.Name("ar") + " محجوب", "محاولتان محجوبتان اليوم", "rtl", "الوقت على الإنترنت، يومًا بيوم"},
	} {
		w := tc.get(cookie, "/activity?profile=adam", tt.lang)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", tt.lang, w.Code)
		}
		for _, want := range []string{"game.example", tt.games, tt.app, `action="/activity/allow"`, `dir="` + tt.dir + `"`, "<svg", "<rect", youtube.Name(tt.lang), `action="/activity/deny"`, tt.days} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the Activity page lacks %q", tt.lang, want)
			}
		}
		if home := tc.get(cookie, "/", tt.lang).Body.String(); !strings.Contains(home, tt.line) || !strings.Contains(home, `/activity?profile=adam`) {
			t.Errorf("%s: Home lacks %q or the link to the Activity page", tt.lang, tt.line)
		}
	}
	// The search keeps only the names that match.
	if body := tc.get(cookie, "/activity?profile=adam&q=tiktok", "en").Body.String(); strings.Contains(body, "game.example") || !strings.Contains(body, "tiktok.com") {
		t.Errorf("searching for tiktok shows the wrong names")
	}

	var api struct{ Activity []activity.Entry }
	if code := tc.api(t, cookie, nil, http.MethodGet, "/api/v1/activity?device=adam-tablet&blocked=1&since=1h", "", &api); code != http.StatusOK || len(api.Activity) != 2 || api.Activity[0].Reason == "" {
		t.Errorf("API: %d %+v", code, api)
	}
	if code := tc.api(t, cookie, nil, http.MethodGet, "/api/v1/activity?since=soon", "", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("API with since=soon: %d, want 422", code)
	}

	w := tc.form(t, cookie, sess, "/activity/allow", url.Values{"profile": {"adam"}, "name": {"game.example"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/activity?profile=adam") {
		t.Fatalf("allow: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if d := tc.decide(tabletIP, "game.example"); d.Action != policy.Allow {
		t.Errorf("after allow: %+v", d)
	}
	if d := tc.decide("192.168.1.30", "game.example"); d.Action == policy.Allow && d.Exempt == 0 && tc.decide("192.168.1.30", "fortnite.example").Action != policy.Allow {
		t.Errorf("allowing for adam allowed it for yasmine too: %+v", d)
	}
	if w := tc.form(t, cookie, sess, "/activity/deny", url.Values{"profile": {"adam"}, "name": {"game.example"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("deny: %d\n%s", w.Code, w.Body)
	}
	if d := tc.decide(tabletIP, "game.example"); d.Action != policy.Block || d.Why != policy.ByDeny {
		t.Errorf("after block: %+v", d)
	}
	// A hand-written profile cannot be changed from here, and the page
	// says where it can.
	w = tc.form(t, cookie, sess, "/activity/allow", url.Values{"profile": {"yasmine"}, "name": {"game.example"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "amane.toml") {
		t.Errorf("allowing for a hand-written profile: %d", w.Code)
	}
	if body := tc.get(cookie, "/activity?profile=yasmine", "en").Body.String(); strings.Contains(body, `action="/activity/allow"`) || !strings.Contains(body, "amane.toml") {
		t.Errorf("the hand-written profile's page offers to allow, or does not say where to change it")
	}
}

// TestAnAskFromTheBlockPageCanBeAllowedFromHome: the child's note and the
// site show in Home's alerts, with a button that allows it for the
// child's profile.
func TestAnAskFromTheBlockPageCanBeAllowedFromHome(t *testing.T) {
	// The resolver stamps its events with the real clock: the console's
	// "today" and "the last hour" must be read on it too.
	tc := newTestConsoleAt(t, time.Now())
	tc.withAdam(t)
	cookie, sess := tc.session(t)
	tc.app.AskParent(mustAddr(tabletIP), "fortnite.example", "my friends are on it")
	for _, lang := range []string{"en", "fr", "ar"} {
		body := tc.get(cookie, "/", lang).Body.String()
		for _, want := range []string{"fortnite.example", "my friends are on it", `name="back" value="home"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: Home's alerts lack %q", lang, want)
			}
		}
	}
	w := tc.form(t, cookie, sess, "/activity/allow", url.Values{"profile": {"adam"}, "name": {"fortnite.example"}, "back": {"home"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("allow from Home: %d %q", w.Code, w.Header().Get("Location"))
	}
	if d := tc.decide(tabletIP, "fortnite.example"); d.Action != policy.Allow {
		t.Errorf("after allow: %+v", d)
	}
}

// TestChartsAreMirroredInArabic: the bars grow from the right in Arabic,
// from the left otherwise, scaled to the largest; no bar means a sentence.
func TestChartsAreMirroredInArabic(t *testing.T) {
	bars := []bar{{"Games", 60}, {"Video", 30}}
	fig := func(m int) string { return strconv.Itoa(m) }
	ltr, rtl := string(barChart("Today", "none", bars, false, fig)), string(barChart("Today", "none", bars, true, fig))
	for _, want := range []string{`<rect x="0" y="23" width="320"`, `<rect x="0" y="65" width="160"`, `<text x="0"`} {
		if !strings.Contains(ltr, want) {
			t.Errorf("left to right lacks %s:\n%s", want, ltr)
		}
	}
	for _, want := range []string{`<rect x="0" y="23" width="320"`, `<rect x="160" y="65" width="160"`, `<text x="320" y="16" direction="rtl"`} {
		if !strings.Contains(rtl, want) {
			t.Errorf("right to left lacks %s:\n%s", want, rtl)
		}
	}
	if empty := string(barChart("Today", "No time counted", nil, false, fig)); strings.Contains(empty, "<svg") || !strings.Contains(empty, "No time counted") {
		t.Errorf("an empty chart: %s", empty)
	}
}

// TestTheDayByDayChartHasEveryDaySinceMonday: a bar for each day of the
// week so far, a day without use at 0, and no chart at all for a week
// without any.
func TestTheDayByDayChartHasEveryDaySinceMonday(t *testing.T) {
	loc := time.UTC
	monday := time.Date(2026, 12, 7, 0, 0, 0, 0, loc)
	wednesday := monday.AddDate(0, 0, 2)
	locales, _ := fs.Sub(localesFS, "locales")
	cats, err := web.NewCatalogs(locales)
	if err != nil {
		t.Fatal(err)
	}
	l := cats.For(web.French)
	ts := []activity.Total{{Start: monday, Minutes: 90}, {Start: wednesday, Minutes: 15}}
	got := dayBars(ts, monday, wednesday, l)
	want := []bar{{l.Weekday(time.Monday), 90}, {l.Weekday(time.Tuesday), 0}, {l.Weekday(time.Wednesday), 15}}
	if !slices.Equal(got, want) {
		t.Errorf("bars %v, want %v", got, want)
	}
	if got := dayBars([]activity.Total{{Start: monday}}, monday, wednesday, l); got != nil {
		t.Errorf("a week without use has bars %v", got)
	}
}

// BenchmarkActivityPage measures the server time of the Activity page in
// Arabic with the tablet's recent log full (500 answers, one in five
// blocked, 100 names), as BenchmarkPages does for the others.
func BenchmarkActivityPage(b *testing.B) {
	tc := newTestConsoleAt(b, time.Now())
	tc.withUpstream(b)
	tc.withAdam(b)
	cookie, _ := tc.session(b)
	for i := range 500 {
		name := fmt.Sprintf("site%d.example", i%100)
		if i%5 == 0 {
			name = fmt.Sprintf("level%d.game.example", i%100)
		}
		tc.ask(b, tabletIP, name)
	}
	tc.waitActivity(b, "adam-tablet", 500, false)
	for _, page := range []string{"/activity?profile=adam", "/activity?profile=adam&q=game", "/"} {
		b.Run(strings.NewReplacer("/", "_", "?", "_", "&", "_").Replace(page), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := tc.get(cookie, page, "ar"); w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

// TestHomeSaysWhenNoActivityIsKept: with log = "off" a child's line does
// not read "0 blocked attempts today", which would tell a parent that
// nothing was tried; it says nothing is kept, in the page's language.
func TestHomeSaysWhenNoActivityIsKept(t *testing.T) {
	tc := newTestConsole(t)
	tc.withAdam(t)
	cookie, _ := tc.session(t)
	for _, tt := range []struct{ log, lang, want, not string }{
		{"children", "en", "0 blocked attempts today", "not kept"},
		{"off", "en", "Activity is not kept for this child", "blocked attempts today"},
		{"off", "fr", "L’activité de cet enfant n’est pas conservée", "tentative"},
		{"off", "ar", "لا يُحفظ نشاط هذا الطفل", "محاولة"},
	} {
		b, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		conf := regexp.MustCompile(`(?m)^\[activity\]\nlog = ".*"\n`).ReplaceAllString(string(b), "")
		conf = strings.Replace(conf, "[catalog]\n", "[activity]\nlog = \""+tt.log+"\"\n[catalog]\n", 1)
		if err := os.WriteFile(tc.path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		tc.restart(t)
		cookie, _ = tc.session(t)
		body := tc.get(cookie, "/", tt.lang).Body.String()
		if !strings.Contains(body, tt.want) || strings.Contains(body, tt.not) {
			t.Errorf("log = %q, %s: Home does not say %q, or says %q", tt.log, tt.lang, tt.want, tt.not)
		}
	}
}
