package resolver

import (
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// rateShards and rateClients bound the limiter: a flood from spoofed
// addresses can only push out the least recently seen buckets, never grow
// memory without end.
const (
	rateShards  = 16
	rateClients = 1 << 16
)

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	shards [rateShards]rateShard
}

type rateShard struct {
	mu      sync.Mutex // guards buckets
	buckets *simplelru.LRU[netip.Addr, *bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter() *rateLimiter {
	l := &rateLimiter{}
	for i := range l.shards {
		l.shards[i].buckets, _ = simplelru.NewLRU[netip.Addr, *bucket](rateClients/rateShards, nil)
	}
	return l
}

// allow takes one token from a's bucket, refilled at rate per second up to
// burst. A rate of 0 allows everything.
func (l *rateLimiter) allow(a netip.Addr, now time.Time, rate, burst float64) bool {
	if rate == 0 {
		return true
	}
	b16 := a.As16()
	s := &l.shards[(b16[15]^b16[13]^b16[11])%rateShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets.Get(a)
	if !ok {
		s.buckets.Add(a, &bucket{tokens: burst - 1, last: now})
		return true
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
