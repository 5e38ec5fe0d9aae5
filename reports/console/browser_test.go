package console

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/internal/web/browsertest"
)

// TestTheConsoleInABrowser has an operator, in French and in Arabic on a
// 360 px phone, log in, open the queue, confirm a domain with a reason and
// find the decision in its history; axe-core checks each page. The
// screenshots of the queue and the domain page go to docs/screenshots
// when AMANE_SCREENSHOTS names that directory.
func TestTheConsoleInABrowser(t *testing.T) {
	if why := browsertest.Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	f := newFixtureAt(t, boltStore(t), time.Now)
	srv := httptest.NewServer(f.c.Handler()) // 127.0.0.1: always an allowed host
	defer srv.Close()
	var scenarios []browsertest.Scenario
	for _, tt := range []struct{ lang, locale, dir, domain, reason, confirmed string }{
		{"fr", "fr-FR", "ltr", "groomer.example", "Sextorsion signalée par deux parents", "a confirmé"},
		{"ar", "ar-MA", "rtl", "shop.example", "متجر وهمي أبلغ عنه عدة أولياء", "أكّد"},
	} {
		scenarios = append(scenarios, browsertest.Scenario{
			Name: "console-" + tt.lang, Locale: tt.locale,
			Steps: []browsertest.Step{
				browsertest.Goto(srv.URL + "/"),
				browsertest.Fill("#f-account", "olga"),
				browsertest.Fill("#f-password", password),
				browsertest.Click("main button[type=submit]"),
				browsertest.ExpectAttr("html", "dir", tt.dir),
				browsertest.WaitFor("a[href='/domains/" + tt.domain + "']"),
				browsertest.Check("helpline-queue-" + tt.lang),
				browsertest.Click("a[href='/domains/" + tt.domain + "']"),
				browsertest.Fill("#f-reason", tt.reason),
				browsertest.Click("button[value=confirm]"),
				browsertest.ExpectText(".history", tt.reason),
				browsertest.ExpectText(".history", tt.confirmed),
				browsertest.Check("helpline-domain-" + tt.lang),
			},
		})
	}
	results := browsertest.Run(t, browsertest.Options{}, scenarios...)
	if len(results) != 4 {
		t.Errorf("%d checks ran, want 4", len(results))
	}
	for _, d := range []string{"groomer.example", "shop.example"} {
		if log, _ := f.store.Audit(d); len(log) != 1 || log[0].By != "olga" || log[0].Action != "confirm" {
			t.Errorf("the audit log of %s = %+v; want olga's confirmation", d, log)
		}
	}
	if out := os.Getenv("AMANE_SCREENSHOTS"); out != "" {
		for _, r := range results {
			if !strings.HasPrefix(filepath.Base(r.Screenshot), "helpline-") {
				t.Errorf("unexpected screenshot %s", r.Screenshot)
			}
		}
	}
}
