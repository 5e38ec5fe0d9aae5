package policy

import (
	"net/netip"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func bedtimeSnapshot(t *testing.T, tz string) *Snapshot {
	t.Helper()
	cfg := Config{
		Timezone:    tz,
		AlwaysAllow: []string{"school.example"},
		Filter:      DefaultFilterConfig(),
		Profiles: []ProfileConfig{{
			Name: "child", Preset: "9-12",
			Schedules: []ScheduleConfig{
				{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "21:00", To: "07:00", Block: CategorySpec{All: true}},
				{Days: []string{"weekdays"}, From: "08:30", To: "16:00", Block: CategorySpec{Categories: []string{"games"}}},
			},
		}},
		Devices: []DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "child"}},
	}
	s, err := NewSnapshot(cfg, set(t, map[blocklist.Category]string{blocklist.Games: "game.example\n"}), 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var tablet = Client{Addr: netip.MustParseAddr("192.168.1.23")}

func TestSchedules(t *testing.T) {
	casa := mustLoc(t, "Africa/Casablanca")
	s := bedtimeSnapshot(t, "Africa/Casablanca")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, casa) }
	tests := []struct {
		name    string
		host    string
		when    time.Time
		blocked bool
		cap     time.Duration // 0: not checked
	}{
		{"Sunday 20:59: not yet bedtime, and the answer expires at 21:00", "news.example", at(2026, 11, 22, 20, 59), false, time.Minute},
		{"Sunday 21:00: bedtime", "news.example", at(2026, 11, 22, 21, 0), true, 10 * time.Hour},
		{"Monday 06:59, after midnight: still bedtime", "news.example", at(2026, 11, 23, 6, 59), true, time.Minute},
		{"Monday 07:00: bedtime is over", "news.example", at(2026, 11, 23, 7, 0), false, 90 * time.Minute},
		{"Friday 23:00: no school night, no bedtime", "news.example", at(2026, 11, 27, 23, 0), false, 0},
		{"Thursday 23:00: a school night", "news.example", at(2026, 11, 26, 23, 0), true, 8 * time.Hour},
		{"Saturday 00:30: Friday is no school night", "news.example", at(2026, 11, 28, 0, 30), false, 0},
		{"Monday 10:00: games are blocked in school hours", "play.game.example", at(2026, 11, 23, 10, 0), true, 6 * time.Hour},
		{"Monday 16:00: games after school", "play.game.example", at(2026, 11, 23, 16, 0), false, 5 * time.Hour},
		{"Monday 10:00: other sites in school hours", "news.example", at(2026, 11, 23, 10, 0), false, 0},
		{"bedtime never blocks an always-allowed name", "www.school.example", at(2026, 11, 22, 23, 0), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s.Decide(tablet, tt.host, 1, tt.when)
			if (d.Action == Block) != tt.blocked {
				t.Fatalf("decision %+v", d)
			}
			if tt.cap != 0 && d.TTLCap != tt.cap {
				t.Fatalf("TTL cap %v, want %v (the next boundary)", d.TTLCap, tt.cap)
			}
		})
	}
}

// TestBedtimeFollowsTheLocalClock checks that 21:00 means 21:00 on the
// wall clock across Morocco's Ramadan change and Europe's summer time.
func TestBedtimeFollowsTheLocalClock(t *testing.T) {
	tests := []struct {
		tz   string
		when time.Time // in UTC: 21:00 local on a Sunday
		name string
	}{
		// Morocco is UTC+1, but UTC+0 during Ramadan (2026: about 15 February to 22 March).
		{"Africa/Casablanca", time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), "Casablanca in November (UTC+1)"},
		{"Africa/Casablanca", time.Date(2026, 3, 8, 21, 0, 0, 0, time.UTC), "Casablanca during Ramadan (UTC+0)"},
		{"Europe/Paris", time.Date(2026, 1, 11, 20, 0, 0, 0, time.UTC), "Paris in winter (UTC+1)"},
		{"Europe/Paris", time.Date(2026, 7, 12, 19, 0, 0, 0, time.UTC), "Paris in summer (UTC+2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedtimeSnapshot(t, tt.tz)
			if d := s.Decide(tablet, "news.example", 1, tt.when.Add(-time.Minute)); d.Action != Allow || d.TTLCap != time.Minute {
				t.Fatalf("one minute before bedtime: %+v", d)
			}
			if d := s.Decide(tablet, "news.example", 1, tt.when); d.Action != Block {
				t.Fatalf("at bedtime: %+v", d)
			}
		})
	}
	t.Run("the cap over a night when the clocks go back counts the real hours", func(t *testing.T) {
		// Paris, Sunday 25 October 2026: the clocks go back at 03:00. From
		// Saturday 23:00 the next boundary is bedtime on Sunday at 21:00:
		// 22 hours on the wall clock, 23 real hours.
		s := bedtimeSnapshot(t, "Europe/Paris")
		now := time.Date(2026, 10, 24, 23, 0, 0, 0, mustLoc(t, "Europe/Paris"))
		if d := s.Decide(tablet, "news.example", 1, now); d.TTLCap != 23*time.Hour {
			t.Fatalf("cap %v, want 23h", d.TTLCap)
		}
	})
}

