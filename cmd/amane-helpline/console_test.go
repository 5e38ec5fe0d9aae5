package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
)

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestTheConsoleAndTheCommandLineShareOneAuditLog runs serve with the
// console, confirms a domain in the console and another on the command
// line (through the control socket), publishes from the console, and
// finds both decisions, by their authors, in the audit log.
func TestTheConsoleAndTheCommandLineShareOneAuditLog(t *testing.T) {
	cfg := helplineDir(t)
	storeWith(t, cfg, "shop.example", "fake.example")
	consoleAddr := freeAddr(t)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("[console]\nlisten = \"" + consoleAddr + "\"\n")
	f.Close()
	stdin = strings.NewReader("correct horse battery\n")
	t.Cleanup(func() { stdin = strings.NewReader("") })
	if _, err := helpline(t, "user", "add", "paul", "--role", "publisher", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	startServe(t, cfg)

	// The cookie is carried by hand: serve's clock is the tests' fixed
	// one, long past, and a cookie jar would drop the cookie as expired.
	var session *http.Cookie
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + consoleAddr
	do := func(method, path string, form url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		if session != nil {
			req.AddCookie(session)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp := do(http.MethodPost, path, form)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	resp := do(http.MethodPost, "/login", url.Values{"account": {"paul"}, "password": {"correct horse battery"}})
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "amane_session" {
			session = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if resp.StatusCode != 303 || session == nil {
		t.Fatalf("login = %d, session cookie %v", resp.StatusCode, session)
	}
	resp = do(http.MethodGet, "/domains/shop.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatalf("no CSRF field on the domain page:\n%s", body)
	}
	if code, loc := post("/domains/shop.example", url.Values{"csrf": {csrf[1]}, "action": {"confirm"}, "category": {"scam"}, "reason": {"fake shop"}}); code != 303 || loc != "/domains/shop.example#history" {
		t.Fatalf("confirm in the console = %d to %s", code, loc)
	}
	if _, err := helpline(t, "reports", "confirm", "fake.example", "--category", "phishing", "--reason", "bank login page", "--as", "omar", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	if code, loc := post("/publish", url.Values{"csrf": {csrf[1]}}); code != 303 || !strings.HasPrefix(loc, "/publish?published=") {
		t.Fatalf("publish from the console = %d to %s", code, loc)
	}
	www := filepath.Join(filepath.Dir(cfg), "www", "emc")
	if b, err := os.ReadFile(filepath.Join(www, "confirmed-scam.txt")); err != nil || string(b) != "shop.example\n" {
		t.Fatalf("the console's publication holds %q, %v", b, err)
	}
	t.Run("an appliance subscribed to the feed blocks what the console confirmed", func(t *testing.T) {
		applianceBlocks(t, www, filepath.Join(filepath.Dir(cfg), "keys", "feed.pub"), "www.shop.example")
	})
	resp = do(http.MethodGet, "/domains/fake.example", nil)
	if body := readAll(t, resp); !strings.Contains(body, "<bdi>omar</bdi>") || !strings.Contains(body, "bank login page") {
		t.Errorf("the console does not show the command line's decision")
	}
	var shop []reports.AuditEntry
	if err := call(t, cfg, "shop.example", &shop); err != nil || len(shop) != 1 || shop[0].By != "paul" || shop[0].Reason != "fake shop" {
		t.Errorf("the console's confirmation in the audit log: %+v, %v", shop, err)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// call reads a domain's audit log through the running server's control
// socket, as the operators' commands do.
func call(t *testing.T, cfg, domain string, out *[]reports.AuditEntry) error {
	t.Helper()
	c, err := loadConfig(cfg)
	if err != nil {
		return err
	}
	a, err := openAdmin(c, clock)
	if err != nil {
		return err
	}
	defer a.close()
	return a.call("/audit?domain="+url.QueryEscape(domain), nil, out)
}

func TestTheConsoleNeedsItsOwnListenerAndAStateDir(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ conf, want string }{
		{"state_dir = \"s\"\n[intake]\nlisten = \"127.0.0.1:8443\"\ninsecure_http = true\n[console]\nlisten = \"127.0.0.1:8443\"\n", "console.listen: \"127.0.0.1:8443\" is the intake's"},
		{"[store]\npostgres = \"postgres://h@127.0.0.1/db\"\n[intake]\nlisten = \"127.0.0.1:8443\"\ninsecure_http = true\n[console]\nlisten = \"127.0.0.1:8444\"\n", "state_dir: required for the console"},
	} {
		writeFiles(t, dir, map[string]string{"helpline.toml": tc.conf})
		if _, err := loadConfig(filepath.Join(dir, "helpline.toml")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loading\n%s= %v; want %q", tc.conf, err, tc.want)
		}
	}
}

// applianceBlocks serves the feed directory www on loopback, runs an
// appliance subscribed to it (on the tests' clock), and waits until it
// blocks name: the helpline's decision has reached a family's DNS.
func applianceBlocks(t *testing.T, www, pubFile, name string) {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(www)))
	defer srv.Close()
	b, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := feed.ParsePublicKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Parse("amane.toml", []byte(fmt.Sprintf(`state_dir = %q
[upstream]
servers = ["udp://127.0.0.1:9"]
[catalog]
enabled = false
[filter]
block = ["scam"]
[[feed]]
name = "emc"
url = %q
public_key = %q
`, t.TempDir(), srv.URL+"/", pub.String())))
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan struct{}, 1)
	app, err := appliance.New(cfg, appliance.Options{Now: clock, Published: published})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.Start()
	deadline := time.After(10 * time.Second)
	for app.Policy().Decide(policy.Client{}, name, 1, clock()).Action != policy.Block {
		select {
		case <-published:
		case <-deadline:
			t.Fatalf("the appliance does not block %s 10 s after the publication", name)
		}
	}
}
