package resolver

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

func profilePolicy(t *testing.T, set *blocklist.Set) *policy.Snapshot {
	t.Helper()
	p, err := policy.NewSnapshot(policy.Config{
		Filter: policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{
			{Name: "child", Preset: "9-12", Block: []string{"games"}},
			{Name: "parent", Preset: "adult"},
		},
		Devices: []policy.DeviceConfig{
			{Name: "tablet", IP: netip.MustParseAddr("127.0.0.2"), Profile: "child"},
			{Name: "laptop", IP: netip.MustParseAddr("127.0.0.3"), Profile: "parent"},
			{Name: "phone behind the router", MAC: "a4:83:e7:12:34:56", Profile: "child"},
		},
		Identify: policy.IdentifyConfig{TrustedForwarders: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
	}, set, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNoAnswerLeaksBetweenProfilesThroughTheCache has a child's tablet and
// a parent's laptop ask the same names in random order over a real socket:
// the child must never get the game, the parent always.
func TestNoAnswerLeaksBetweenProfilesThroughTheCache(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	h.SetPolicy(profilePolicy(t, testSet(t, "games: game.example")))
	s := startServer(t, h)
	names := []string{"play.game.example", "www.example.org", "game.example", "news.example"}
	var wg sync.WaitGroup
	for _, who := range []struct {
		addr    string
		blocked bool
	}{{"127.0.0.2", true}, {"127.0.0.3", false}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(who.addr)}}}
			for i := range 200 {
				name := names[rand.IntN(len(names))]
				r, _, err := c.Exchange(newQuery(name, dns.TypeA), s.UDPAddrs()[0])
				if err != nil {
					t.Errorf("%s asking %s: %v", who.addr, name, err)
					return
				}
				game := name != "www.example.org" && name != "news.example"
				if blocked := r.Rcode == dns.RcodeNameError; blocked != (game && who.blocked) {
					t.Errorf("%s, query %d for %s: %s", who.addr, i, name, dns.RcodeToString[r.Rcode])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestAMACFromTheTrustedRouterGetsItsProfile(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	h.SetPolicy(profilePolicy(t, testSet(t, "games: game.example")))
	withMAC := func(mac string) *dns.Msg {
		m := newQuery("game.example", dns.TypeA)
		m.SetEdns0(1232, false)
		hw, _ := net.ParseMAC(mac)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_LOCAL{Code: optionMAC, Data: hw})
		return m
	}
	for _, tt := range []struct {
		name string
		from string
		mac  string
		want int
	}{
		{"the child's phone, through the router", "127.0.0.1", "a4:83:e7:12:34:56", dns.RcodeNameError},
		{"another device, through the router", "127.0.0.1", "00:11:22:33:44:55", dns.RcodeSuccess},
		{"the child's MAC claimed by a client that is not the router", "127.0.0.9", "a4:83:e7:12:34:56", dns.RcodeSuccess},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := askFrom(t, h, netip.MustParseAddr(tt.from), false, withMAC(tt.mac))
			if r.Rcode != tt.want {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.want])
			}
		})
	}
}

func TestSafeSearchAnswersTheEnginesSafeHost(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	h.SetPolicy(profilePolicy(t, nil))
	m := newQuery("www.google.co.ma", dns.TypeA)
	m.SetEdns0(1232, false)
	for i := range 2 { // from the upstream, then from the cache
		r := askFrom(t, h, netip.MustParseAddr("127.0.0.2"), false, m)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
			t.Fatalf("try %d: reply %v", i, r)
		}
		cname, ok := r.Answer[0].(*dns.CNAME)
		if !ok || cname.Hdr.Name != "www.google.co.ma." || cname.Target != "forcesafesearch.google.com." {
			t.Fatalf("try %d: first record %v", i, r.Answer[0])
		}
		if a, ok := r.Answer[1].(*dns.A); !ok || a.Hdr.Name != "forcesafesearch.google.com." {
			t.Fatalf("try %d: second record %v", i, r.Answer[1])
		}
	}
	if up.queries.Load() != 1 {
		t.Fatalf("%d upstream queries; the safe host should be cached after the first", up.queries.Load())
	}
	t.Run("a parent's laptop gets the ordinary answer", func(t *testing.T) {
		r := askFrom(t, h, netip.MustParseAddr("127.0.0.3"), false, newQuery("www.google.co.ma", dns.TypeA))
		if len(r.Answer) != 1 || r.Answer[0].Header().Name != "www.google.co.ma." {
			t.Fatalf("reply %v", r)
		}
	})
}
