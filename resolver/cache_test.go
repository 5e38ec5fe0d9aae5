package resolver

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func soa(ttl, minttl uint32) *dns.SOA {
	return &dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns: "ns.example.", Mbox: "h.example.", Serial: 1, Refresh: 1, Retry: 1, Expire: 1, Minttl: minttl}
}

func TestWhatIsCachedAndForHowLong(t *testing.T) {
	q := newQuery("www.example", dns.TypeA)
	tests := []struct {
		name      string
		reply     func() *dns.Msg
		bounds    ttlBounds
		cacheable bool
		ttl       uint32
	}{
		{"a positive answer lives as long as its shortest TTL", func() *dns.Msg {
			r := answerA(q, "93.184.215.14", 300)
			r.Answer = append(r.Answer, answerA(q, "93.184.215.15", 120).Answer...)
			return r
		}, ttlBounds{0, 86400}, true, 120},
		{"max_ttl lowers a long TTL", func() *dns.Msg { return answerA(q, "93.184.215.14", 999999) }, ttlBounds{0, 3600}, true, 3600},
		{"min_ttl raises a short TTL", func() *dns.Msg { return answerA(q, "93.184.215.14", 5) }, ttlBounds{60, 3600}, true, 60},
		{"a TTL of 0 is not cached", func() *dns.Msg { return answerA(q, "93.184.215.14", 0) }, ttlBounds{0, 3600}, false, 0},
		{"NXDOMAIN lives min(SOA TTL, SOA MINIMUM) (RFC 2308)", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetRcode(q, dns.RcodeNameError)
			r.Ns = []dns.RR{soa(900, 300)}
			return r
		}, ttlBounds{0, 86400}, true, 300},
		{"NODATA follows the same rule", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetReply(q)
			r.Ns = []dns.RR{soa(120, 3600)}
			return r
		}, ttlBounds{0, 86400}, true, 120},
		{"a negative answer without SOA is not cached (RFC 2308 5)", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetRcode(q, dns.RcodeNameError)
			return r
		}, ttlBounds{0, 86400}, false, 0},
		{"a negative TTL is capped at three hours", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetRcode(q, dns.RcodeNameError)
			r.Ns = []dns.RR{soa(86400, 86400)}
			return r
		}, ttlBounds{0, 86400}, true, maxNegativeTTL},
		{"SERVFAIL is remembered for a few seconds (RFC 9520)", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetRcode(q, dns.RcodeServerFailure)
			return r
		}, ttlBounds{0, 86400}, true, servfailTTL},
		{"REFUSED is not cached", func() *dns.Msg {
			r := new(dns.Msg)
			r.SetRcode(q, dns.RcodeRefused)
			return r
		}, ttlBounds{0, 86400}, false, 0},
		{"a truncated answer is not cached", func() *dns.Msg {
			r := answerA(q, "93.184.215.14", 300)
			r.Truncated = true
			return r
		}, ttlBounds{0, 86400}, false, 0},
		{"the OPT record's flags are not read as a TTL", func() *dns.Msg {
			r := answerA(q, "93.184.215.14", 300)
			r.SetEdns0(1232, true)
			return r
		}, ttlBounds{0, 86400}, true, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := keyFor(newQuery("www.example", dns.TypeA))
			e, cacheable, err := newEntry(&k, tt.reply(), time.Now(), tt.bounds)
			if err != nil {
				t.Fatal(err)
			}
			if cacheable != tt.cacheable || (cacheable && e.ttl != tt.ttl) {
				t.Fatalf("cacheable=%v ttl=%d, want %v %d", cacheable, e.ttl, tt.cacheable, tt.ttl)
			}
		})
	}
}

func keyFor(m *dns.Msg) cacheKey {
	var q query
	q.pkt, _ = m.Pack()
	if err := q.parse(); err != nil {
		panic(err)
	}
	return q.key
}

// addAnswer caches an A answer for name and returns its key.
func addAnswer(t *testing.T, c *Cache, name string) cacheKey {
	t.Helper()
	q := newQuery(name, dns.TypeA)
	k := keyFor(q)
	c.hashKey(&k)
	e, _, err := newEntry(&k, answerA(q, "93.184.215.14", 300), time.Now(), ttlBounds{0, 3600})
	if err != nil {
		t.Fatal(err)
	}
	c.add(&k, e)
	return k
}

