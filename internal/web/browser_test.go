package web_test

import (
	"net/http/httptest"
	"testing"

	"github.com/amane-dns/amane/internal/web/browsertest"
)

// TestTheSamplePageInABrowser renders the sample console's login and home
// pages in Chromium at a phone's width in each language, signing in
// through the form (so the browser's own Origin and Sec-Fetch-Site headers
// meet the CSRF check), and has axe-core check each page. Screenshots go
// to $AMANE_SCREENSHOTS when set.
func TestTheSamplePageInABrowser(t *testing.T) {
	if why := browsertest.Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	s := newSample(t)
	srv := httptest.NewServer(s.handler) // 127.0.0.1: one of the sample's hosts
	defer srv.Close()

	var scenarios []browsertest.Scenario
	for _, tt := range []struct{ lang, locale, dir, home string }{
		{"en", "en-GB", "ltr", "Home"}, {"fr", "fr-FR", "ltr", "Accueil"}, {"ar", "ar-MA", "rtl", "الرئيسية"},
	} {
		scenarios = append(scenarios, browsertest.Scenario{
			Name:   "sample-" + tt.lang,
			Locale: tt.locale, // the language comes from Accept-Language alone
			Steps: []browsertest.Step{
				browsertest.Goto(srv.URL + "/login"),
				browsertest.ExpectAttr("html", "dir", tt.dir),
				browsertest.Check("web-login-" + tt.lang),
				browsertest.Fill("#f-password", "wrong"),
				browsertest.Click("main button[type=submit]"),
				browsertest.WaitFor("#f-password-error"),
				browsertest.Check("web-login-error-" + tt.lang),
				browsertest.Fill("#f-password", "correct horse"),
				browsertest.Click("main button[type=submit]"),
				browsertest.ExpectText("h1", tt.home),
				browsertest.ExpectAttr("html", "lang", tt.lang),
				browsertest.Check("web-home-" + tt.lang),
				browsertest.Fill("#f-minutes", "soon"),
				browsertest.Click("form.card button[type=submit]"),
				browsertest.WaitFor("#f-minutes-error"),
				browsertest.Check("web-home-error-" + tt.lang),
			},
		})
	}
	scenarios = append(scenarios, browsertest.Scenario{
		Name: "sample-ar-desktop", Width: 1280, Height: 800, Locale: "ar-MA",
		Steps: []browsertest.Step{
			browsertest.Goto(srv.URL + "/login"),
			browsertest.Fill("#f-password", "correct horse"),
			browsertest.Click("main button[type=submit]"),
			browsertest.Check("web-home-ar-desktop"),
		},
	})
	results := browsertest.Run(t, browsertest.Options{}, scenarios...)
	if len(results) != 13 {
		t.Errorf("%d checks ran, want 13", len(results))
	}
	for _, r := range results {
		if want := map[bool]string{true: "rtl", false: "ltr"}[r.Lang == "ar"]; r.Dir != want {
			t.Errorf("%s: dir=%q for lang %q", r.Name, r.Dir, r.Lang)
		}
	}
	if len(s.paused) != 0 {
		t.Errorf("a bad form paused %v", s.paused)
	}
}
