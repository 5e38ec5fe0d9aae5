package resolver

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// TestADeclinedPrefetchIsTriedAgain has a popular name hit in the last
// tenth of its life while the upstreams are busy, so its prefetch is
// declined, then hit again once they are idle: that hit must prefetch.
func TestADeclinedPrefetchIsTriedAgain(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		if q.Question[0].Name == "slow.example." {
			select {
			case arrived <- struct{}{}:
			default: // a retry of the same query
			}
			<-release
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 300))}
	})
	clock := newFakeClock()
	cfg := testConfig(up.addr())
	cfg.Server.MaxConcurrent = 2 // prefetches may take 1 of them
	cfg.Upstream.Timeout = 5 * time.Second
	h := newTestHandler(t, cfg, clock.Now)
	ask(t, h, newQuery("popular.example", dns.TypeA))
	clock.Advance(280 * time.Second) // into the last tenth of 300 s

	slow := make(chan []byte, 1)
	go func() { slow <- h.Answer(loopback, false, pack(t, newQuery("slow.example", dns.TypeA)), nil) }()
	waitFor(t, arrived, "the slow query at the upstream")
	ask(t, h, newQuery("popular.example", dns.TypeA))
	declined := h.Stats.Prefetches.Load()
	close(release)
	waitFor(t, slow, "the slow query's answer")
	if declined != 0 {
		t.Fatalf("%d prefetches started while the upstreams' share for them was taken", declined)
	}

	ask(t, h, newQuery("popular.example", dns.TypeA))
	h.bg.Wait()
	if n := h.Stats.Prefetches.Load(); n != 1 {
		t.Fatalf("%d prefetches once the upstreams were idle, want 1: the declined one left its entry marked", n)
	}
}

// TestAStaleAnswerKeepsThePolicysTTLCap serves a stale answer (RFC 8767)
// ten seconds before a bedtime: its TTL must end at the bedtime, as a
// fresh answer's would, not 30 s later.
func TestAStaleAnswerKeepsThePolicysTTLCap(t *testing.T) {
	var mu sync.Mutex
	failing := false
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return nil
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 60))}
	})
	clock := newFakeClock() // a Monday, 20:00 UTC
	cfg := testConfig(up.addr())
	cfg.Upstream.Timeout = 100 * time.Millisecond
	h := newTestHandler(t, cfg, clock.Now)
	p, err := policy.NewSnapshot(policy.Config{
		Timezone: "UTC",
		Filter:   policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{{Name: "child", Preset: "9-12", Schedules: []policy.ScheduleConfig{
			{Days: []string{"all"}, From: "21:00", To: "07:00", Block: policy.CategorySpec{All: true}},
		}}},
		Devices: []policy.DeviceConfig{{Name: "tablet", IP: netip.MustParseAddr("127.0.0.1"), Profile: "child"}},
	}, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	h.SetPolicy(p)
	if r := ask(t, h, newQuery("homework.example", dns.TypeA)); len(r.Answer) != 1 {
		t.Fatalf("reply %v", r)
	}

	mu.Lock()
	failing = true
	mu.Unlock()
	clock.Advance(time.Hour - 10*time.Second)
	m := newQuery("homework.example", dns.TypeA)
	m.SetEdns0(1232, false)
	r := ask(t, h, m)
	if len(r.Answer) != 1 || extendedError(r) != edeStaleAnswer {
		t.Fatalf("want a stale answer, got %v", r)
	}
	if ttl := r.Answer[0].Header().Ttl; ttl != 10 {
		t.Fatalf("stale answer with TTL %d ten seconds before bedtime, want 10", ttl)
	}
}
