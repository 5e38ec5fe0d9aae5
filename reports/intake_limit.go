package reports

import (
	"math"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// rateLimiter is a token bucket per name (a key, an address), for at most a
// bounded number of names: the least recently seen are forgotten, which
// only ever gives a forgotten name a full bucket again.
type rateLimiter struct {
	perHour float64 // tokens added per hour
	burst   float64 // bucket size

	mu      sync.Mutex // guards buckets' values
	buckets *lru.Cache[string, *tokenBucket]
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perHour, burst, size int) *rateLimiter {
	c, err := lru.New[string, *tokenBucket](size)
	if err != nil {
		panic(err) // size > 0: IntakeConfig.Validate checked it
	}
	return &rateLimiter{perHour: float64(perHour), burst: float64(burst), buckets: c}
}

// take takes one token from name's bucket; if there is none, it returns
// false and how long until there is one.
func (l *rateLimiter) take(name string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(name)
	if !ok {
		b = &tokenBucket{tokens: l.burst, at: now}
		l.buckets.Add(name, b)
	}
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = math.Min(l.burst, b.tokens+dt.Hours()*l.perHour)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perHour * float64(time.Hour))
	return false, max(wait, time.Second)
}

// addressName is the rate-limited unit for a source address: the address
// itself for IPv4, its /64 for IPv6 (one home or one school gets a whole
// /64, and a host can pick any address in it). The name lives only in
// memory: it is never stored.
func addressName(remoteAddr string) string {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
