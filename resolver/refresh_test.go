package resolver

import (
	"testing"
	"time"

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
			arrived <- struct{}{}
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
