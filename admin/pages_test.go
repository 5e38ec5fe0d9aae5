package admin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// newProfile is the Profiles form for a new child, "adam": under 9, in
// bed from 20:00 to 07:00 every day, TikTok blocked.
func newProfile() url.Values {
	return url.Values{
		"old": {""}, "profile.name": {"adam"}, "profile.preset": {"under-9"},
		"profile.block":                     {"adult", "gambling", "social", "chat", "games"},
		"profile.block_services":            {"tiktok"},
		"profile.schedule[0].kind":          {"bedtime"},
		"profile.schedule[0].days":          {"all"},
		"profile.schedule[0].from":          {"20:00"},
		"profile.schedule[0].to":            {"07:00"},
		"profile.budget[0].categories":      {"video"},
		"profile.budget[0].minutes":         {"45"},
		"profile.budget[0].weekend_minutes": {""},
		"profile.safe_search":               {"on"},
	}
}

// TestAParentsChangesReachDNSAndSurviveARestart plays a Sunday evening:
// a new profile with a bedtime and TikTok blocked, the new tablet named
// and given it; each change shows in the DNS decisions for the tablet at
// once, in console.toml, and after a restart.
func TestAParentsChangesReachDNSAndSurviveARestart(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	if d := tc.decide(tabletIP, "tiktok.com"); d.Action != policy.Allow {
		t.Fatalf("before: %+v", d)
	}
	if w := tc.form(t, cookie, sess, "/profile", newProfile()); w.Code != http.StatusSeeOther {
		t.Fatalf("saving the profile: %d\n%s", w.Code, w.Body)
	}
	w := tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"adam-tablet"}, "device.profile": {"adam"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("naming the tablet: %d\n%s", w.Code, w.Body)
	}
	check := func(when string) {
		t.Helper()
		if d := tc.decide(tabletIP, "tiktok.com"); d.Action != policy.Block || d.Why != policy.ByService {
			t.Errorf("%s: tiktok.com at 19:30 for the tablet: %+v, want blocked as an app", when, d)
		}
		tc.setNow(tc.clock().Add(time.Hour)) // 20:30: bedtime
		if d := tc.decide(tabletIP, "example.org"); d.Action != policy.Block || d.Why != policy.BySchedule {
			t.Errorf("%s: example.org at 20:30 for the tablet: %+v, want bedtime", when, d)
		}
		tc.setNow(tc.clock().Add(-time.Hour))
		if d := tc.decide("192.168.1.30", "example.org"); d.Action != policy.Allow {
			t.Errorf("%s: yasmine's phone is caught too: %+v", when, d)
		}
	}
	check("at once")
	src, err := os.ReadFile(tc.app.Config().ConsolePath())
	if err != nil || !strings.Contains(string(src), `name = "adam-tablet"`) || !strings.Contains(string(src), `from = "20:00"`) {
		t.Fatalf("console.toml: %v\n%s", err, src)
	}
	tc.restart(t)
	check("after a restart")
	cfg, err := configs.Load(tc.path)
	if err != nil || cfg.Console == nil || len(cfg.Console.Devices) != 1 || cfg.Console.Devices[0].Profile != "adam" {
		t.Fatalf("loaded again: %v %+v", err, cfg.Console)
	}
	// The Home page now speaks of adam's bedtime, in the family's words.
	tc.setNow(time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC))
	body := tc.get(cookie, "/", "fr").Body.String()
	if !strings.Contains(body, "adam") || !strings.Contains(body, "07:00") {
		t.Errorf("home does not say adam sleeps until 07:00:\n%s", body)
	}
}

func TestAWrongFieldIsShownNextToIt(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	v := newProfile()
	v.Set("profile.schedule[0].from", "25:00")
	w := tc.form(t, cookie, sess, "/profile", v)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a bad time: %d", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, `id="f-profile-schedule-0-from-error"`) || !strings.Contains(body, `value="25:00"`) {
		t.Fatalf("the error is not next to the field, or what was typed is lost:\n%s", body)
	}
	if _, err := os.Stat(tc.app.Config().ConsolePath()); !os.IsNotExist(err) {
		t.Fatalf("a refused change was written: %v", err)
	}
}

