package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/packaging/doctor"
	"github.com/amane-dns/amane/reports"
)

// fakeHelpline serves a signed feed at /feed/ and takes report batches at
// /reports like the real intake (signature, idempotency), and keeps every
// byte it was sent.
type fakeHelpline struct {
	*httptest.Server
	key      feed.SecretKey
	mu       sync.Mutex
	captured bytes.Buffer
	batches  map[string]reports.Batch
}

func startFakeHelpline(t *testing.T, lists map[string]string) *fakeHelpline {
	t.Helper()
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, out := filepath.Join(dir, "lists"), filepath.Join(dir, "feed")
	os.MkdirAll(src, 0o755)
	var toml strings.Builder
	for file, spec := range lists { // spec: "category flag names..."
		f := strings.Fields(spec)
		os.WriteFile(filepath.Join(src, file), []byte(strings.Join(f[2:], "\n")+"\n"), 0o644)
		fmt.Fprintf(&toml, "[[list]]\nfile = %q\ncategory = %q\nformat = \"domains\"\n%s = true\n", file, f[0], f[1])
	}
	os.WriteFile(filepath.Join(src, feed.ListsFile), []byte(toml.String()), 0o644)
	if _, err := feed.Publish(feed.PublishOptions{Key: key, ListsDir: src, OutDir: out, Name: "emc", Accept: appliance.AcceptList}); err != nil {
		t.Fatal(err)
	}
	h := &fakeHelpline{key: key, batches: map[string]reports.Batch{}}
	files := http.StripPrefix("/feed/", http.FileServer(http.Dir(out)))
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		h.mu.Lock()
		h.captured.Write(dump)
		h.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/feed/") {
			files.ServeHTTP(w, r)
			return
		}
		raw, _ := io.ReadAll(r.Body) // DumpRequest left a copy
		b, err := reports.VerifyBatch(raw, r.Header.Get(reports.SignatureHeader))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(reports.Refusal{Error: err.Error()})
			return
		}
		h.mu.Lock()
		_, dup := h.batches[b.ID]
		h.batches[b.ID] = b
		h.mu.Unlock()
		json.NewEncoder(w).Encode(reports.Ack{ID: b.ID, Accepted: len(b.Reports), Duplicate: dup})
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *fakeHelpline) reports() []reports.Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []reports.Report
	for _, b := range h.batches {
		out = append(out, b.Reports...)
	}
	return out
}

func (h *fakeHelpline) config(shareAge bool) string {
	return fmt.Sprintf("[helpline]\nurl = %q\npublic_key = %q\nshare_age_band = %v\n", h.URL+"/", h.key.Public().String(), shareAge)
}

// askFrom sends one query from a given loopback source address, as a
// device of the home would.
func askFrom(t *testing.T, from, server, name string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s asking %s: %v", from, name, err)
	}
	return r
}

// waitDelivered waits until cond holds, reading the daemon's log for each
// batch the helpline acknowledges (a signal, with waitLog's deadline).
func waitDelivered(t *testing.T, d *daemon, cond func() bool) {
	t.Helper()
	for !cond() {
		d.waitLogWithin(t, "reports delivered to the helpline", 20*time.Second)
	}
}

