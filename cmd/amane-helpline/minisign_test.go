package main

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMinisignReplay does what reports/PROTOCOL.md's worked example does,
// with the real minisign: a key made by `minisign -G -W`, a batch written
// by hand, signed by `minisign -S`, posted with its signature in base64.
func TestMinisignReplay(t *testing.T) {
	if _, err := exec.LookPath("minisign"); err != nil {
		t.Skip("minisign is not installed")
	}
	cfg := helplineDir(t)
	url := startServe(t, cfg)
	dir := t.TempDir()
	pub, sec, batch := filepath.Join(dir, "appliance.pub"), filepath.Join(dir, "appliance.key"), filepath.Join(dir, "batch.json")
	if b, err := exec.Command("minisign", "-G", "-W", "-p", pub, "-s", sec).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	body := `{"schema":1,"id":"5f0c3a9e2b7d41c6a8e9f0123456789a","key":"` + lines[len(lines)-1] + `","reports":[` +
		`{"kind":"manual","domain":"bad.example","category":"cyberviolence","day":"2026-11-23","count":1,"note":"asks for photos","age_band":"13-17"}]}` + "\n"
	writeFiles(t, dir, map[string]string{"batch.json": body})
	if b, err := exec.Command("minisign", "-S", "-s", sec, "-m", batch).CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v\n%s", err, b)
	}
	sig, err := os.ReadFile(batch + ".minisig")
	if err != nil {
		t.Fatal(err)
	}
	header := base64.StdEncoding.EncodeToString(sig)
	if code, got := postBatch(t, url, []byte(body), header); code != 200 || got != `{"id":"5f0c3a9e2b7d41c6a8e9f0123456789a","accepted":1}` {
		t.Fatalf("POST of minisign's batch = %d %s", code, got)
	}
	tampered := strings.Replace(body, "bad.example", "bac.example", 1)
	if code, got := postBatch(t, url, []byte(tampered), header); code != 401 || !strings.Contains(got, "bad signature") {
		t.Fatalf("POST of a tampered batch = %d %s; want 401", code, got)
	}
}
