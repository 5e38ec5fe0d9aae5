package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/reports"
)

func TestTheExampleConfigSetsEveryKeyAndParses(t *testing.T) {
	const path = "../../configs/helpline.toml"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range configs.KeysOf(config{}) {
		table, name := "", key
		if i := strings.LastIndex(key, "."); i >= 0 {
			table, name = key[:i], key[i+1:]
		}
		section := string(src)
		if table != "" {
			_, section, _ = strings.Cut(section, "\n["+table+"]\n")
			section, _, _ = strings.Cut(section, "\n[")
		} else {
			section, _, _ = strings.Cut(section, "\n[")
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` = `).MatchString(section) {
			t.Errorf("%s does not set %s", path, key)
		}
	}
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Feed.Expires != 720*time.Hour || c.Intake.KeyBurst != 10 || c.Reporter.Org != "EMC-Helpline" {
		t.Errorf("the example decodes to %+v", c)
	}
}

func TestConfigProblemsNameFileLineAndKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "helpline.toml")
	writeFiles(t, filepath.Dir(path), map[string]string{"helpline.toml": `state_dir = "state"
[intake]
listen = "127.0.0.1:0"
insecure_http = true
key_rate = 0
adr_rate = 5
[feed]
expires = "10m"
[reporter]
contact = "not an address"
`})
	_, err := loadConfig(path)
	want := []string{
		path + `:5: intake.key_rate: 0, want at least 1`,
		path + `:6: intake.adr_rate: unknown key (did you mean "intake.addr_rate"?)`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("loadConfig = %v\nwant it to say %q", err, w)
		}
	}
	writeFiles(t, filepath.Dir(path), map[string]string{"helpline.toml": "state_dir = \"s\"\n[intake]\ninsecure_http = true\n[feed]\nexpires = \"10m\"\n[reporter]\ncontact = \"x\"\n"})
	_, err = loadConfig(path)
	for _, w := range []string{path + `:5: feed.expires: 10m0s, want at least 1h`, path + `:7: reporter.contact: "x" is not an e-mail address`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("loadConfig = %v\nwant it to say %q", err, w)
		}
	}
}

// helplineDir writes a configuration with plain HTTP on 127.0.0.1, a feed
// key and an operators' list directory; it returns the config's path.
func helplineDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hl") // short: a Unix socket path is at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := helpline(t, "feed", "keygen", "--out", filepath.Join(dir, "keys")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(dir, "lists"), map[string]string{
		"abuse.txt": "bad.example\n", "lists.toml": "[[list]]\nfile = \"abuse.txt\"\ncategory = \"abuse\"\nformat = \"domains\"\nmandatory = true\n",
	})
	writeFiles(t, dir, map[string]string{"helpline.toml": `state_dir = "state"
[intake]
listen = "127.0.0.1:0"
insecure_http = true
[feed]
key = "keys/feed.key"
lists = "lists"
dir = "www/emc"
[reporter]
org = "EMC-Helpline"
contact = "reports@helpline.example"
domain = "helpline.example"
`})
	return filepath.Join(dir, "helpline.toml")
}

// startServe runs serve until the test ends and returns the intake's URL.
func startServe(t *testing.T, cfgPath string) string {
	t.Helper()
	c, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, c, slog.New(slog.DiscardHandler), clock, func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v after its context ended", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("serve = %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start within 10s")
	}
	return ""
}

