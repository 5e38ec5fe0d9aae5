package blockpage

import (
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/internal/web/browsertest"
)

// helplineFeed publishes a signed feed with the helpline's contact
// details on a local server, as a helpline does, issued at the time
// given: the appliance's clock in these tests is fixed, and it refuses a
// manifest from its future.
func helplineFeed(t *testing.T, issued time.Time) (url string, pub string) {
	t.Helper()
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lists, out := filepath.Join(dir, "lists"), filepath.Join(dir, "feed")
	os.MkdirAll(lists, 0o755)
	os.WriteFile(filepath.Join(lists, "abuse.txt"), []byte("abuse.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, feed.ListsFile), []byte("[[list]]\nfile = \"abuse.txt\"\ncategory = \"abuse\"\nformat = \"domains\"\nmandatory = true\n"), 0o644)
	contact := &feed.Contact{
		Name:    feed.Localized{"fr": "la ligne d'écoute EMC", "ar": "خط الإنصات", "en": "the EMC helpline"},
		Phone:   "+212 5 00 00 00 00",
		WebChat: "https://helpline.example/chat",
		Hours:   feed.Localized{"fr": "24 h/24, 7 j/7", "ar": "على مدار الساعة", "en": "24/7"},
	}
	if _, err := feed.Publish(feed.PublishOptions{Key: key, ListsDir: lists, OutDir: out, Name: "emc", Contact: contact, Accept: appliance.AcceptList,
		Now: func() time.Time { return issued }}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(out)))
	t.Cleanup(srv.Close)
	return srv.URL + "/", key.Public().String()
}

// blockFixture is an appliance with a child's profile (games and TikTok
// blocked, bedtime 21:00-07:00) for the device 127.0.0.1, the helpline's
// signed feed taken, and its block page served on loopback.
type blockFixture struct {
	app *appliance.Appliance
	srv *httptest.Server
	now *time.Time
}

func newBlockFixture(t *testing.T) *blockFixture {
	t.Helper()
	evening := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	feedURL, pub := helplineFeed(t, evening.Add(-time.Hour))
	dir := t.TempDir()
	games := filepath.Join(dir, "games.txt")
	os.WriteFile(games, []byte("game.example\n"), 0o644)
	cfg, err := configs.Parse("amane.toml", []byte(fmt.Sprintf(`state_dir = %q
timezone = "UTC"
[upstream]
servers = ["udp://127.0.0.1:9"]
[catalog]
enabled = false
[[feed]]
name = "emc"
url = %q
public_key = %q
[[list]]
name = "games"
category = "games"
path = %q
[[profile]]
name = "yasmine"
preset = "9-12"
block = ["games"]
block_services = ["tiktok"]
[[profile.schedule]]
days = ["all"]
from = "21:00"
to = "07:00"
block = "all"
[[device]]
name = "tablet"
ip = "127.0.0.1"
profile = "yasmine"
`, dir, feedURL, pub, games)))
	if err != nil {
		t.Fatal(err)
	}
	now := evening
	published := make(chan struct{}, 1)
	app, err := appliance.New(cfg, appliance.Options{Now: func() time.Time { return now }, Published: published})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	app.Start()
	deadline := time.After(10 * time.Second)
	for app.HelplineContact() == nil {
		select {
		case <-published:
		case <-deadline:
			t.Fatal("the helpline's feed was not taken within 10 s")
		}
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	page, err := New(app, assets, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := page.Check(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Chain(page, web.Headers))
	t.Cleanup(srv.Close)
	return &blockFixture{app: app, srv: srv, now: &now}
}

func TestTheBlockPageSaysWhyAndHowToGetHelp(t *testing.T) {
	f := newBlockFixture(t)
	srv, app, evening := f.srv, f.app, *f.now

	get := func(host, lang string) (string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/some/page", nil)
		req.Host, req.Header["Accept-Language"] = host, []string{lang}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp
	}
	tests := []struct {
		name, host, lang string
		at               time.Time
		want             []string
	}{
		{"an app, in French", "www.tiktok.com", "fr-MA,fr;q=0.9", evening,
			[]string{`lang="fr" dir="ltr"`, "Ce site est bloqué", "TikTok est bloqué sur cet appareil.", "la ligne d&#39;écoute EMC", `href="tel:&#43;212500000000"`, "24 h/24, 7 j/7"}},
		{"bedtime, in Arabic", "game.example", "ar", evening.Add(4 * time.Hour),
			[]string{`lang="ar" dir="rtl"`, "هذا الموقع محجوب", "حان وقت النوم: الإنترنت متوقف على هذا الجهاز حتى غدًا 07:00", "خط الإنصات", "على مدار الساعة"}},
		{"a games list, in English", "play.game.example", "en", evening,
			[]string{"It is blocked on this device: Games."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*f.now = tt.at
			body, resp := get(tt.host, tt.lang)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %q:\n%s", w, body)
				}
			}
			if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 || resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("status %d, cookies %v, CSP %q", resp.StatusCode, resp.Cookies(), resp.Header.Get("Content-Security-Policy"))
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "//cdn") {
				t.Errorf("the page loads something from outside the appliance:\n%s", body)
			}
		})
	}
	t.Run("asking a parent raises an alert the console lists", func(t *testing.T) {
		*f.now = evening
		resp, err := http.PostForm(srv.URL+"/ask", url.Values{"note": {"for my homework"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var found bool
		for _, al := range app.Alerts() {
			found = found || al.Kind == alert.AskParent && al.Device == "tablet" && strings.Contains(al.Note, "homework")
		}
		if !found {
			t.Fatalf("alerts %+v", app.Alerts())
		}
	})
}

// TestEveryMessageIsInEveryLanguage fails when a key is missing from a
// language, or a plural form, or its %s differ from English.
func TestEveryMessageIsInEveryLanguage(t *testing.T) {
	locales, _ := fs.Sub(files, "locales")
	cats, err := web.NewCatalogs(locales)
	if err != nil {
		t.Fatal(err)
	}
	if err := cats.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestTheBlockPageInABrowser shows the page as a child's phone does, at
// 360 px: a blocked app in French, bedtime in Arabic (right to left), each
// checked by axe-core; the screenshots go to $AMANE_SCREENSHOTS.
func TestTheBlockPageInABrowser(t *testing.T) {
	if why := browsertest.Available(); why != "" {
		t.Skip("browser test skipped: " + why)
	}
	f := newBlockFixture(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	*f.now = time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	results := browsertest.Run(t, browsertest.Options{LoopbackNames: true},
		browsertest.Scenario{Name: "blockpage-fr", Locale: "fr-FR", Steps: []browsertest.Step{
			browsertest.Goto("http://www.tiktok.com:" + port + "/"),
			browsertest.ExpectText(".reason", "TikTok est bloqué sur cet appareil."),
			browsertest.ExpectAttr("html", "dir", "ltr"),
			browsertest.Check("blockpage-fr"),
		}},
		browsertest.Scenario{Name: "blockpage-ar", Locale: "ar-MA", Steps: []browsertest.Step{
			browsertest.Goto("http://play.game.example:" + port + "/"),
			browsertest.ExpectAttr("html", "dir", "rtl"),
			browsertest.ExpectText(".reason", "الألعاب"),
			browsertest.Check("blockpage-ar"),
		}},
	)
	if len(results) != 2 {
		t.Fatalf("%d checks ran, want 2", len(results))
	}
}