// TestReportsLeaveNothingThatIdentifiesAFamily runs the appliance for a
// home of three devices, named, with MACs and host names from the DHCP
// leases and profiles of their own. They browse (suspected names of the
// helpline's watch list, an abuse domain, ordinary sites), a parent
// reports a site by hand, and the day's counts go out once the day is
// over. Every byte the appliance sent the helpline — feed polls and report
// batches — is captured and searched for anything that identifies them.
func TestReportsLeaveNothingThatIdentifiesAFamily(t *testing.T) {
	up := startFakeUpstream(t)
	hl := startFakeHelpline(t, map[string]string{
		"suspect.txt": "cyberviolence watch suspect.example",
		"abuse.txt":   "abuse mandatory csam.example",
	})
	dir := t.TempDir()
	leases := filepath.Join(dir, "dnsmasq.leases")
	os.WriteFile(leases, []byte(
		"1900000000 02:aa:bb:cc:dd:01 127.0.0.2 yasmine-ipad 01:02:aa:bb:cc:dd:01\n"+
			"1900000000 02:aa:bb:cc:dd:02 127.0.0.3 omar-laptop *\n"+
			"1900000000 02:aa:bb:cc:dd:03 127.0.0.4 salma-phone *\n"), 0o644)
	identity := `
[identify]
leases = [%q]
[[profile]]
name = "yasmine-profile"
preset = "under-9"
[[profile]]
name = "omar-profile"
preset = "13-17"
[[device]]
name = "Yasmine's iPad"
mac = "02:aa:bb:cc:dd:01"
profile = "yasmine-profile"
[[device]]
name = "Omar's laptop"
mac = "02:aa:bb:cc:dd:02"
profile = "omar-profile"
[[device]]
name = "Salma's phone"
mac = "02:aa:bb:cc:dd:03"
profile = "default"
`
	path := filepath.Join(dir, "amane.toml")
	// The day's counts leave once the day is over where the appliance is.
	// Run it first at UTC-12, then at UTC+14: 26 hours apart, the first
	// run's day has ended in the second's, whatever the time of the test.
	cfg := func(tz string) {
		writeConfig(t, path, "127.0.0.1:0", up.Addr(), fmt.Sprintf("timezone = %q\n", tz)+hl.config(true)+fmt.Sprintf(identity, leases))
	}
	cfg("Etc/GMT+12")
	d := startDaemon(t, path)
	listen := d.waitFeed(t)

	for _, dev := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		askFrom(t, dev, listen, "chat.suspect.example")
		askFrom(t, dev, listen, "www.example.org")
		if r := askFrom(t, dev, listen, "img.csam.example"); r.Rcode != dns.RcodeNameError {
			t.Fatalf("the mandatory abuse list did not block for %s: %v", dev, r)
		}
	}
	askFrom(t, "127.0.0.2", listen, "suspect.example")
	// The watch list never blocks.
	if r := askFrom(t, "127.0.0.3", listen, "suspect.example"); r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
		t.Fatalf("a watched name was blocked: %v", r)
	}

	var out strings.Builder
	if err := explain(&out, []string{"-config", path, "chat.suspect.example"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "answered") || !strings.Contains(out.String(), "on a helpline watch list") ||
		!strings.Contains(out.String(), `"emc/suspect.txt"`) {
		t.Fatalf("explain says:\n%s", out.String())
	}
	out.Reset()
	if err := report([]string{"-config", path, "https://Bully.Example/profile/yasmine", "--category", "cyberviolence",
		"--note", "Someone sends my daughter threats", "--age-band", "under-9"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Saved: bully.example (cyberviolence)") {
		t.Fatalf("amane report said %q", out.String())
	}
	waitDelivered(t, d, func() bool { return len(hl.reports()) == 1 })
	if r := hl.reports()[0]; r.Kind != reports.Manual || r.Domain != "bully.example" || r.AgeBand != "under-9" || r.Note != "Someone sends my daughter threats" {
		t.Fatalf("manual report %+v", r)
	}

	loaded, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := checkReports(loaded, time.Now()); len(r) != 1 || r[0].Status != doctor.OK || !strings.HasPrefix(r[0].Msg, "1 reports acknowledged") {
		t.Fatalf("amane doctor says %+v", r)
	}

	out.Reset()
	if err := report([]string{"-config", path, "--status"}, &out); err != nil {
		t.Fatal(err)
	}
	if st := out.String(); !strings.Contains(st, "acknowledged by the helpline: 1 reports (1 by hand) in 1 batches") ||
		!strings.Contains(st, "waiting: 0 reports by hand") || !strings.HasPrefix(st, "report key: RW") {
		t.Fatalf("amane report --status says:\n%s", st)
	}

	d.cmd.Process.Signal(syscall.SIGTERM) // the day's counts are written at shutdown
	d.cmd.Wait()
	out.Reset() // a report made while amane is stopped is kept, and sent when it starts
	if err := report([]string{"-config", path, "late.example", "--category", "scam"}, &out); err != nil {
		t.Fatal(err)
	}
	cfg("Etc/GMT-14")
	d = startDaemon(t, path)
	waitDelivered(t, d, func() bool { // the report made while stopped, and the day's counts
		var late, counts bool
		for _, r := range hl.reports() {
			late = late || r.Domain == "late.example"
			counts = counts || r.Kind != reports.Manual
		}
		return late && counts
	})
	counts := map[string]uint32{}
	for _, r := range hl.reports() {
		if r.Kind != reports.Manual {
			counts[fmt.Sprintf("%s %s %s %s", r.Kind, r.Domain, r.Category, r.AgeBand)] += r.Count
		}
	}
	want := map[string]uint32{
		"watch suspect.example cyberviolence under-9": 2, // the listed domain, never the query's own labels
		"watch suspect.example cyberviolence 13-17":   2,
		"watch suspect.example cyberviolence ":        1, // the default profile has no age band
		"mandatory csam.example abuse under-9":        1,
		"mandatory csam.example abuse 13-17":          1,
		"mandatory csam.example abuse ":               1,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts received:\n%v\nwant:\n%v", counts, want)
	}

	hl.mu.Lock()
	sent := strings.ToLower(hl.captured.String())
	hl.mu.Unlock()
	for _, secret := range []string{
		"127.0.0.2", "127.0.0.3", "127.0.0.4",
		"02:aa:bb:cc:dd:0", "02aabbccdd0", "02-aa-bb-cc-dd-0", "aqq7zn0", // MACs, in any spelling, and base64
		"yasmine", "omar", "salma", "ipad", "laptop", "phone",
		"profile", "chat.suspect", "img.csam", "www.example.org",
	} {
		if strings.Contains(sent, secret) {
			i := strings.Index(sent, secret)
			t.Errorf("the helpline was sent %q: …%s…", secret, sent[max(0, i-80):min(len(sent), i+80)])
		}
	}
	if !strings.Contains(sent, "bully.example") {
		t.Fatal("the capture missed the report: the search above proves nothing")
	}
}
