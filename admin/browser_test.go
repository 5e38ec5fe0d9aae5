package admin

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/amane-dns/amane/internal/web/browsertest"
	"github.com/amane-dns/amane/policy"
)

// TestAParentsEveningInABrowser plays the console in Chromium at a
// phone's width: in Arabic, a parent logs in, makes a profile for Adam
// with a bedtime and TikTok blocked, names the new tablet and gives it
// the profile, and pauses Adam; in French, the same pages are read; and
// Home once at a desktop's width. axe-core checks each page; the DNS
// decisions for the tablet are checked at the end, at the times when
// each change shows: the pause now, the bedtime at 20:30, the app in the
// morning. Screenshots go to $AMANE_SCREENSHOTS when set.
func TestAParentsEveningInABrowser(t *testing.T) {
	if why := browsertest.Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	tc := newTestConsole(t)
	srv := httptest.NewServer(tc.Handler()) // 127.0.0.1: one of the console's hosts
	defer srv.Close()
	login := []browsertest.Step{
		browsertest.Goto(srv.URL + "/login"),
		browsertest.Fill("#f-password", testPassword),
		browsertest.Click("main button[type=submit]"),
	}
	tablet := `form:has(input[name=mac][value="` + tabletMAC + `"]) `
	ar := browsertest.Scenario{Name: "parent-ar", Locale: "ar-MA", Steps: append(login,
		browsertest.ExpectAttr("html", "dir", "rtl"),
		browsertest.Goto(srv.URL+"/profile"),
		browsertest.Fill("#f-profile-name", "adam"),
		browsertest.Fill("#f-profile-schedule-0-from", "20:00"),
		browsertest.Fill("#f-profile-schedule-0-to", "07:00"),
		browsertest.Fill("#app-search", "TikTok"),
		browsertest.Click(`input[name="profile.block_services"][value="tiktok"]`),
		browsertest.Click(".save button"),
		browsertest.ExpectText(".week", "20:00–07:00"),
		browsertest.Check("admin-profile-ar"),
		browsertest.Goto(srv.URL+"/devices"),
		browsertest.Fill(tablet+`input[name="device.name"]`, "adam-tablet"),
		browsertest.Select(tablet+`select`, "adam"),
		browsertest.Click(tablet+`button[type=submit]`),
		browsertest.Check("admin-devices-ar"),
		browsertest.Goto(srv.URL+"/"),
		browsertest.Click(`form:has(input[name=target][value=adam]):has(input[value="30m"]) button`),
		browsertest.ExpectText(".child .is-paused", "20:00"),
		browsertest.Check("admin-home-ar"),
	)}
	fr := browsertest.Scenario{Name: "parent-fr", Locale: "fr-FR", Steps: append(login,
		browsertest.ExpectAttr("html", "lang", "fr"),
		browsertest.Check("admin-home-fr"),
		browsertest.Goto(srv.URL+"/devices"),
		browsertest.Check("admin-devices-fr"),
		browsertest.Goto(srv.URL+"/profile?name=adam"),
		browsertest.Check("admin-profile-fr"),
	)}
	desktop := browsertest.Scenario{Name: "parent-ar-desktop", Locale: "ar-MA", Width: 1280, Height: 800, Steps: append(login,
		browsertest.Check("admin-home-ar-desktop"),
	)}
	results := browsertest.Run(t, browsertest.Options{}, ar, fr, desktop)
	if len(results) != 7 {
		t.Errorf("%d checks ran, want 7", len(results))
	}
	for _, r := range results {
		if want := map[bool]string{true: "rtl", false: "ltr"}[r.Lang == "ar"]; r.Dir != want {
			t.Errorf("%s: dir=%q for lang %q", r.Name, r.Dir, r.Lang)
		}
	}

	if p := tc.app.Policy().ProfileName(policy.Client{Addr: mustAddr(tabletIP)}); p != "adam" {
		t.Errorf("the tablet gets profile %q, want adam", p)
	}
	if d := tc.decide(tabletIP, "example.org"); d.Why != policy.ByPause {
		t.Errorf("at 19:30, paused: %+v", d)
	}
	tc.setNow(tc.clock().Add(time.Hour)) // 20:30: the pause is over, bedtime began
	if d := tc.decide(tabletIP, "example.org"); d.Action != policy.Block || d.Why != policy.BySchedule {
		t.Errorf("at 20:30, bedtime: %+v", d)
	}
	tc.setNow(tc.clock().Add(12 * time.Hour)) // 08:30 the next morning
	if d := tc.decide(tabletIP, "tiktok.com"); d.Action != policy.Block || d.Why != policy.ByService {
		t.Errorf("in the morning, TikTok: %+v", d)
	}
	if d := tc.decide(tabletIP, "example.org"); d.Action != policy.Allow {
		t.Errorf("in the morning, example.org: %+v", d)
	}
}

// TestABlockedAttemptIsAllowedFromTheActivityPage: Adam's tablet tried a
// game; in French the parent reads his Activity page, in Arabic taps
// "allow this site" beside the attempt, and DNS lets the game through for
// Adam. Screenshots: admin-activity-{fr,ar}.
func TestABlockedAttemptIsAllowedFromTheActivityPage(t *testing.T) {
	if why := browsertest.Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	tc := newTestConsoleAt(t, time.Now()) // the resolver's clock stamps the attempt
	tc.withUpstream(t)
	tc.withAdam(t)
	for _, n := range []string{"game.example", "tiktok.com", "www.tiktok.com", "game.example", "video.example", "www.youtube.com", "wikipedia.org"} {
		tc.ask(t, tabletIP, n)
	}
	tc.waitActivity(t, "adam-tablet", 7, false)
	tc.app.AskParent(mustAddr(tabletIP), "fortnite.example", "tous mes amis y jouent")
	srv := httptest.NewServer(tc.Handler())
	defer srv.Close()
	login := []browsertest.Step{
		browsertest.Goto(srv.URL + "/login"),
		browsertest.Fill("#f-password", testPassword),
		browsertest.Click("main button[type=submit]"),
	}
	allow := `#act-blocked ~ ul form[action="/activity/allow"]:has(input[name=name][value="game.example"]) button`
	fr := browsertest.Scenario{Name: "activity-fr", Locale: "fr-FR", Steps: append(login,
		browsertest.Click(`.today a[href="/activity?profile=adam"]`),
		browsertest.ExpectText("#act-blocked ~ ul .site-name", "game.example"),
		browsertest.ExpectText("#act-blocked ~ ul .reason", "Jeux vidéo"),
		browsertest.Check("admin-activity-fr"),
	)}
	ar := browsertest.Scenario{Name: "activity-ar", Locale: "ar-MA", Steps: append(login,
		browsertest.Goto(srv.URL+"/activity?profile=adam"),
		browsertest.ExpectAttr("html", "dir", "rtl"),
		browsertest.Check("admin-activity-ar"),
		browsertest.Click(allow),
		browsertest.ExpectText("h1", "adam"),
	)}
	results := browsertest.Run(t, browsertest.Options{}, fr, ar)
	if len(results) != 2 {
		t.Errorf("%d checks ran, want 2", len(results))
	}
	if d := tc.decide(tabletIP, "game.example"); d.Action != policy.Allow {
		t.Errorf("after 'allow this site': %+v", d)
	}
	if d := tc.decide(tabletIP, "tiktok.com"); d.Action != policy.Block {
		t.Errorf("TikTok was allowed too: %+v", d)
	}
}
