package policy

import (
	"net/netip"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// exemptionsSnapshot is a child's profile where every way amane knows to
// let a name through is aimed at names a mandatory category lists:
// always_allow, a feed's contact domains, a list's exception and the
// profile's allow; plus a helpline contact that nothing lists.
func exemptionsSnapshot(t *testing.T) (*Snapshot, *Pauses, *Usage) {
	t.Helper()
	casa := mustLoc(t, "Africa/Casablanca")
	cfg := Config{
		Timezone:    "Africa/Casablanca",
		Filter:      DefaultFilterConfig(),
		AlwaysAllow: []string{"bad.example", "casino.example"},
		Profiles: []ProfileConfig{{
			Name: "child", Preset: "9-12",
			Allow:     []string{"bad.example", "casino.example"},
			Schedules: []ScheduleConfig{{Days: []string{"all"}, From: "21:00", To: "07:00", Block: CategorySpec{All: true}}},
			Budgets:   []BudgetConfig{{Categories: []string{"games"}, Minutes: 1}},
		}},
		Devices: []DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "child"}},
	}
	set := set(t, map[blocklist.Category]string{
		blocklist.Abuse:    "bad.example\n",
		blocklist.Gambling: "casino.example\n",
		blocklist.Malware:  "phish.example\n",
		blocklist.Games:    "help.example\nplay.example\n",
		blocklist.Ads:      "@@||bad.example^\n@@||casino.example^\n",
	})
	contacts := Contacts{
		Domains: []ContactDomain{
			{Name: "bad.example", Feed: "district"},
			{Name: "phish.example", Feed: "district"},
			{Name: "help.example", Feed: "emc"},
		},
		FeedCategories: blocklist.CategoriesOf(blocklist.Malware, blocklist.Gambling),
	}
	// Gambling is mandatory here as a feed marks it.
	s, err := NewSnapshot(cfg, set, blocklist.CategoriesOf(blocklist.Gambling), contacts)
	if err != nil {
		t.Fatal(err)
	}
	pauses, _ := NewPauses(nil)
	u, _ := NewUsage(nil, casa, time.Date(2026, 11, 23, 12, 0, 0, 0, casa))
	return s.WithPauses(pauses).WithUsage(u), pauses, u
}

func TestNothingLiftsAMandatoryCategory(t *testing.T) {
	s, pauses, _ := exemptionsSnapshot(t)
	casa := mustLoc(t, "Africa/Casablanca")
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, casa)
	night := time.Date(2026, 11, 23, 22, 0, 0, 0, casa)
	// Every state the device can be in, each with its own way out.
	states := []struct {
		name string
		at   time.Time
		set  func(t *testing.T)
	}{
		{"in the afternoon", noon, func(*testing.T) {}},
		{"at bedtime", night, func(*testing.T) {}},
		{"while paused", noon, func(t *testing.T) {
			if err := pauses.Pause("tablet", noon.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	names := []struct {
		name, how string
	}{
		{"bad.example", "always_allow, another feed's contact domain, a list's exception and the profile's allow"},
		{"casino.example", "always_allow, a list's exception and the profile's allow, over a feed's mandatory category"},
	}
	for _, st := range states {
		st.set(t)
		for _, n := range names {
			for _, prefix := range []string{"", "www.", "a.b.c."} {
				name := prefix + n.name
				t.Run(name+" stays blocked "+st.name+" despite "+n.how, func(t *testing.T) {
					d := s.Decide(tablet, name, 1, st.at)
					if d.Action != Block || !d.Mandatory || d.Exempt != NotExempt {
						t.Fatalf("decision %+v", d)
					}
				})
			}
		}
	}
}

func TestContactDomains(t *testing.T) {
	s, pauses, u := exemptionsSnapshot(t)
	casa := mustLoc(t, "Africa/Casablanca")
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, casa)
	night := time.Date(2026, 11, 23, 22, 0, 0, 0, casa)

	t.Run("a helpline contact is reachable at bedtime", func(t *testing.T) {
		if d := s.Decide(tablet, "help.example", 1, night); d.Action != Allow || d.Exempt != Contact {
			t.Fatalf("decision %+v", d)
		}
		if d := s.Decide(tablet, "play.example", 1, night); d.Action != Block {
			t.Fatalf("bedtime holds for the rest: %+v", d)
		}
	})
	t.Run("a helpline contact is reachable with the games budget spent", func(t *testing.T) {
		for i := range 3 {
			at := noon.Add(time.Duration(i) * time.Minute)
			if d := s.Decide(tablet, "play.example", 1, at); d.Budgeted {
				u.record(Use{Key: d.Use, At: at})
			}
		}
		if d := s.Decide(tablet, "play.example", 1, noon.Add(3*time.Minute)); d.Why != ByBudget {
			t.Fatalf("the budget is not spent: %+v", d)
		}
		if d := s.Decide(tablet, "help.example", 1, noon.Add(3*time.Minute)); d.Action != Allow || d.Exempt != Contact {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("a helpline contact is reachable while paused", func(t *testing.T) {
		if err := pauses.Pause("tablet", noon.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		defer pauses.Resume("tablet")
		if d := s.Decide(tablet, "help.example", 1, noon.Add(5*time.Minute)); d.Action != Allow || d.Exempt != Contact {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("a contact domain a feed lists is decided like any name", func(t *testing.T) {
		// phish.example is the district's contact, but a feed lists it as
		// malware, which the child's profile blocks.
		if d := s.Decide(tablet, "phish.example", 1, noon); d.Action != Block || d.Categories != blocklist.CategoriesOf(blocklist.Malware) {
			t.Fatalf("decision %+v", d)
		}
		if d := s.Decide(tablet, "phish.example", 1, night); d.Action != Block || d.Why != BySchedule {
			t.Fatalf("bedtime holds for it: %+v", d)
		}
	})
	t.Run("exemptions a mandatory list defeats are reported", func(t *testing.T) {
		got := s.Conflicts()
		if len(got) != 3 { // bad.example as a contact and as always_allow, casino.example as always_allow
			t.Fatalf("conflicts %q", got)
		}
	})
}
