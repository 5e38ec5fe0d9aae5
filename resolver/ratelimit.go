package resolver

import (
	"net/netip"
	"sync"
	"time"

	"github.com/amane-dns/amane/policy"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// rateShards and rateClients bound the limiter: a flood from spoofed
// addresses can only push out the least recently seen buckets, never grow
// memory without end.
const (
	rateShards  = 16
	rateClients = 1 << 16
)

// device is whom a rate limit and a share of the upstreams belong to: the
// MAC a trusted forwarder carries for the device behind it (dnsmasq
// add-mac), else the source address. A home router forwards for the whole
// family from one address; keyed by address, one child's game would spend
// everyone's budget (issue 9, item 4).
type device struct {
	addr   netip.Addr // the source address; the forwarder's, with a MAC
	mac    [6]byte
	hasMAC bool
	home   bool // a trusted forwarder's own queries, without a MAC: they stand for a whole home
}

// deviceOf returns c's device. trusted says whether c.Addr is a trusted
// forwarder: only then is the MAC it carries believed, or any client
// could dodge its limit with a new MAC in every query.
func deviceOf(c policy.Client, trusted bool) device {
	if trusted && c.HasMAC {
		return device{addr: c.Addr, mac: c.MAC, hasMAC: true}
	}
	return device{addr: c.Addr, home: trusted}
}

// shard picks one of n shards from the bytes that vary most between
// devices of one home: the MAC's last bytes, or the address's.
func (d device) shard(n int) int {
	if d.hasMAC {
		return int(d.mac[5]^d.mac[3]) % n
	}
	b := d.addr.As16()
	return int(b[15]^b[13]^b[11]) % n
}

// rateLimiter is a token bucket per device.
type rateLimiter struct {
	shards [rateShards]rateShard
}

type rateShard struct {
	mu      sync.Mutex // guards buckets
	buckets *simplelru.LRU[device, *bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter() *rateLimiter {
	l := &rateLimiter{}
	for i := range l.shards {
		l.shards[i].buckets, _ = simplelru.NewLRU[device, *bucket](rateClients/rateShards, nil)
	}
	return l
}

// allow takes one token from d's bucket, refilled at rate per second up to
// burst. A rate of 0 allows everything.
func (l *rateLimiter) allow(d device, now time.Time, rate, burst float64) bool {
	if rate == 0 {
		return true
	}
	s := &l.shards[d.shard(rateShards)]
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets.Get(d)
	if !ok {
		s.buckets.Add(d, &bucket{tokens: burst - 1, last: now})
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