func TestCacheBounds(t *testing.T) {
	t.Run("the byte bound evicts the oldest answers", func(t *testing.T) {
		c := NewCache(1_000_000, 64<<10)
		for i := range 2000 {
			addAnswer(t, c, fmt.Sprintf("n%d.example", i))
		}
		total := 0
		for i := range c.shards {
			total += c.shards[i].bytes
			if c.shards[i].bytes > c.shards[i].maxBytes {
				t.Fatalf("shard %d holds %d bytes, bound %d", i, c.shards[i].bytes, c.shards[i].maxBytes)
			}
		}
		if total == 0 || c.Len() == 0 {
			t.Fatal("nothing cached")
		}
	})
	t.Run("an answer asked for keeps its place while new names push the rest out", func(t *testing.T) {
		// 160 entries, 10 a shard.
		c := NewCache(160, 1<<30)
		add := func(name string) cacheKey { return addAnswer(t, c, name) }
		hot, cold := add("hot.example"), add("cold.example")
		for i := range 5000 {
			add(fmt.Sprintf("n%d.example", i))
			if i%4 == 0 && c.get(&hot) == nil {
				t.Fatalf("the name asked for every 4 new names was evicted after %d of them", i+1)
			}
		}
		if c.get(&cold) != nil {
			t.Fatal("a name never asked for again outlived 5,000 new names in a cache of 160")
		}
	})
	t.Run("the answer just added is never what makes room for itself", func(t *testing.T) {
		// A byte bound of about one answer a shard: every add must evict
		// the shard's other answers, even one asked for, and keep its own.
		probe := NewCache(1000, 1<<20)
		addAnswer(t, probe, "probe.example")
		one := probe.shards[0].bytes
		for i := range probe.shards {
			one = max(one, probe.shards[i].bytes)
		}
		c := NewCache(1000, cacheShards*(one+one/2))
		for i := range 500 {
			k := addAnswer(t, c, fmt.Sprintf("n%d.example", i))
			if c.get(&k) == nil { // asked for: marked used, as a hot answer is
				t.Fatalf("answer %d was evicted by its own add", i)
			}
		}
	})
	t.Run("shrinking keeps an answer asked for, and the rest stays whole", func(t *testing.T) {
		c := NewCache(100*cacheShards, 1<<30)
		keys := make([]cacheKey, 0, 100*cacheShards)
		for i := range 100 * cacheShards {
			keys = append(keys, addAnswer(t, c, fmt.Sprintf("n%d.example", i)))
		}
		hot := keys[len(keys)/2]
		if c.get(&hot) == nil {
			t.Fatal("the hot answer was not cached")
		}
		c.Resize(10*cacheShards, 1<<30)
		if c.get(&hot) == nil {
			t.Fatal("the answer asked for was evicted when the cache shrank")
		}
		if n := c.Len(); n > 10*cacheShards {
			t.Fatalf("%d answers after shrinking to %d", n, 10*cacheShards)
		}
		seen := 0
		c.each(func(e *entry) {
			seen++
			k := cacheKey{name: []byte(e.name), qtype: e.qtype, qclass: e.qclass, do: e.do, cd: e.cd}
			c.hashKey(&k)
			if c.get(&k) != e {
				t.Errorf("%q is in the ring but not found", e.name)
			}
		})
		indexed := 0
		for i := range c.shards {
			sh := &c.shards[i]
			indexed += len(sh.index)
			if len(sh.free) != len(sh.ring)-len(sh.index) {
				t.Errorf("shard %d: %d free slots in a ring of %d holding %d", i, len(sh.free), len(sh.ring), len(sh.index))
			}
		}
		if seen != c.Len() || indexed != seen {
			t.Errorf("the ring holds %d answers, the index %d, the count says %d", seen, indexed, c.Len())
		}
		for i := range 1000 { // the smaller ring takes new answers as before
			addAnswer(t, c, fmt.Sprintf("m%d.example", i))
		}
		if n := c.Len(); n != 10*cacheShards {
			t.Errorf("%d answers after 1,000 more, want the bound, %d", n, 10*cacheShards)
		}
	})
	t.Run("a hash collision is a miss, never another name's answer", func(t *testing.T) {
		c := NewCache(100, 1<<20)
		k1 := keyFor(newQuery("one.example", dns.TypeA))
		c.hashKey(&k1)
		e, _, err := newEntry(&k1, answerA(newQuery("one.example", dns.TypeA), "93.184.215.1", 300), time.Now(), ttlBounds{0, 3600})
		if err != nil {
			t.Fatal(err)
		}
		c.add(&k1, e)
		k2 := keyFor(newQuery("two.example", dns.TypeA))
		k2.hash = k1.hash // force the collision
		if c.get(&k2) != nil {
			t.Fatal("a colliding key got another name's answer")
		}
		if c.get(&k1) == nil {
			t.Fatal("the real key missed")
		}
	})
}

