package resolver

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// cacheShards spreads the cache's lock over independent shards: a hit marks
// its entry used, which is a write, so one lock would serialise every core
// on the hottest path.
const cacheShards = 16

// entry is one cached upstream answer. Its answer is never mutated after it
// is added, so a hit can copy msg without a lock; the prefetch flags are
// atomic, and the place and used mark are its shard's, under its lock.
type entry struct {
	name    string // the question name, lower-case wire format
	qtype   uint16
	qclass  uint16
	do, cd  bool
	used    bool     // asked for since the clock hand last passed it (the shard's)
	msg     []byte   // the packed answer: ID 0, no OPT, question in lower case
	ttls    []uint16 // offsets of every record's TTL field in msg
	rcode   int
	stored  time.Time // when the answer arrived (with its monotonic reading)
	expires time.Time // stored + the smallest TTL in the answer
	ttl     uint32    // expires - stored, in seconds
	slot    int32     // its place in the shard's ring (the shard's)
	cnames  []string  // CNAME targets in the answer, lower case, no trailing dot

	prefetching atomic.Bool  // set once by the first hit that starts a refresh
	retryAfter  atomic.Int64 // unix ns: serve stale without asking until then
}

// entryOverhead is what an entry costs beyond its bytes: the struct itself
// (176 bytes, a size class of its own: the clock's fields sit in its
// padding), its index slot (about 32) and ring slot (8), and the
// allocator's rounding of the small allocations.
const entryOverhead = 240

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
//
// Each shard evicts by CLOCK, the second-chance approximation of LRU: its
// entries sit in a ring, a hit marks its entry used, and a hand sweeps the
// ring for a victim, sparing (and unmarking) every used entry it passes.
// An answer asked for again survives a whole turn of the hand; one never
// asked for again is the first to go. A hit under an LRU moved its entry to
// the front of a list instead, which wrote to four list nodes and their
// neighbours' cache lines (1.7% of a cached answer's CPU, perf, issue 14),
// and each entry cost a list node more.
type Cache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	size   atomic.Int64 // entries, for statistics
}

type cacheShard struct {
	mu       sync.Mutex        // guards following, and every entry's slot and used
	index    map[uint64]*entry // by key hash
	ring     []*entry          // every entry, at its slot; nil where one left
	free     []int32           // the ring's nil slots
	hand     int               // the next slot the clock looks at
	most     int               // entries at most
	bytes    int
	maxBytes int
}

// NewCache returns a cache holding at most entries answers and about maxBytes
// bytes of them, whichever bound is reached first.
func NewCache(entries, maxBytes int) *Cache {
	c := &Cache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		s := &c.shards[i]
		s.index = map[uint64]*entry{}
		s.most = max(entries/cacheShards, 1)
		s.maxBytes = max(maxBytes/cacheShards, 1)
	}
	return c
}

// Resize changes the bounds, evicting entries if they shrank.
func (c *Cache) Resize(entries, maxBytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.most = max(entries/cacheShards, 1)
		s.maxBytes = max(maxBytes/cacheShards, 1)
		for len(s.index) > s.most && c.evictLocked(s, nil) {
		}
		if len(s.ring) > s.most { // pack what is left into the smaller ring
			live := s.ring[:0]
			for _, e := range s.ring {
				if e != nil {
					e.slot = int32(len(live))
					live = append(live, e)
				}
			}
			clear(s.ring[len(live):])
			s.ring, s.hand, s.free = live, 0, s.free[:0]
		}
		c.evictBytesLocked(s, nil)
		s.mu.Unlock()
	}
}

// Len returns the number of cached answers.
func (c *Cache) Len() int { return int(c.size.Load()) }

func (c *Cache) hashKey(k *cacheKey) {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(k.name)
	k.hash = c.sum(&h, k.qtype, k.qclass, k.do, k.cd)
}

