package policy

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// servicesSnapshot is a child who may not use TikTok, may not use
// Instagram on school nights, and has an hour of Roblox a day.
func servicesSnapshot(t *testing.T) (*Snapshot, *Usage) {
	t.Helper()
	casa := mustLoc(t, "Africa/Casablanca")
	cfg := Config{
		Timezone: "Africa/Casablanca",
		Filter:   DefaultFilterConfig(),
		Profiles: []ProfileConfig{{
			Name: "child", Preset: "9-12", BlockServices: []string{"tiktok"}, Allow: []string{"tiktokv.com"},
			Schedules: []ScheduleConfig{{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "20:00", To: "22:00", BlockServices: []string{"instagram"}}},
			Budgets:   []BudgetConfig{{Services: []string{"roblox"}, Minutes: 1}},
		}},
		Devices: []DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "child"}},
	}
	s, err := NewSnapshot(cfg, set(t, map[blocklist.Category]string{blocklist.Abuse: "abuse.example\n"}), 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := NewUsage(nil, casa, time.Date(2026, 11, 23, 12, 0, 0, 0, casa))
	return s.WithUsage(u), u
}

func TestServices(t *testing.T) {
	s, u := servicesSnapshot(t)
	casa := mustLoc(t, "Africa/Casablanca")
	monday := time.Date(2026, 11, 23, 17, 0, 0, 0, casa)
	tests := []struct {
		name    string
		at      time.Time
		want    Action
		why     Why
		service string
	}{
		{"v16-webapp.tiktok.com", monday, Block, ByService, "tiktok"},
		{"tiktokv.com", monday, Allow, 0, ""}, // the profile's allow list wins over an app
		{"www.instagram.com", monday, Allow, 0, ""},
		{"www.instagram.com", monday.Add(3*time.Hour + 30*time.Minute), Block, ByService, "instagram"},
		{"www.instagram.com", monday.Add(5 * time.Hour), Allow, 0, ""},
		{"en.wikipedia.org", monday, Allow, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+" at "+tt.at.Format("15:04"), func(t *testing.T) {
			d := s.Decide(tablet, tt.name, 1, tt.at)
			if d.Action != tt.want || (tt.want == Block && (d.Why != tt.why || d.ServiceID() != tt.service)) {
				t.Fatalf("decision %+v (service %q)", d, d.ServiceID())
			}
		})
	}
	t.Run("tiktok is blocked for the child's tablet, CDN included, and not for another device", func(t *testing.T) {
		other := Client{Addr: netip.MustParseAddr("192.168.1.99")}
		for _, name := range []string{"www.tiktok.com", "v16-webapp-prime.tiktok.com", "p16-sign-va.tiktokcdn.com"} {
			if d := s.Decide(tablet, name, 1, monday); d.Action != Block || d.ServiceID() != "tiktok" {
				t.Errorf("%s on the tablet: %+v", name, d)
			}
			if d := s.Decide(other, name, 1, monday); d.Action != Allow {
				t.Errorf("%s on another device: %+v", name, d)
			}
		}
	})
	t.Run("a budget counts an app and blocks it once spent", func(t *testing.T) {
		d := s.Decide(tablet, "www.roblox.com", 1, monday)
		if d.Action != Allow || !d.Budgeted {
			t.Fatalf("within the budget: %+v", d)
		}
		u.record(Use{Key: d.Use, At: monday})
		d = s.Decide(tablet, "www.roblox.com", 1, monday.Add(time.Minute))
		if d.Action != Block || d.Why != ByBudget || d.ServiceID() != "roblox" {
			t.Fatalf("spent: %+v", d)
		}
	})
	t.Run("an unknown app is refused with its place", func(t *testing.T) {
		cfg := Config{Filter: DefaultFilterConfig(), Profiles: []ProfileConfig{{Name: "x", BlockServices: []string{"tiktok", "tik-tok"}}}}
		if err := cfg.Validate(); err == nil || !containsKey(err, "profile[0].block_services[1]") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestDecideWithServicesAllocatesNothing(t *testing.T) {
	s, _ := servicesSnapshot(t)
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, s.loc)
	for _, name := range []string{"v16-webapp.tiktok.com", "en.wikipedia.org", "www.roblox.com"} {
		if n := testing.AllocsPerRun(1000, func() { s.Decide(tablet, name, 1, now) }); n != 0 {
			t.Errorf("Decide(%s) allocates %.1f times", name, n)
		}
	}
}

func containsKey(err error, key string) bool {
	return err != nil && strings.Contains(err.Error(), key+":")
}