func postBatch(t *testing.T, url string, body []byte, sig string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/reports", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(reports.SignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestReportConfirmPublishRetractWhileServing(t *testing.T) {
	cfg := helplineDir(t)
	url := startServe(t, cfg)
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	batch := reports.Batch{ID: "0123456789abcdef0123456789abcdef", Reports: []reports.Report{
		{Kind: reports.Manual, Domain: "groomer.example", Category: "cyberviolence", Day: "2026-11-20", Count: 1, Note: "asks for photos", AgeBand: "9-12"},
		{Kind: reports.Watch, Domain: "suspect.example", Category: "abuse", Day: "2026-11-21", Count: 4},
	}}
	body, sig, err := reports.SignBatch(batch, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"id":"0123456789abcdef0123456789abcdef","accepted":2}`, `"duplicate":true`} {
		if code, got := postBatch(t, url, body, sig); code != 200 || !strings.Contains(got, want) {
			t.Fatalf("POST /reports = %d %s; want 200 %s", code, got, want)
		}
	}

	out, err := helpline(t, "reports", "list", "-config", cfg)
	if err != nil || !strings.Contains(out, "groomer.example") || !strings.Contains(out, "2 domains") {
		t.Fatalf("reports list = %q, %v", out, err)
	}
	out, err = helpline(t, "reports", "list", "--kind", "watch", "-config", cfg)
	if err != nil || strings.Contains(out, "groomer.example") || !strings.Contains(out, "1 domains") {
		t.Fatalf("reports list --kind watch = %q, %v", out, err)
	}
	out, err = helpline(t, "reports", "show", "groomer.example", "-config", cfg)
	if err != nil || !strings.Contains(out, "asks for photos") || !strings.Contains(out, "9-12:1") {
		t.Fatalf("reports show = %q, %v", out, err)
	}
	if _, err := helpline(t, "reports", "confirm", "groomer.exampel", "--category", "cyberviolence", "-config", cfg); err == nil ||
		!strings.Contains(err.Error(), "no report names") {
		t.Fatalf("confirming a typo = %v; want a refusal", err)
	}
	if out, err = helpline(t, "reports", "confirm", "groomer.example", "--category", "cyberviolence", "-config", cfg); err != nil {
		t.Fatalf("reports confirm = %q, %v", out, err)
	}
	www := filepath.Join(filepath.Dir(cfg), "www", "emc")
	if out, err = helpline(t, "feed", "publish", "-config", cfg); err != nil || !strings.Contains(out, "confirmed-cyberviolence.txt") || !strings.Contains(out, "confirmed domains: 1") {
		t.Fatalf("feed publish = %q, %v", out, err)
	}
	if b, err := os.ReadFile(filepath.Join(www, "confirmed-cyberviolence.txt")); err != nil || string(b) != "groomer.example\n" {
		t.Fatalf("the confirmed list holds %q, %v", b, err)
	}
	for path, want := range map[string]int{"/feed/manifest.json": 200, "/feed/confirmed-cyberviolence.txt": 200, "/feed/": 404} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}

	if _, err := helpline(t, "reports", "retract", "groomer.example", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	if out, err = helpline(t, "feed", "publish", "-config", cfg); err != nil || strings.Contains(out, "confirmed-") {
		t.Fatalf("feed publish after the retraction = %q, %v; want no confirmed list", out, err)
	}
	if _, err := os.Stat(filepath.Join(www, "confirmed-cyberviolence.txt")); !os.IsNotExist(err) {
		t.Fatalf("the retracted domain's list is still published: %v", err)
	}
	out, err = helpline(t, "stats", "-config", cfg)
	if err != nil || !regexp.MustCompile(`cyberviolence\s+1\s+1\s+1\s+1`).MatchString(out) || !strings.Contains(out, "2026-11") {
		t.Fatalf("stats = %q, %v", out, err)
	}
}

func TestOperatorCommandsOpenTheStoreWhenNothingServes(t *testing.T) {
	cfg := helplineDir(t)
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := reports.OpenStore(c.StateDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := feed.GenerateKey(rand.Reader)
	b := reports.Batch{ID: "00000000000000000000000000000001", Reports: []reports.Report{{Kind: reports.Manual, Domain: "a.example", Category: "scam", Day: "2026-11-20", Count: 1}}}
	body, sig, _ := reports.SignBatch(b, key)
	b, _ = reports.VerifyBatch(body, sig)
	if _, err := s.Receive(b, body, sig, t0); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, err := helpline(t, "reports", "export", "--format", "csv", "-config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "a.example" {
		t.Fatalf("export csv = %q, %v", out, err)
	}
	out, err = helpline(t, "reports", "export", "--format", "xarf", "-config", cfg)
	var xs []reports.XARF
	if err != nil || json.Unmarshal([]byte(out), &xs) != nil || len(xs) != 1 || xs[0].Type != "fraud" || xs[0].Reporter.Org != "EMC-Helpline" {
		t.Fatalf("export xarf = %q, %v", out, err)
	}
	if _, err := helpline(t, "reports", "list", "-config", cfg, "--since", "20 Nov"); err == nil || !strings.Contains(err.Error(), "since") {
		t.Fatalf("a bad --since = %v; want a refusal naming it", err)
	}
}

// TestFeedCatalogSignsACopyOfACatalogSource fetches a catalog source from
// a local mirror into a feed's lists directory and publishes it: the feed
// then carries the category, which its appliances no longer fetch from
// public hosts.
func TestFeedCatalogSignsACopyOfACatalogSource(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/copies/hagezi-nsfw" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("adult.example\nother.example\n"))
	}))
	defer mirror.Close()
	dir := t.TempDir()
	lists, out, keys := filepath.Join(dir, "lists"), filepath.Join(dir, "feed"), filepath.Join(dir, "keys")
	os.MkdirAll(lists, 0o755)
	os.WriteFile(filepath.Join(lists, "abuse.txt"), []byte("abuse.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, feed.ListsFile), []byte("[[list]]\nfile = \"abuse.txt\"\ncategory = \"abuse\"\nformat = \"domains\"\nmandatory = true\n"), 0o644)
	var stdout strings.Builder
	now := func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }
	if err := feedCommand([]string{"catalog", "--lists", lists, "--mirror", mirror.URL + "/copies", "hagezi-nsfw"}, &stdout, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "hagezi-nsfw: 2 names (adult, GPL-3.0)") {
		t.Fatalf("feed catalog said %q", stdout.String())
	}
	if err := feedCommand([]string{"keygen", "--out", keys}, io.Discard, now); err != nil {
		t.Fatal(err)
	}
	if err := feedCommand([]string{"publish", "--key", filepath.Join(keys, "feed.key"), "--lists", lists, "--out", out}, io.Discard, now); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil || !strings.Contains(string(m), `"file": "catalog.hagezi-nsfw"`) || !strings.Contains(string(m), `"category": "adult"`) {
		t.Fatalf("manifest %s, %v", m, err)
	}
	t.Run("a source asked outside its hours without a mirror is refused, saying when", func(t *testing.T) {
		err := feedCommand([]string{"catalog", "--lists", lists, "ut1-adult"}, io.Discard, now)
		if err == nil || !strings.Contains(err.Error(), "19:00-08:00") {
			t.Fatalf("got %v", err)
		}
	})
}
