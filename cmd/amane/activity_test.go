package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
	"github.com/miekg/dns"
)

func TestActivityShowsABlockedAttempt(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "adult.txt")
	os.WriteFile(list, []byte("adult.example\n"), 0o644)
	cfg, err := configs.Parse("amane.toml", []byte(`state_dir = "`+dir+`"
[upstream]
servers = ["udp://127.0.0.1:9"]
[[list]]
name = "adult"
category = "adult"
path = "`+list+`"
[[profile]]
name = "kid"
preset = "9-12"
[[device]]
name = "tablet"
ip = "127.0.0.10"
profile = "kid"
`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := appliance.New(cfg, appliance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	m := new(dns.Msg)
	m.SetQuestion("adult.example.", dns.TypeA)
	pkt, _ := m.Pack()
	a.Handler().Answer(netip.MustParseAddr("127.0.0.10"), false, pkt, nil)
	a.Close() // the writer takes the event before it stops

	rep := control(a, controlRequest{Cmd: "activity", Target: "tablet", Blocked: true, Until: time.Now().Add(-time.Hour)})
	var out bytes.Buffer
	writeActivity(&out, rep.Activity)
	if !rep.OK || !strings.Contains(out.String(), "adult.example") || !strings.Contains(out.String(), "BLOCKED category (adult)") {
		t.Fatalf("reply %+v:\n%s", rep, out.String())
	}
}
