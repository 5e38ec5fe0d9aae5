package main

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/pgtest"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/pgstore"
)

// cluster is the PostgreSQL server of this package's tests; nil when
// PostgreSQL is not installed.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// TestTwoServersOnOnePostgres runs the helpline as two intake servers on
// one database: serve refuses the schema until migrate, a batch posted to
// both is stored once, the operators' commands see it from either
// configuration, and both serve the feed published once.
func TestTwoServersOnOnePostgres(t *testing.T) {
	pgtest.Skip(t, cluster)
	cfg := helplineDir(t)
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pgConf := strings.Replace(string(src), "[intake]", "[store]\npostgres = \""+cluster.NewDatabase(t)+"\"\n[intake]", 1)
	writeFiles(t, filepath.Dir(cfg), map[string]string{"helpline.toml": pgConf})
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := serve(t.Context(), c, slog.New(slog.DiscardHandler), clock, nil); err == nil || !strings.Contains(err.Error(), "run amane-helpline migrate") {
		t.Fatalf("serve before migrate = %v; want a refusal naming migrate", err)
	}
	if out, err := helpline(t, "migrate", "-config", cfg); err != nil || !strings.Contains(out, "migrated to version") {
		t.Fatalf("migrate = %q, %v", out, err)
	}
	if out, err := helpline(t, "migrate", "-config", cfg); err != nil || !strings.Contains(out, "already at version") {
		t.Fatalf("migrate again = %q, %v", out, err)
	}

	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body, sig, err := reports.SignBatch(reports.Batch{ID: "00000000000000000000000000000042", Reports: []reports.Report{
		{Kind: reports.Manual, Domain: "groomer.example", Category: "cyberviolence", Day: "2026-11-20", Count: 1, Note: "asks for photos"},
	}}, key)
	if err != nil {
		t.Fatal(err)
	}
	// Published before the servers start, which load the newest version
	// (they look again every feedReload).
	urls := []string{}
	firstAck := true
	for i := range 2 {
		if i == 0 {
			if out, err := helpline(t, "feed", "publish", "-config", cfg); err != nil || !strings.Contains(out, "in the database") {
				t.Fatalf("feed publish = %q, %v", out, err)
			}
		}
		urls = append(urls, startServe(t, cfg))
	}
	for i, url := range urls {
		code, got := postBatch(t, url, body, sig)
		if code != 200 || strings.Contains(got, "duplicate") != !firstAck {
			t.Fatalf("server %d: POST /reports = %d %s", i, code, got)
		}
		firstAck = false
		resp, err := http.Get(url + "/feed/" + feed.ManifestFile)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(m), `"abuse.txt"`) {
			t.Fatalf("server %d: GET the manifest = %d %.200s", i, resp.StatusCode, m)
		}
	}
	if out, err := helpline(t, "reports", "confirm", "groomer.example", "--category", "cyberviolence", "-config", cfg); err != nil {
		t.Fatalf("reports confirm = %q, %v", out, err)
	}
	out, err := helpline(t, "stats", "-config", cfg)
	if err != nil || !strings.Contains(out, "cyberviolence  1") {
		t.Fatalf("stats = %q, %v", out, err)
	}
	s, err := pgstore.Open(t.Context(), c.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Batches(); err != nil || n != 1 {
		t.Fatalf("Batches = %d, %v; want the batch stored once", n, err)
	}
}

func TestStoreConfigRefusesAPasswordInTheFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"helpline.toml": `[store]
postgres = "postgres://helpline:hunter2@db.example/helpline"
[intake]
insecure_http = true
`})
	path := filepath.Join(dir, "helpline.toml")
	_, err := loadConfig(path)
	if err == nil || !strings.Contains(err.Error(), path+":2: store.postgres: carries a password") {
		t.Fatalf("loadConfig = %v; want the password refused at line 2", err)
	}
}

// TestTheConsolePublishesIntoPostgres publishes from the console's
// publisher on PostgreSQL: through the advisory-locked PublishFeed, and
// what it compares the next version with is the database's newest.
func TestTheConsolePublishesIntoPostgres(t *testing.T) {
	pgtest.Skip(t, cluster)
	cfg := helplineDir(t)
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Store = pgstore.Config{Postgres: cluster.NewDatabase(t)}
	if _, err := pgstore.Migrate(t.Context(), c.Store); err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(t.Context(), c.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, _ := feed.GenerateKey(rand.Reader)
	b := reports.Batch{ID: "00000000000000000000000000000043", Reports: []reports.Report{{Kind: reports.Manual, Domain: "scam.example", Category: "scam", Day: "2026-11-20", Count: 1}}}
	body, sig, _ := reports.SignBatch(b, key)
	b, _ = reports.VerifyBatch(body, sig)
	if _, err := s.Receive(b, body, sig, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm("scam.example", "scam", reports.Decision{By: "paul", At: t0}); err != nil {
		t.Fatal(err)
	}
	p := &feedPublisher{c: c, store: s, now: clock}
	if old, err := p.Published(); err != nil || len(old) != 0 {
		t.Fatalf("Published before any publication = %v, %v; want nothing", old, err)
	}
	v, err := p.Publish(t.Context())
	if err != nil || v == 0 {
		t.Fatalf("Publish = %d, %v", v, err)
	}
	if got, err := p.Published(); err != nil || len(got["scam"]) != 1 || got["scam"][0] != "scam.example" {
		t.Fatalf("Published after publishing = %v, %v; want scam.example", got, err)
	}
}
