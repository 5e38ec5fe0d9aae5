package main

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

// storeWith receives one manual report of each domain into the bbolt
// store of cfg, closing it again so the commands can open it.
func storeWith(t *testing.T, cfg string, domains ...string) {
	t.Helper()
	c, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := reports.OpenStore(c.StateDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, _ := feed.GenerateKey(rand.Reader)
	var rs []reports.Report
	for _, d := range domains {
		rs = append(rs, reports.Report{Kind: reports.Manual, Domain: d, Category: "scam", Day: "2026-11-20", Count: 1, Note: "a fake shop"})
	}
	b := reports.Batch{ID: "00000000000000000000000000000002", Reports: rs}
	body, sig, _ := reports.SignBatch(b, key)
	b, _ = reports.VerifyBatch(body, sig)
	if _, err := s.Receive(b, body, sig, t0); err != nil {
		t.Fatal(err)
	}
}

// readStore opens cfg's bbolt store for fn.
func readStore(t *testing.T, cfg string, fn func(reports.Store)) {
	t.Helper()
	c, _ := loadConfig(cfg)
	s, err := reports.OpenStore(c.StateDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

func TestTriageOnTheCommandLineIsAudited(t *testing.T) {
	cfg := helplineDir(t)
	storeWith(t, cfg, "shop.example")
	if _, err := helpline(t, "reports", "confirm", "shop.example", "--category", "scam", "--reason", "fake shop, 12 reports", "--as", "ana", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := helpline(t, "reports", "retract", "shop.example", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	if out, err := helpline(t, "reports", "show", "shop.example", "-config", cfg); err != nil || !strings.Contains(out, "history:\n  2026-11-23T12:00:00Z ana confirm (scam): fake shop, 12 reports") {
		t.Errorf("reports show = %q, %v; want the history", out, err)
	}
	me, err := osUser()
	if err != nil {
		t.Fatal(err)
	}
	readStore(t, cfg, func(s reports.Store) {
		log, err := s.Audit("shop.example")
		if err != nil || len(log) != 2 {
			t.Fatalf("Audit = %+v, %v; want two entries", log, err)
		}
		if e := log[0]; e.By != "ana" || e.Action != "confirm" || e.Category != "scam" || e.Reason != "fake shop, 12 reports" || !e.At.Equal(t0) {
			t.Errorf("the confirmation was recorded as %+v", e)
		}
		if e := log[1]; e.By != me || e.Action != "retract" || !strings.HasPrefix(me, "os:") {
			t.Errorf("the retraction was recorded as %+v; want by %s", e, me)
		}
	})
}

func TestUserAddListRemove(t *testing.T) {
	cfg := helplineDir(t)
	t.Cleanup(func() { stdin = strings.NewReader("") })
	stdin = strings.NewReader("short\n")
	if _, err := helpline(t, "user", "add", "ana", "--role", "publisher", "-config", cfg); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Fatalf("a short password = %v; want a refusal", err)
	}
	if _, err := helpline(t, "user", "add", "ana", "--role", "boss", "-config", cfg); err == nil || !strings.Contains(err.Error(), "boss") {
		t.Fatalf("an unknown role = %v; want a refusal naming it", err)
	}
	stdin = strings.NewReader("correct horse battery\n")
	if out, err := helpline(t, "user", "add", "ana", "--role", "publisher", "-config", cfg); err != nil || !strings.Contains(out, "added as publisher") {
		t.Fatalf("user add = %q, %v", out, err)
	}
	stdin = strings.NewReader("another long one\n")
	if _, err := helpline(t, "user", "add", "ana", "--role", "operator", "-config", cfg); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("adding ana twice = %v", err)
	}
	if out, err := helpline(t, "user", "list", "-config", cfg); err != nil || !strings.Contains(out, "ana   publisher") {
		t.Fatalf("user list = %q, %v", out, err)
	}
	readStore(t, cfg, func(s reports.Store) {
		a, err := s.Account("ana")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := web.CheckPassword(a.Hash, "correct horse battery"); !ok {
			t.Error("the stored hash does not check the password given on stdin")
		}
	})
	if _, err := helpline(t, "user", "remove", "ana", "-config", cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := helpline(t, "user", "remove", "ana", "-config", cfg); err == nil {
		t.Fatal("removing ana twice succeeded")
	}
	readStore(t, cfg, func(s reports.Store) {
		if log, _ := s.Audit(""); len(log) != 2 || log[0].Action != "account.add" || log[1].Action != "account.remove" {
			t.Errorf("the audit log of the accounts = %+v", log)
		}
	})
}
