package resolver

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// A device spends a budget by the minute: the handler sends the usage
// counter the first budgeted answer of each minute, and nothing for the
// others, however many names the device asks in it.
func TestABudgetedDeviceSendsOneUseAMinute(t *testing.T) {
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		b, _ := answerA(q, "93.184.215.14", 3600).Pack()
		return [][]byte{b}
	})
	var mu sync.Mutex
	clock := time.Date(2026, 12, 3, 15, 0, 10, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	h := newTestHandler(t, testConfig(up.addr()), now)
	cfg := policy.Config{Timezone: "UTC", Filter: policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{{Name: "child", Preset: "adult",
			Budgets: []policy.BudgetConfig{{Categories: []string{"games"}, Minutes: 60}}}},
		Devices: []policy.DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("127.0.0.1"), Profile: "child"}}}
	p, err := policy.NewSnapshot(cfg, testSet(t, "games: game.example"), 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := policy.NewUsage(nil, time.UTC, now())
	if err != nil {
		t.Fatal(err)
	}
	h.SetPolicy(p.WithUsage(u))
	sent := make(chan policy.Use, 64)
	h.RecordUses(sent)
	// The usage counter, as the appliance runs it, fed by the test once it
	// has seen what the handler sent.
	counter := make(chan policy.Use, 64)
	counted := make(chan int, 64)
	go u.Run(counter, time.Hour, func(_ policy.UseKey, minutes int) { counted <- minutes })
	t.Cleanup(func() { close(counter) })

	play := func(names ...string) (uses []policy.Use) {
		t.Helper()
		for _, n := range names {
			if r := ask(t, h, newQuery(n, dns.TypeA)); r == nil || r.Rcode != dns.RcodeSuccess {
				t.Fatalf("%s: %v", n, r)
			}
		}
		for {
			select {
			case use := <-sent:
				uses = append(uses, use)
			default:
				return uses
			}
		}
	}
	count := func(uses []policy.Use, want int) {
		t.Helper()
		for _, use := range uses {
			counter <- use
		}
		select {
		case got := <-counted:
			if got != want {
				t.Fatalf("%d minutes counted, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the usage counter counted nothing")
		}
	}

	uses := play("play.game.example")
	if len(uses) != 1 || uses[0].Key.Device != "tablet" {
		t.Fatalf("first budgeted answer: sent %+v, want one use by the tablet", uses)
	}
	count(uses, 1)
	advance(20 * time.Second)
	if uses := play("play.game.example", "www.game.example", "cdn.game.example"); len(uses) != 0 {
		t.Fatalf("three more answers in the counted minute sent %d uses, want none", len(uses))
	}
	advance(time.Minute)
	uses = play("play.game.example", "www.game.example")
	if len(uses) != 2 {
		// Both answers came before the counter saw the first: both are sent.
		t.Fatalf("the next minute sent %d uses, want 2", len(uses))
	}
	count(uses, 2)
	if uses := play("play.game.example"); len(uses) != 0 {
		t.Fatalf("after the second minute was counted, sent %d uses, want none", len(uses))
	}
}
