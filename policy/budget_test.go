package policy

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	bolt "go.etcd.io/bbolt"
)

func budgetSnapshot(t *testing.T, u *Usage) *Snapshot {
	t.Helper()
	cfg := Config{
		Timezone: "Africa/Casablanca",
		Filter:   DefaultFilterConfig(),
		Profiles: []ProfileConfig{{
			Name: "child", Preset: "9-12",
			Budgets: []BudgetConfig{{Categories: []string{"games"}, Minutes: 3, WeekendMinutes: 5}},
		}},
		Devices: []DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "child"}},
	}
	s, err := NewSnapshot(cfg, set(t, map[blocklist.Category]string{blocklist.Games: "game.example\n"}), 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return s.WithUsage(u)
}

// play asks a game name at each of the given moments, recording each use
// as the resolver would, and returns the last decision.
func play(s *Snapshot, u *Usage, at ...time.Time) Decision {
	var d Decision
	for _, now := range at {
		d = s.Decide(tablet, "play.game.example", 1, now)
		if d.Budgeted {
			u.record(Use{Key: d.Use, At: now})
		}
	}
	return d
}

func TestDailyBudgets(t *testing.T) {
	casa := mustLoc(t, "Africa/Casablanca")
	monday := time.Date(2026, 11, 23, 17, 0, 0, 0, casa)
	u, _ := NewUsage(nil, casa, monday)
	s := budgetSnapshot(t, u)

	t.Run("an answer in a budgeted category lives at most 60 s", func(t *testing.T) {
		if d := play(s, u, monday); d.Action != Allow || !d.Budgeted || d.TTLCap != time.Minute {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("several names in one minute count one minute", func(t *testing.T) {
		play(s, u, monday.Add(10*time.Second), monday.Add(50*time.Second))
		if used, _, _ := u.used(UseKey{Device: "tablet"}, monday); used != 1 {
			t.Fatalf("%d minutes used", used)
		}
	})
	t.Run("the budget runs out mid-afternoon and blocks until local midnight", func(t *testing.T) {
		play(s, u, monday.Add(time.Minute), monday.Add(2*time.Minute+30*time.Second))
		d := play(s, u, monday.Add(3*time.Minute))
		if d.Action != Block || d.Why != ByBudget || d.TTLCap != 7*time.Hour-3*time.Minute {
			t.Fatalf("decision %+v", d)
		}
		if d := s.Decide(tablet, "news.example", 1, monday.Add(3*time.Minute)); d.Action != Allow {
			t.Fatalf("other categories stay open: %+v", d)
		}
	})
	t.Run("a parent's grant gives more time today", func(t *testing.T) {
		if err := u.Grant(UseKey{Device: "tablet"}, 2, monday); err != nil {
			t.Fatal(err)
		}
		if d := play(s, u, monday.Add(4*time.Minute)); d.Action != Allow {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("local midnight starts a new day, with the weekend allowance on Saturday", func(t *testing.T) {
		saturday := time.Date(2026, 11, 28, 0, 0, 30, 0, casa)
		for i := range 5 {
			if d := play(s, u, saturday.Add(time.Duration(i)*time.Minute)); d.Action != Allow {
				t.Fatalf("minute %d of 5 on Saturday: %+v", i+1, d)
			}
		}
		if d := play(s, u, saturday.Add(5*time.Minute)); d.Action != Block {
			t.Fatalf("the sixth minute: %+v", d)
		}
	})
	t.Run("a clock before this build neither resets nor grants", func(t *testing.T) {
		wrong := time.Date(2001, 1, 1, 12, 0, 0, 0, casa)
		if err := u.Grant(UseKey{Device: "tablet"}, 60, wrong); err == nil {
			t.Fatal("granted on a wrong clock")
		}
		if d := play(s, u, wrong); d.Action != Block {
			t.Fatalf("a wrong clock reset the budget: %+v", d)
		}
	})
}

func TestUsageSurvivesARestart(t *testing.T) {
	casa := mustLoc(t, "Africa/Casablanca")
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	monday := time.Date(2026, 11, 23, 17, 0, 0, 0, casa)
	u, err := NewUsage(db, casa, monday)
	if err != nil {
		t.Fatal(err)
	}
	s := budgetSnapshot(t, u)
	play(s, u, monday, monday.Add(time.Minute))
	u.Grant(UseKey{Device: "tablet"}, 7, monday)
	if err := u.Flush(); err != nil { // what the minute ticker does; a kill -9 loses only what came after
		t.Fatal(err)
	}
	again, err := NewUsage(db, casa, monday.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if used, granted, _ := again.used(UseKey{Device: "tablet"}, monday.Add(time.Hour)); used != 2 || granted != 7 {
		t.Fatalf("after a restart: %d used, %d granted", used, granted)
	}
	tomorrow, _ := NewUsage(db, casa, monday.Add(24*time.Hour))
	if used, _, _ := tomorrow.used(UseKey{Device: "tablet"}, monday.Add(24*time.Hour)); used != 0 {
		t.Fatalf("yesterday's use counted today: %d", used)
	}
}

func TestTheClockSteppingBackAndLeapDays(t *testing.T) {
	casa := mustLoc(t, "Africa/Casablanca")
	monday := time.Date(2026, 11, 23, 17, 0, 0, 0, casa)
	u, _ := NewUsage(nil, casa, monday)
	s := budgetSnapshot(t, u)
	play(s, u, monday, monday.Add(time.Minute))
	t.Run("a clock stepped back neither erases the minutes used nor counts one twice", func(t *testing.T) {
		play(s, u, monday.Add(-10*time.Minute))
		play(s, u, monday.Add(-10*time.Minute).Add(20*time.Second))
		if used, _, _ := u.used(UseKey{Device: "tablet"}, monday); used != 3 {
			t.Fatalf("%d minutes used, want 3 (two, then one more for the stepped-back minute)", used)
		}
	})
	t.Run("the 29th of February is a day like another", func(t *testing.T) {
		leap := time.Date(2028, 2, 29, 23, 59, 30, 0, casa) // a Tuesday
		play(s, u, leap)
		if used, _, _ := u.used(UseKey{Device: "tablet"}, leap); used != 1 {
			t.Fatalf("%d minutes on 29 February", used)
		}
		next := time.Date(2028, 3, 1, 0, 0, 30, 0, casa)
		if d := s.Decide(tablet, "play.game.example", 1, next); d.Action != Allow {
			t.Fatalf("1 March: %+v", d)
		}
		if used, _, _ := u.used(UseKey{Device: "tablet"}, next); used != 0 {
			t.Fatalf("29 February's use counted on 1 March: %d", used)
		}
	})
}

// Once a device's minute is counted, its other answers in that minute say
// so, and the resolver sends nothing more for them.
func TestADecisionSaysWhenItsMinuteIsAlreadyCounted(t *testing.T) {
	casa := mustLoc(t, "Africa/Casablanca")
	monday := time.Date(2026, 11, 23, 17, 0, 0, 0, casa)
	u, _ := NewUsage(nil, casa, monday)
	s := budgetSnapshot(t, u)
	d := s.Decide(tablet, "play.game.example", 1, monday)
	if !d.Budgeted || d.Counted {
		t.Fatalf("first answer of the minute: %+v; want budgeted, not yet counted", d)
	}
	u.record(Use{Key: d.Use, At: monday})
	if d := s.Decide(tablet, "www.game.example", 1, monday.Add(59*time.Second)); !d.Budgeted || !d.Counted {
		t.Fatalf("same minute, once recorded: %+v; want counted", d)
	}
	if d := s.Decide(tablet, "play.game.example", 1, monday.Add(time.Minute)); !d.Budgeted || d.Counted {
		t.Fatalf("the next minute: %+v; want not counted yet", d)
	}
	// The count itself is the usage's: one minute so far.
	if used, _, _ := u.used(d.Use, monday.Add(time.Minute)); used != 1 {
		t.Fatalf("%d minutes used, want 1", used)
	}
}
