package harness

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// The load test's config is PERFORMANCE.md's realistic policy, and amane
// takes it: 5 profiles, 20 devices, 2 networks, and the load generator a
// named device whose schedules never apply during a run but do apply in
// their window.
func TestHouseholdIsTheRealisticPolicyAndNoScheduleAppliesDuringARun(t *testing.T) {
	now := time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC) // a Thursday
	path := filepath.Join(t.TempDir(), "amane.toml")
	conf := AmaneConfig(t.TempDir(), "127.0.0.1:5353", "127.0.0.1:5300") + "\n" + Household("127.0.0.1", now)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatalf("amane refuses the load test's config: %v\n%s", err, conf)
	}
	pc := cfg.Policy()
	if len(pc.Profiles) != 5 || len(pc.Devices) != 20 || len(pc.Networks) != 2 {
		t.Fatalf("%d profiles, %d devices, %d networks; want 5, 20, 2", len(pc.Profiles), len(pc.Devices), len(pc.Networks))
	}
	set, err := blocklist.NewBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.NewSnapshot(pc, set, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	client := policy.Client{Addr: netip.MustParseAddr("127.0.0.1")}
	if id := p.Identify(client); id.Device != "d0" || id.Profile != "p0" || id.AgeBand != "adult" {
		t.Fatalf("the load generator is %+v; want device d0 on the adult profile p0", id)
	}
	for _, tc := range []struct {
		at   time.Time
		want policy.Action
	}{
		{now, policy.Allow},
		{now.Add(time.Hour), policy.Allow}, // a long run
		{now.Add(7 * time.Hour), policy.Block},
	} {
		d := p.Decide(client, "example.org", dns.TypeA, tc.at)
		if d.Action != tc.want {
			t.Errorf("at %s: %+v; want action %v", tc.at.Format("15:04"), d, tc.want)
		}
	}
}