// hashOf is the hash of e's key, as hashKey makes it: for an eviction,
// so that an entry need not keep it (it would take the struct to the next
// size class).
func (c *Cache) hashOf(e *entry) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(e.name)
	return c.sum(&h, e.qtype, e.qclass, e.do, e.cd)
}

func (c *Cache) sum(h *maphash.Hash, qtype, qclass uint16, do, cd bool) uint64 {
	var tail [5]byte
	binary.BigEndian.PutUint16(tail[:], qtype)
	binary.BigEndian.PutUint16(tail[2:], qclass)
	tail[4] = b2u8(do) | b2u8(cd)<<1
	h.Write(tail[:])
	return h.Sum64()
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
	e := s.index[k.hash]
	if e != nil && !e.used { // written only when it changes: a hot entry's line stays clean
		e.used = true
	}
	s.mu.Unlock()
	if e == nil || !e.matches(k) {
		return nil
	}
	return e
}

// add stores e under k, replacing what was there.
func (c *Cache) add(k *cacheKey, e *entry) {
	s := &c.shards[k.hash%cacheShards]
	s.mu.Lock()
	if old := s.index[k.hash]; old != nil { // the same question answered again, or a collision
		e.slot, e.used = old.slot, old.used
		s.ring[e.slot] = e
		s.bytes -= old.size()
	} else {
		if len(s.index) >= s.most {
			c.evictLocked(s, nil)
		}
		s.place(e)
		c.size.Add(1)
	}
	s.index[k.hash] = e
	s.bytes += e.size()
	c.evictBytesLocked(s, e)
	s.mu.Unlock()
}

// place puts a new entry in a slot left by one that went, else in a new
// slot. A slot an eviction freed is the one the hand just passed, so the
// new entry is the last the hand comes back to.
func (s *cacheShard) place(e *entry) {
	if n := len(s.free); n > 0 {
		e.slot = s.free[n-1]
		s.free = s.free[:n-1]
		s.ring[e.slot] = e
		return
	}
	e.slot = int32(len(s.ring))
	s.ring = append(s.ring, e)
}

// remove drops the entry for k if it is e, so a stale entry past its window
// is freed without racing a newer answer.
func (c *Cache) remove(k *cacheKey, e *entry) {
	s := &c.shards[k.hash%cacheShards]
	s.mu.Lock()
	if s.index[k.hash] == e {
		c.dropLocked(s, e, k.hash)
	}
	s.mu.Unlock()
}

// dropLocked takes e, indexed under hash, out of s.
func (c *Cache) dropLocked(s *cacheShard, e *entry, hash uint64) {
	delete(s.index, hash)
	s.ring[e.slot] = nil
	s.free = append(s.free, e.slot)
	s.bytes -= e.size()
	c.size.Add(-1)
}

// evictLocked drops one entry other than keep: the first the hand finds
// not used since it last passed, unmarking the used ones on its way. It
// reports false if two turns of the hand found none, which only a shard
// holding keep alone can do.
func (c *Cache) evictLocked(s *cacheShard, keep *entry) bool {
	for range 2*len(s.ring) + 1 {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		switch e := s.ring[s.hand]; {
		case e == nil, e == keep:
		case e.used:
			e.used = false
		default:
			c.dropLocked(s, e, c.hashOf(e))
			s.hand++
			return true
		}
		s.hand++
	}
	return false
}

// evictBytesLocked drops entries until the shard holds no more than its
// byte bound, keeping at least one, and keep: the answer just added is
// not what makes room for itself.
func (c *Cache) evictBytesLocked(s *cacheShard, keep *entry) {
	for s.bytes > s.maxBytes && len(s.index) > 1 && c.evictLocked(s, keep) {
	}
}

// each calls f for every entry, shard by shard, each shard's from the hand
// round (about the oldest first). It is for saving the cache at shutdown,
// not for the hot path.
func (c *Cache) each(f func(*entry)) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		vals := make([]*entry, 0, len(s.index))
		for j := range s.ring {
			if e := s.ring[(s.hand+j)%len(s.ring)]; e != nil {
				vals = append(vals, e)
			}
		}
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
