package resolver

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// cacheShards spreads the LRU's lock over independent shards: a cache hit
// moves the entry to the front, which is a write, so one lock would serialise
// every core on the hottest path.
const cacheShards = 16

// entry is one cached upstream answer. It is never mutated after it is
// added, except for the prefetch flag, so a hit can copy msg without a lock.
type entry struct {
	name    string // the question name, lower-case wire format
	qtype   uint16
	qclass  uint16
	do, cd  bool
	msg     []byte   // the packed answer: ID 0, no OPT, question in lower case
	ttls    []uint16 // offsets of every record's TTL field in msg
	rcode   int
	stored  time.Time // when the answer arrived (with its monotonic reading)
	expires time.Time // stored + the smallest TTL in the answer
	ttl     uint32    // expires - stored, in seconds
	cnames  []string  // CNAME targets in the answer, lower case, no trailing dot

	prefetching atomic.Bool  // set once by the first hit that starts a refresh
	retryAfter  atomic.Int64 // unix ns: serve stale without asking until then
}

// entryOverhead is what an entry costs beyond its bytes: the struct itself
// (about 160 bytes), the LRU's list element (48) and map slot (about 32),
// and the allocator's rounding of the three small allocations.
const entryOverhead = 280

// size approximates the memory the entry holds, for the cache's byte bound.
func (e *entry) size() int {
	n := entryOverhead + len(e.name) + len(e.msg) + 2*len(e.ttls)
	for _, c := range e.cnames {
		n += 16 + len(c)
	}
	return n
}

func (e *entry) matches(k *cacheKey) bool {
	return e.qtype == k.qtype && e.qclass == k.qclass && e.do == k.do && e.cd == k.cd && e.name == string(k.name)
}

// cacheKey names a cached answer: (name, type, class, DO, CD), as DESIGN.md
// says. The answer does not depend on the device asking, because policy runs
// before the cache and the cache only ever holds upstream answers.
type cacheKey struct {
	name   []byte // lower-case wire format
	qtype  uint16
	qclass uint16
	do, cd bool
	hash   uint64
}

// Cache is the bounded answer cache. Keys are 64-bit hashes so that a lookup
// never allocates; the entry stores the full question, so a hash collision is
// a miss, never a wrong answer.
type Cache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	size   atomic.Int64 // entries, for statistics
}

type cacheShard struct {
	mu       sync.Mutex // guards following
	lru      *simplelru.LRU[uint64, *entry]
	bytes    int
	maxBytes int
}

// NewCache returns a cache holding at most entries answers and about maxBytes
// bytes of them, whichever bound is reached first.
func NewCache(entries, maxBytes int) *Cache {
	c := &Cache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		s := &c.shards[i]
		s.lru, _ = simplelru.NewLRU(max(entries/cacheShards, 1), func(_ uint64, e *entry) {
			s.bytes -= e.size()
			c.size.Add(-1)
		})
		s.maxBytes = max(maxBytes/cacheShards, 1)
	}
	return c
}

// Resize changes the bounds, evicting the oldest entries if they shrank.
func (c *Cache) Resize(entries, maxBytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.lru.Resize(max(entries/cacheShards, 1))
		s.maxBytes = max(maxBytes/cacheShards, 1)
		s.evictLocked()
		s.mu.Unlock()
	}
}

// Len returns the number of cached answers.
func (c *Cache) Len() int { return int(c.size.Load()) }

func (c *Cache) hashKey(k *cacheKey) {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(k.name)
	var tail [5]byte
	binary.BigEndian.PutUint16(tail[:], k.qtype)
	binary.BigEndian.PutUint16(tail[2:], k.qclass)
	tail[4] = b2u8(k.do) | b2u8(k.cd)<<1
	h.Write(tail[:])
	k.hash = h.Sum64()
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// get returns the entry for k, fresh or expired; the caller decides what an
// expired one is still good for (serve stale, RFC 8767).
func (c *Cache) get(k *cacheKey) *entry {
	s := &c.shards[k.hash%cacheShards]
	s.mu.Lock()
	e, ok := s.lru.Get(k.hash)
	s.mu.Unlock()
	if !ok || !e.matches(k) {
		return nil
	}
	return e
}

// add stores e under k, replacing what was there.
func (c *Cache) add(k *cacheKey, e *entry) {
	s := &c.shards[k.hash%cacheShards]
	s.mu.Lock()
	s.lru.Remove(k.hash) // Add would replace silently, skipping the byte count
	s.lru.Add(k.hash, e)
	s.bytes += e.size()
	c.size.Add(1)
	s.evictLocked()
	s.mu.Unlock()
}

// remove drops the entry for k if it is e, so a stale entry past its window
// is freed without racing a newer answer.
func (c *Cache) remove(k *cacheKey, e *entry) {
	s := &c.shards[k.hash%cacheShards]
	s.mu.Lock()
	if cur, ok := s.lru.Peek(k.hash); ok && cur == e {
		s.lru.Remove(k.hash)
	}
	s.mu.Unlock()
}

func (s *cacheShard) evictLocked() {
	for s.bytes > s.maxBytes && s.lru.Len() > 0 {
		s.lru.RemoveOldest()
	}
}

// each calls f for every entry, oldest first, shard by shard. It is for
// saving the cache at shutdown, not for the hot path.
func (c *Cache) each(f func(*entry)) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		vals := s.lru.Values()
		s.mu.Unlock()
		for _, e := range vals {
			f(e)
		}
	}
}

// ttlUnknown marks "no cap" for appendAnswer's ttlCap.
const ttlUnknown = ^uint32(0)

// appendAnswer appends the answer for req built from the cached entry: the
// client's ID, RD and CD bits and question spelling (RFC 1035 7.3 and DNS
// 0x20), every TTL counted down by the entry's age and capped at ttlCap, and
// an OPT record when the client sent one (RFC 6891 7) carrying the Extended
// DNS Error ede when it is not zero (RFC 8914). A stale answer has every
// TTL set to ttlCap instead (RFC 8767 4). It does not truncate.
func (e *entry) appendAnswer(dst []byte, req *request, now time.Time, ttlCap uint32, stale bool, ednsSize uint16, ede uint16) []byte {
	start := len(dst)
	dst = append(dst, e.msg...)
	out := dst[start:]
	binary.BigEndian.PutUint16(out, req.id)
	flags := binary.BigEndian.Uint16(out[2:])&^(flagRD|flagCD) | req.flags&(flagRD|flagCD)
	binary.BigEndian.PutUint16(out[2:], flags)
	copy(out[headerLen:], req.qname)
	age := uint32(max(now.Sub(e.stored), 0) / time.Second)
	for _, off := range e.ttls {
		ttl := ttlCap
		if !stale {
			ttl = binary.BigEndian.Uint32(out[off:])
			ttl = min(ttl-min(ttl, age), ttlCap)
		}
		binary.BigEndian.PutUint32(out[off:], ttl)
	}
	if !req.edns {
		return dst
	}
	binary.BigEndian.PutUint16(out[10:], binary.BigEndian.Uint16(out[10:])+1)
	var ttl uint32
	if req.do {
		ttl = 0x8000
	}
	dst = append(dst, 0, 0, typeOPT, byte(ednsSize>>8), byte(ednsSize),
		byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl))
	if ede == 0 {
		return append(dst, 0, 0)
	}
	return append(dst, 0, 6, 0, 15, 0, 2, byte(ede>>8), byte(ede))
}