func TestSavedCacheSurvivesARestart(t *testing.T) {
	up := goodUpstream(t)
	clock := newFakeClock()
	cfg := testConfig(up.addr())
	h1 := newTestHandler(t, cfg, clock.Now)
	for _, n := range []string{"a.example", "b.example", "c.example"} {
		ask(t, h1, newQuery(n, dns.TypeA))
	}
	path := filepath.Join(t.TempDir(), "cache.bin")
	if n, err := h1.SaveCache(path); err != nil || n != 3 {
		t.Fatalf("saved %d, err %v", n, err)
	}
	clock.Advance(100 * time.Second)
	h2 := newTestHandler(t, cfg, clock.Now)
	if n, err := h2.LoadCache(path); err != nil || n != 3 {
		t.Fatalf("loaded %d, err %v", n, err)
	}
	before := up.queries.Load()
	r := ask(t, h2, newQuery("b.example", dns.TypeA))
	if up.queries.Load() != before || len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 200 {
		t.Fatalf("after a restart: reply %v, upstream asked %d times more", r, up.queries.Load()-before)
	}
	t.Run("entries from the future (a clock not yet set) are dropped", func(t *testing.T) {
		clock.Advance(-time.Hour)
		h3 := newTestHandler(t, cfg, clock.Now)
		if n, _ := h3.LoadCache(path); n != 0 {
			t.Fatalf("loaded %d entries stored after now", n)
		}
	})
	t.Run("a file that is not a saved cache is refused", func(t *testing.T) {
		if _, err := h2.LoadCache("cache_test.go"); err == nil {
			t.Fatal("read a Go file as a cache")
		}
	})
}

func TestParseRequest(t *testing.T) {
	mk := func(f func(m *dns.Msg)) []byte {
		m := newQuery("www.Example.com", dns.TypeAAAA)
		f(m)
		b, _ := m.Pack()
		return b
	}
	mac := net.HardwareAddr{0xa4, 0x83, 0xe7, 0x12, 0x34, 0x56}
	tests := []struct {
		name  string
		pkt   []byte
		ok    bool
		check func(t *testing.T, r *request)
	}{
		{"a plain query", mk(func(*dns.Msg) {}), true, func(t *testing.T, r *request) {
			if r.qtype != dns.TypeAAAA || r.edns || string(appendPresentation(nil, r.qname)) != "www.example.com" {
				t.Fatalf("%+v", r)
			}
		}},
		{"EDNS with DO and a buffer size", mk(func(m *dns.Msg) { m.SetEdns0(4096, true) }), true, func(t *testing.T, r *request) {
			if !r.edns || !r.do || r.udpSize != 4096 {
				t.Fatalf("%+v", r)
			}
		}},
		{"the MAC address a forwarder adds in option 65001", mk(func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_LOCAL{Code: optionMAC, Data: mac})
		}), true, func(t *testing.T, r *request) {
			if !r.hasMAC || net.HardwareAddr(r.mac[:]).String() != mac.String() {
				t.Fatalf("MAC %v", r.mac)
			}
		}},
		{"a response is not a simple query", mk(func(m *dns.Msg) { m.Response = true }), false, nil},
		{"a NOTIFY is not a simple query", mk(func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }), false, nil},
		{"trailing bytes are not a simple query", append(mk(func(*dns.Msg) {}), 0), false, nil},
		{"a truncated packet is not a simple query", mk(func(*dns.Msg) {})[:20], false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r request
			err := parseRequest(tt.pkt, &r)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v", err)
			}
			if tt.check != nil {
				tt.check(t, &r)
			}
		})
	}
}

func TestPresentationEscapesWhatIsNotAHostName(t *testing.T) {
	// A label holding a dot must not read as two labels to the policy.
	wire := []byte{5, 'e', 'v', '.', 'l', 'X', 3, 'c', 'o', 'm', 0}
	if got := string(appendPresentation(nil, wire)); got != `ev\046lx.com` {
		t.Fatalf("got %q", got)
	}
}

func TestTheForwardersMACReachesThePolicy(t *testing.T) {
	m := newQuery("example.com", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_LOCAL{Code: optionMAC, Data: []byte{0xa4, 0x83, 0xe7, 0x12, 0x34, 0x56}})
	// An unusual query (a second additional record) takes the slow path,
	// which must keep the MAC too.
	slow := m.Copy()
	slow.Extra = append(slow.Extra, &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"x"}})
	for name, msg := range map[string]*dns.Msg{"fast path": m, "slow path": slow} {
		t.Run(name, func(t *testing.T) {
			var q query
			q.pkt = pack(t, msg)
			if err := q.parse(); err != nil {
				t.Fatal(err)
			}
			if !q.client.HasMAC || net.HardwareAddr(q.client.MAC[:]).String() != "a4:83:e7:12:34:56" {
				t.Fatalf("client %+v", q.client)
			}
		})
	}
}
