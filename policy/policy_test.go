package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

func set(t testing.TB, lists map[blocklist.Category]string) *blocklist.Set {
	t.Helper()
	b := blocklist.NewBuilder()
	for c, rules := range lists {
		id := b.AddList(c.String(), c)
		if _, err := b.Parse(id, strings.NewReader(rules), blocklist.FormatAuto); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFilterValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*FilterConfig)
		key  string
	}{
		{"an unknown category is refused", func(c *FilterConfig) { c.Block = []string{"malware", "kittens"} }, "filter.block[1]"},
		{"an unknown block mode is refused", func(c *FilterConfig) { c.BlockMode = "sinkhole" }, "filter.block_mode"},
		{"address mode needs an address", func(c *FilterConfig) { c.BlockMode = "address" }, "filter.block_address"},
		{"two IPv4 block pages are refused", func(c *FilterConfig) {
			c.BlockMode, c.BlockAddress = "address", []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}
		}, "filter.block_address"},
		{"a block TTL of a day is refused", func(c *FilterConfig) { c.BlockTTL = 24 * time.Hour }, "filter.block_ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultFilterConfig()
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.key+":") {
				t.Fatalf("want a problem with %s, got %v", tt.key, err)
			}
		})
	}
	c := DefaultFilterConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
}

func TestDecide(t *testing.T) {
	s := set(t, map[blocklist.Category]string{
		blocklist.Malware: "bad.example\n",
		blocklist.Ads:     "||ads.example^\n@@||ok.ads.example^\n",
		blocklist.Abuse:   "abuse.example\n",
	})
	p, err := NewSnapshot(Config{Filter: FilterConfig{Block: []string{"malware", "ads"}, BlockMode: "nxdomain", BlockTTL: time.Minute}}, s, 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		want      Action
		mandatory bool
	}{
		{"www.bad.example", Block, false},
		{"x.ads.example", Block, false},
		{"ok.ads.example", Allow, false},
		{"abuse.example", Block, true},
		{"example.org", Allow, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s is %v", tt.name, map[Action]string{Allow: "allowed", Block: "blocked"}[tt.want]), func(t *testing.T) {
			d := p.Decide(Client{}, tt.name, 1, time.Now())
			if d.Action != tt.want || d.Mandatory != tt.mandatory {
				t.Fatalf("decision %+v", d)
			}
		})
	}
}

// RealisticPolicy is the benchmark's household-and-school mix of
// PERFORMANCE.md: 5 profiles with schedules and budgets, 20 devices, two
// networks, over a set of n names.
func realisticPolicy(b testing.TB, n int) *Snapshot {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "host%d.site%d.example\n", i, i%977)
	}
	cfg := Config{Timezone: "Africa/Casablanca", Filter: DefaultFilterConfig()}
	bed := ScheduleConfig{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "21:00", To: "07:00", Block: CategorySpec{All: true}}
	school := ScheduleConfig{Days: []string{"weekdays"}, From: "08:00", To: "16:30", Block: CategorySpec{Categories: []string{"games", "social"}}}
	for i, preset := range []string{"under-9", "9-12", "13-17", "adult", "school-lab"} {
		cfg.Profiles = append(cfg.Profiles, ProfileConfig{Name: fmt.Sprintf("p%d", i), Preset: preset,
			Allow: []string{"khanacademy.org"}, Deny: []string{"example-game.com"}, Schedules: []ScheduleConfig{bed, school},
			Budgets: []BudgetConfig{{Categories: []string{"games"}, Minutes: 60}, {Categories: []string{"video", "social"}, Minutes: 30, WeekendMinutes: 90}}})
	}
	for i := range 20 {
		cfg.Devices = append(cfg.Devices, DeviceConfig{Name: fmt.Sprintf("d%d", i), IP: netip.AddrFrom4([4]byte{192, 168, 1, byte(10 + i)}), Profile: fmt.Sprintf("p%d", i%5)})
	}
	cfg.Networks = []NetworkConfig{{CIDR: netip.MustParsePrefix("10.10.3.0/24"), Profile: "p4"}, {CIDR: netip.MustParsePrefix("10.10.0.0/16"), Profile: "p3"}}
	p, err := NewSnapshot(cfg, set(b, map[blocklist.Category]string{blocklist.Malware: sb.String(), blocklist.Games: "game.example\n"}), 0, Contacts{})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := NewUsage(nil, p.loc, time.Now())
	return p.WithUsage(u)
}

func BenchmarkDecide(b *testing.B) {
	p := realisticPolicy(b, 1_000_000)
	names := []string{"www.host5.site5.example", "a.b.c.d.example", "cdn.static.news.example.org", "play.game.example"}
	clients := []Client{{Addr: netip.MustParseAddr("192.168.1.12")}, {Addr: netip.MustParseAddr("10.10.3.7")}, {Addr: netip.MustParseAddr("192.168.1.99")}}
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Decide(clients[i%len(clients)], names[i%len(names)], 1, now)
		i++
	}
}

func TestDecideAllocatesNothing(t *testing.T) {
	p := realisticPolicy(t, 10_000)
	c := Client{Addr: netip.MustParseAddr("192.168.1.12")}
	now := time.Date(2026, 11, 28, 18, 0, 0, 0, p.loc) // a Saturday: no schedule blocks games
	if n := testing.AllocsPerRun(1000, func() { p.Decide(c, "www.host5.site5.example", 1, now) }); n != 0 {
		t.Fatalf("Decide allocates %.1f times; the budget is 0", n)
	}
	// A budgeted name once a use is recorded: the day's count is looked up
	// on every answer (issue 9: it formatted the date each time).
	d := p.Decide(c, "play.game.example", 1, now)
	if !d.Budgeted {
		t.Fatalf("games should be budgeted: %+v", d)
	}
	p.usage.record(Use{Key: d.Use, At: now})
	if used, _, _ := p.usage.used(d.Use, now); used != 1 {
		t.Fatalf("%d minutes used", used)
	}
	if n := testing.AllocsPerRun(1000, func() { p.Decide(c, "play.game.example", 1, now) }); n != 0 {
		t.Fatalf("Decide allocates %.1f times on a budgeted name in use; the budget is 0", n)
	}
}