func TestIdentification(t *testing.T) {
	mac := [6]byte{0xa4, 0x83, 0xe7, 0x12, 0x34, 0x56}
	cfg := Config{
		Filter: DefaultFilterConfig(),
		Profiles: []ProfileConfig{
			{Name: "child", Preset: "under-9"}, {Name: "lab", Preset: "school-lab"},
			{Name: "room", Preset: "13-17"}, {Name: "parent", Preset: "adult"},
		},
		Devices: []DeviceConfig{
			{Name: "Yasmine's tablet", MAC: "a4:83:e7:12:34:56", Profile: "child"},
			{Name: "laptop", IP: netip.MustParseAddr("10.10.3.99"), Profile: "parent"},
		},
		Networks: []NetworkConfig{
			{CIDR: netip.MustParsePrefix("10.10.0.0/16"), Profile: "lab"},
			{CIDR: netip.MustParsePrefix("10.10.3.0/24"), Profile: "room"},
		},
		Identify: IdentifyConfig{TrustedForwarders: []netip.Addr{netip.MustParseAddr("192.168.1.1")}},
	}
	s, err := NewSnapshot(cfg, nil, 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client Client
		want   string
	}{
		{"a MAC from the trusted router names the device", Client{Addr: netip.MustParseAddr("192.168.1.1"), MAC: mac, HasMAC: true}, "child"},
		{"a MAC from anyone else is ignored", Client{Addr: netip.MustParseAddr("192.168.1.50"), MAC: mac, HasMAC: true}, "default"},
		{"an exact address beats its network", Client{Addr: netip.MustParseAddr("10.10.3.99")}, "parent"},
		{"the longest prefix wins", Client{Addr: netip.MustParseAddr("10.10.3.7")}, "room"},
		{"a wider network catches the rest", Client{Addr: netip.MustParseAddr("10.10.9.7")}, "lab"},
		{"an unknown device gets the default", Client{Addr: netip.MustParseAddr("192.168.1.77")}, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.ProfileName(tt.client); got != tt.want {
				t.Fatalf("profile %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProfilesAllowDenyAndPresets(t *testing.T) {
	cfg := Config{
		Filter: DefaultFilterConfig(),
		Profiles: []ProfileConfig{{
			Name: "child", Preset: "9-12", Block: []string{"social"}, Unblock: []string{"chat"},
			Allow: []string{"khanacademy.org", "abuse.example"}, Deny: []string{"example-game.com", "khanacademy.org"},
		}},
		Devices: []DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "child"}},
	}
	s, err := NewSnapshot(cfg, set(t, map[blocklist.Category]string{
		blocklist.Social: "social.example\n", blocklist.Chat: "chat.example\n", blocklist.Adult: "adult.example\n",
		blocklist.Abuse: "abuse.example\n",
	}), 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want Action
		why  Why
	}{
		{"adult.example", Block, ByCategory},  // from the preset
		{"social.example", Block, ByCategory}, // added
		{"chat.example", Allow, 0},            // unblocked
		{"www.example-game.com", Block, ByDeny},
		{"www.khanacademy.org", Block, ByDeny}, // deny wins over allow
		{"abuse.example", Block, ByCategory},   // allow never lifts a mandatory category
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			d := s.Decide(tablet, tt.host, 1, time.Now())
			if d.Action != tt.want || (d.Action == Block && d.Why != tt.why) {
				t.Fatalf("decision %+v", d)
			}
		})
	}
}

// The schedule keeps what it found for the last minute it was asked about.
// Asked at any second, in any zone, across a change of the clocks, it
// says what a schedule that remembers nothing says.
func TestAScheduleRemembersAMinuteAndNoMore(t *testing.T) {
	cfgs := []ScheduleConfig{
		{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "21:00", To: "07:00", Block: CategorySpec{All: true}},
		{Days: []string{"weekdays"}, From: "08:00", To: "16:30", Block: CategorySpec{Categories: []string{"games", "social"}}},
		{Days: []string{"sat"}, From: "02:30", To: "02:31", Block: CategorySpec{Categories: []string{"video"}}},
	}
	fresh := func(t *testing.T) *schedule {
		s, err := compileSchedule(cfgs)
		if err != nil {
			t.Fatal(err)
		}
		return &s
	}
	remembering := fresh(t)
	for _, tc := range []struct {
		tz    string
		start time.Time // UTC
	}{
		{"Europe/Paris", time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC)},     // the clocks go back on the 25th
		{"Europe/Paris", time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)},      // and forward on the 29th
		{"Africa/Casablanca", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)}, // Ramadan's hour ends
		{"Asia/Kathmandu", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},    // UTC+5:45
	} {
		loc := mustLoc(t, tc.tz)
		stored := 0
		// Every 7 s over two days: several answers a minute, and minutes on
		// both sides of each boundary and of the change of the clocks.
		for at := tc.start; at.Before(tc.start.Add(48 * time.Hour)); at = at.Add(7 * time.Second) {
			lt := at.In(loc)
			all, cats, services, next := remembering.at(lt)
			wAll, wCats, wServices, wNext := fresh(t).at(lt)
			if all != wAll || cats != wCats || services != wServices || next != wNext {
				t.Fatalf("%s at %s: got %v %v %v %v, want %v %v %v %v", tc.tz, lt, all, cats, services, next, wAll, wCats, wServices, wNext)
			}
			if c := remembering.last.Load(); c != nil && c.minute == lt.Unix()/60 {
				stored++
			}
		}
		if stored == 0 {
			t.Fatalf("%s: the schedule never remembered a minute", tc.tz)
		}
	}
	// A minute remembered in one zone says nothing of another.
	now := time.Date(2026, 12, 3, 20, 30, 0, 0, time.UTC)
	remembering.at(now.In(mustLoc(t, "Europe/Paris"))) // 21:30 there: bedtime
	if all, _, _, _ := remembering.at(now.In(mustLoc(t, "America/New_York"))); all {
		t.Fatal("15:30 in New York is not bedtime; the minute remembered for Paris was reused")
	}
}