func TestAHandWrittenProfileIsReadOnly(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	body := tc.get(cookie, "/profile?name=yasmine", "en").Body.String()
	if !strings.Contains(body, "Set in amane.toml") || !strings.Contains(body, "<fieldset class=\"card\" disabled>") {
		t.Fatalf("the hand-written profile is not shown read-only")
	}
	v := newProfile()
	v.Set("old", "yasmine")
	v.Set("profile.name", "yasmine")
	if w := tc.form(t, cookie, sess, "/profile", v); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("changing a hand-written profile: %d", w.Code)
	}
}

func TestHomePausesAChildFromAButton(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	w := tc.form(t, cookie, sess, "/pause", url.Values{"target": {"yasmine"}, "duration": {"tomorrow"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("pause: %d\n%s", w.Code, w.Body)
	}
	if d := tc.decide("192.168.1.30", "example.org"); d.Why != policy.ByPause {
		t.Fatalf("%+v", d)
	}
	body := tc.get(cookie, "/", "ar").Body.String()
	if !strings.Contains(body, `dir="rtl"`) || !strings.Contains(body, "07:00") {
		t.Fatalf("home in Arabic does not show the pause until 07:00")
	}
}

// TestEveryPageRendersInEveryLanguage renders each page in en, fr and ar
// and fails on a catalog key shown instead of its text.
func TestEveryPageRendersInEveryLanguage(t *testing.T) {
	tc := newTestConsole(t)
	if err := tc.cats.Check(); err != nil {
		t.Fatal(err)
	}
	cookie, _ := tc.session(t)
	for _, lang := range []string{"en", "fr", "ar"} {
		for _, page := range []string{"/", "/devices", "/profiles", "/profile", "/profile?name=yasmine", "/why?name=game.example+example.org&device=yasmine-phone", "/report", "/system", "/activity", "/activity?profile=yasmine&q=game"} {
			w := tc.get(cookie, page, lang)
			if w.Code != http.StatusOK {
				t.Errorf("%s %s: %d", lang, page, w.Code)
				continue
			}
			for _, key := range []string{"profile.", "why.", "devices.", "system.", "report.", "home.", "preset.", "schedule.", "act.", "alert."} {
				if strings.Contains(w.Body.String(), ">"+key) {
					t.Errorf("%s %s shows a catalog key %s…", lang, page, key)
				}
			}
		}
	}
	if w := tc.get(nil, "/login", "ar"); !strings.Contains(w.Body.String(), `lang="ar" dir="rtl"`) {
		t.Errorf("login in Arabic is not right to left")
	}
}

func TestTheAssetsAreLight(t *testing.T) {
	tc := newTestConsole(t)
	total := 0
	for _, name := range []string{"web.css", "web.js", "admin.css", "admin.js"} {
		n, err := tc.assets.Size(name)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total > 60<<10 {
		t.Fatalf("a page's CSS and JS weigh %d bytes compressed, more than 60 KB", total)
	}
	t.Logf("CSS and JS of a page: %d bytes compressed", total)
}

// BenchmarkPages measures the server time of each page, from the
// request to the last byte, in Arabic (the longest texts).
func BenchmarkPages(b *testing.B) {
	tc := newTestConsole(b)
	cookie, _ := tc.session(b)
	for _, page := range []string{"/", "/devices", "/profile?name=yasmine", "/why?name=game.example&device=yasmine-phone", "/system"} {
		b.Run(strings.NewReplacer("/", "_", "?", "_").Replace(page), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := tc.get(cookie, page, "ar"); w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

var _ = web.CSRFField

func TestNamingADeviceWithAnUnknownProfileIsRefused(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	w := tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"adam-tablet"}, "device.profile": {"nobody"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "nobody") {
		t.Fatalf("an unknown profile: %d\n%s", w.Code, w.Body)
	}
	w = tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"adam-tablet"}, "device.profile": {""}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `-profile-error"><bdi>choose the profile`) {
		t.Fatalf("no profile chosen: %d\n%s", w.Code, w.Body)
	}
	if d := tc.app.Config().Console; d != nil && len(d.Devices) > 0 {
		t.Fatalf("saved: %+v", d.Devices)
	}
	w = tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"yasmine-phone"}, "device.profile": {"yasmine"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="d`) || !strings.Contains(w.Body.String(), "amane.toml") {
		t.Fatalf("a name amane.toml owns: %d", w.Code)
	}
}

func TestAReportNeedsAHelpline(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	if body := tc.get(cookie, "/report", "en").Body.String(); !strings.Contains(body, "No helpline is configured") {
		t.Fatalf("report page without a helpline:\n%s", body)
	}
	if w := tc.form(t, cookie, sess, "/report", url.Values{"domain": {"bad.example"}, "category": {"adult"}}); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a report without a helpline: %d", w.Code)
	}
}

func TestWhySaysWhyAndOffersToAllow(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	if w := tc.form(t, cookie, sess, "/profile", newProfile()); w.Code != http.StatusSeeOther {
		t.Fatalf("profile: %d", w.Code)
	}
	tc.form(t, cookie, sess, "/devices", url.Values{"mac": {tabletMAC}, "ip": {tabletIP}, "device.name": {"adam-tablet"}, "device.profile": {"adam"}})
	body := tc.get(cookie, "/why?name=game.example&device=adam-tablet", "en").Body.String()
	if !strings.Contains(body, "Blocked category (Games)") || !strings.Contains(body, "Allow this site for adam") {
		t.Fatalf("why:\n%s", body)
	}
	if w := tc.form(t, cookie, sess, "/why/allow", url.Values{"name": {"game.example"}, "profile": {"adam"}, "device": {"adam-tablet"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("allow: %d\n%s", w.Code, w.Body)
	}
	if d := tc.decide(tabletIP, "game.example"); d.Action != policy.Allow {
		t.Fatalf("game.example after allowing it: %+v", d)
	}
}

// TestSystemRunsTheDoctorsChecks: System runs amane doctor's checks when
// asked, and shows each with what to do, in the page's language.
func TestSystemRunsTheDoctorsChecks(t *testing.T) {
	tc := newTestConsole(t)
	cookie, _ := tc.session(t)
	w := tc.get(cookie, "/system?checks=1", "fr")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "Vérifications") || !strings.Contains(body, "config: ") || !strings.Contains(body, "upstream") {
		t.Fatalf("%d\n%s", w.Code, body)
	}
	if w := tc.get(cookie, "/system", "fr"); strings.Contains(w.Body.String(), "config: ") {
		t.Error("the checks ran without being asked")
	}
}

// TestSavingAProfileKeepsWhatTheFormDoesNotShow: apps blocked in a window
// and counted in a budget (written in console.toml by hand) survive a
// save from the form, which shows neither.
func TestSavingAProfileKeepsWhatTheFormDoesNotShow(t *testing.T) {
	base := policy.ProfileConfig{Name: "kid", Preset: "9-12",
		Schedules: []policy.ScheduleConfig{{Days: []string{"weekdays"}, From: "17:00", To: "19:00", Block: policy.CategorySpec{Categories: []string{"games"}}, BlockServices: []string{"youtube"}}},
		Budgets:   []policy.BudgetConfig{{Categories: []string{"games"}, Services: []string{"roblox"}, Minutes: 60}}}
	form := url.Values{"profile.name": {"kid"}, "profile.preset": {"9-12"},
		"profile.schedule[0].kind": {"homework"}, "profile.schedule[0].days": {"weekdays"}, "profile.schedule[0].from": {"17:00"}, "profile.schedule[0].to": {"19:00"},
		"profile.budget[0].categories": {"games"}, "profile.budget[0].minutes": {"60"}}
	r := httptest.NewRequest(http.MethodPost, "/profile", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p := profileForm(r, base)
	if len(p.Schedules) != 1 || !slices.Equal(p.Schedules[0].BlockServices, []string{"youtube"}) {
		t.Errorf("schedules %+v", p.Schedules)
	}
	if len(p.Budgets) != 1 || !slices.Equal(p.Budgets[0].Services, []string{"roblox"}) {
		t.Errorf("budgets %+v", p.Budgets)
	}
}
