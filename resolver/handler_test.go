package resolver

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"
)

func goodUpstream(t *testing.T) *fakeUpstream {
	return startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 300))}
	})
}

func TestAnsweringBasics(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)

	t.Run("an answer echoes the client's ID, RD bit and spelling of the name", func(t *testing.T) {
		m := newQuery("ExAmPle.COM", dns.TypeA)
		m.Id = 4242
		r := ask(t, h, m)
		if r.Id != 4242 || !r.RecursionDesired || !r.RecursionAvailable || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("header: %+v", r.MsgHdr)
		}
		if r.Question[0].Name != "ExAmPle.COM." || len(r.Answer) != 1 {
			t.Fatalf("reply: %v", r)
		}
	})
	t.Run("a second ask is a cache hit, whatever the case", func(t *testing.T) {
		before := up.queries.Load()
		r := ask(t, h, newQuery("example.com", dns.TypeA))
		if up.queries.Load() != before || len(r.Answer) != 1 {
			t.Fatalf("upstream asked again (%d -> %d)", before, up.queries.Load())
		}
		if r.Answer[0].Header().Name != "example.com." {
			t.Fatalf("owner name %q does not follow the question's spelling", r.Answer[0].Header().Name)
		}
	})
	t.Run("ANY gets the small RFC 8482 answer and no upstream query", func(t *testing.T) {
		before := up.queries.Load()
		r := ask(t, h, newQuery("example.org", dns.TypeANY))
		if _, ok := r.Answer[0].(*dns.HINFO); !ok || len(r.Answer) != 1 || up.queries.Load() != before {
			t.Fatalf("reply: %v", r)
		}
	})
	t.Run("zone transfers are refused", func(t *testing.T) {
		if r := ask(t, h, newQuery("example.org", dns.TypeAXFR)); r.Rcode != dns.RcodeRefused {
			t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("a client outside allow is refused, with no more bytes than it sent", func(t *testing.T) {
		m := newQuery("example.com", dns.TypeA)
		m.SetEdns0(4096, false)
		in := pack(t, m)
		out := h.Answer(netip.MustParseAddr("203.0.113.9"), false, in, nil)
		r := new(dns.Msg)
		if err := r.Unpack(out); err != nil || r.Rcode != dns.RcodeRefused || len(out) > len(in) {
			t.Fatalf("reply %v (%d bytes for %d), err %v", r, len(out), len(in), err)
		}
	})
	t.Run("a response is never answered", func(t *testing.T) {
		m := newQuery("example.com", dns.TypeA)
		m.Response = true
		m.Question = append(m.Question, m.Question[0]) // off the fast path too
		if out := h.Answer(loopback, false, pack(t, m), nil); out != nil {
			t.Fatalf("answered a response: %x", out)
		}
	})
	t.Run("garbage gets FORMERR when it has a header", func(t *testing.T) {
		out := h.Answer(loopback, false, []byte{0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99, 'x'}, nil)
		r := new(dns.Msg)
		if err := r.Unpack(out); err != nil || r.Id != 0xabcd || r.Rcode != dns.RcodeFormatError {
			t.Fatalf("reply %v err %v", r, err)
		}
	})
	t.Run("an EDNS version other than 0 gets BADVERS", func(t *testing.T) {
		m := newQuery("example.com", dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().SetVersion(1)
		if r := ask(t, h, m); r.Rcode != dns.RcodeBadVers {
			t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("a query with two questions gets FORMERR", func(t *testing.T) {
		m := newQuery("example.com", dns.TypeA)
		m.Question = append(m.Question, dns.Question{Name: "example.net.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
		if r := ask(t, h, m); r.Rcode != dns.RcodeFormatError {
			t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("an EDNS client gets an OPT record back with the DO bit echoed", func(t *testing.T) {
		m := newQuery("example.com", dns.TypeA)
		m.SetEdns0(4096, true)
		r := ask(t, h, m)
		opt := r.IsEdns0()
		if opt == nil || !opt.Do() || opt.UDPSize() != 1232 {
			t.Fatalf("OPT %v", opt)
		}
	})
}

func TestTruncation(t *testing.T) {
	// 40 A records: about 660 bytes, more than 512 but less than 1232.
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		r := answerA(q, "93.184.215.1", 300)
		for i := 2; i <= 40; i++ {
			rr := dns.Copy(r.Answer[0]).(*dns.A)
			rr.A = netip.AddrFrom4([4]byte{93, 184, 215, byte(i)}).AsSlice()
			r.Answer = append(r.Answer, rr)
		}
		return [][]byte{pack(t, r)}
	})
	h := newTestHandler(t, testConfig(up.addr()), nil)
	tests := []struct {
		name      string
		edns      uint16
		tcp       bool
		truncated bool
	}{
		{"a client without EDNS gets at most 512 bytes and TC", 0, false, true},
		{"a client with a 1232-byte buffer gets it all", 1232, false, false},
		{"a client over TCP gets it all", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newQuery("many.example", dns.TypeA)
			if tt.edns > 0 {
				m.SetEdns0(tt.edns, false)
			}
			out := h.Answer(loopback, tt.tcp, pack(t, m), nil)
			r := new(dns.Msg)
			if err := r.Unpack(out); err != nil {
				t.Fatal(err)
			}
			if r.Truncated != tt.truncated || (!tt.truncated && len(r.Answer) != 40) {
				t.Fatalf("TC=%v with %d answers in %d bytes", r.Truncated, len(r.Answer), len(out))
			}
			if !tt.tcp && len(out) > max(512, int(tt.edns)) {
				t.Fatalf("%d bytes for a %d-byte client", len(out), tt.edns)
			}
		})
	}
}

// TestIdenticalQueriesShareOneUpstreamExchange runs in a synctest bubble
// with an upstream that is a channel, not a socket, so that synctest.Wait
// tells when every asker waits: on the upstream, or on the exchange it
// shares. Twenty askers waiting on twenty exchanges would also be blocked,
// and counted.
func TestIdenticalQueriesShareOneUpstreamExchange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var exchanges atomic.Int64
		h := newTestHandler(t, testConfig("127.0.0.1:9"), nil)
		h.settings.Load().public.ups[0].t = &fakeTransport{onExchange: func(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
			exchanges.Add(1)
			select {
			case <-release:
				return answerA(q, "93.184.215.14", 300), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				out := h.Answer(loopback, false, pack(t, newQuery("shared.example", dns.TypeA)), nil)
				if r := new(dns.Msg); r.Unpack(out) != nil || len(r.Answer) != 1 {
					t.Errorf("reply %x", out)
				}
			})
		}
		synctest.Wait()
		if misses := h.Stats.CacheMisses.Load(); misses != 20 {
			t.Fatalf("%d cache misses with every asker waiting, want 20", misses)
		}
		close(release)
		wg.Wait()
		if n := exchanges.Load(); n != 1 {
			t.Fatalf("%d upstream exchanges for 20 identical questions", n)
		}
	})
}

func TestServeStale(t *testing.T) {
	var down sync.Mutex
	failing := false
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		down.Lock()
		defer down.Unlock()
		if failing {
			return nil
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 60))}
	})
	clock := newFakeClock()
	cfg := testConfig(up.addr())
	cfg.Upstream.Timeout = 100 * time.Millisecond
	h := newTestHandler(t, cfg, clock.Now)
	ask(t, h, newQuery("stale.example", dns.TypeA))

	down.Lock()
	failing = true
	down.Unlock()
	clock.Advance(2 * time.Hour)
	m := newQuery("stale.example", dns.TypeA)
	m.SetEdns0(1232, false)
	r := ask(t, h, m)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].Header().Ttl != staleTTL {
		t.Fatalf("want the stale answer with TTL %d, got %v", staleTTL, r)
	}
	if ede := extendedError(r); ede != edeStaleAnswer {
		t.Fatalf("extended error %d, want %d (Stale Answer)", ede, edeStaleAnswer)
	}
	t.Run("within the recheck time it is served without asking again", func(t *testing.T) {
		before := up.queries.Load()
		ask(t, h, newQuery("stale.example", dns.TypeA))
		if up.queries.Load() != before {
			t.Fatal("upstream asked again within the RFC 8767 failure recheck time")
		}
	})
	t.Run("past serve_stale the answer is SERVFAIL", func(t *testing.T) {
		clock.Advance(25 * time.Hour)
		if r := ask(t, h, newQuery("stale.example", dns.TypeA)); r.Rcode != dns.RcodeServerFailure {
			t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
}

func extendedError(r *dns.Msg) uint16 {
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				return e.InfoCode
			}
		}
	}
	return 0
}

func TestTTLsCountDown(t *testing.T) {
	up := goodUpstream(t)
	clock := newFakeClock()
	h := newTestHandler(t, testConfig(up.addr()), clock.Now)
	ask(t, h, newQuery("ttl.example", dns.TypeA))
	clock.Advance(100 * time.Second)
	if r := ask(t, h, newQuery("ttl.example", dns.TypeA)); r.Answer[0].Header().Ttl != 200 {
		t.Fatalf("TTL %d after 100 s of 300", r.Answer[0].Header().Ttl)
	}
	clock.Advance(201 * time.Second)
	before := up.queries.Load()
	ask(t, h, newQuery("ttl.example", dns.TypeA))
	if up.queries.Load() != before+1 {
		t.Fatal("an expired answer was not asked again")
	}
}

func TestPrefetchRefreshesOnce(t *testing.T) {
	up := goodUpstream(t)
	clock := newFakeClock()
	h := newTestHandler(t, testConfig(up.addr()), clock.Now)
	ask(t, h, newQuery("popular.example", dns.TypeA))
	clock.Advance(280 * time.Second) // into the last tenth of 300 s
	for range 10 {
		ask(t, h, newQuery("popular.example", dns.TypeA))
	}
	h.bg.Wait()
	if n := up.queries.Load(); n != 2 || h.Stats.Prefetches.Load() != 1 {
		t.Fatalf("%d upstream queries, %d prefetches; want 2 and 1", n, h.Stats.Prefetches.Load())
	}
	clock.Advance(25 * time.Second) // past the first answer's expiry, inside the prefetched one's life
	before := up.queries.Load()
	if r := ask(t, h, newQuery("popular.example", dns.TypeA)); len(r.Answer) != 1 || up.queries.Load() != before {
		t.Fatal("the prefetched answer was not used")
	}
}

func TestRebindingProtection(t *testing.T) {
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		r := answerA(q, "192.168.1.20", 300)
		r.Answer = append(r.Answer, answerA(q, "93.184.215.14", 300).Answer...)
		return [][]byte{pack(t, r)}
	})
	cfg := testConfig(up.addr())
	cfg.Local.RebindAllow = []string{"plex.direct"}
	h := newTestHandler(t, cfg, nil)
	tests := []struct {
		name string
		want int
	}{
		{"evil.example", 1},
		{"abc.plex.direct", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name+" keeps "+string(rune('0'+tt.want))+" addresses", func(t *testing.T) {
			if r := ask(t, h, newQuery(tt.name, dns.TypeA)); len(r.Answer) != tt.want {
				t.Fatalf("answers %v", r.Answer)
			}
		})
	}
}

func TestLocalNames(t *testing.T) {
	public := goodUpstream(t)
	router := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		return [][]byte{pack(t, answerA(q, "192.168.1.50", 60))}
	})
	cfg := testConfig(public.addr())
	cfg.Local.Domain = "lan"
	cfg.Local.Router = router.addr()
	cfg.Local.Reverse = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	cfg.Local.Hosts = []string{"192.168.1.10 nas nas.lan"}
	h := newTestHandler(t, cfg, nil)

	t.Run("a static host is answered locally", func(t *testing.T) {
		r := ask(t, h, newQuery("nas", dns.TypeA))
		if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.168.1.10" {
			t.Fatalf("reply %v", r)
		}
	})
	t.Run("its reverse name too", func(t *testing.T) {
		r := ask(t, h, newQuery("10.1.168.192.in-addr.arpa", dns.TypePTR))
		if len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "nas." {
			t.Fatalf("reply %v", r)
		}
	})
	t.Run("LAN names go to the router and keep their private address", func(t *testing.T) {
		r := ask(t, h, newQuery("printer.lan", dns.TypeA))
		if len(r.Answer) != 1 || router.queries.Load() != 1 || public.queries.Load() != 0 {
			t.Fatalf("reply %v; router %d, public %d", r, router.queries.Load(), public.queries.Load())
		}
	})
	t.Run("other private reverse zones never leave the house", func(t *testing.T) {
		r := ask(t, h, newQuery("1.0.0.10.in-addr.arpa", dns.TypePTR))
		if r.Rcode != dns.RcodeNameError || public.queries.Load() != 0 {
			t.Fatalf("rcode %s, public asked %d", dns.RcodeToString[r.Rcode], public.queries.Load())
		}
	})
	t.Run("localhost is loopback", func(t *testing.T) {
		r := ask(t, h, newQuery("localhost", dns.TypeA))
		if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "127.0.0.1" {
			t.Fatalf("reply %v", r)
		}
	})
}

func TestMaxConcurrentRefusesBeyondTheBound(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		select {
		case arrived <- struct{}{}:
		default: // a retry of the same query
		}
		<-release
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 300))}
	})
	defer close(release)
	cfg := testConfig(up.addr())
	cfg.Server.MaxConcurrent = 1
	cfg.Upstream.Timeout = 2 * time.Second
	h := newTestHandler(t, cfg, nil)
	go h.Answer(loopback, false, pack(t, newQuery("slow.example", dns.TypeA)), nil)
	waitFor(t, arrived, "the first query at the upstream") // it holds the only place
	if r := ask(t, h, newQuery("other.example", dns.TypeA)); r.Rcode != dns.RcodeRefused {
		t.Fatalf("rcode %s beyond max_concurrent", dns.RcodeToString[r.Rcode])
	}
}

func TestRateLimit(t *testing.T) {
	up := goodUpstream(t)
	cfg := testConfig(up.addr())
	cfg.Server.RateLimit, cfg.Server.RateBurst = 5, 5
	clock := newFakeClock()
	h := newTestHandler(t, cfg, clock.Now)
	other := netip.MustParseAddr("127.0.0.2")
	answered := 0
	for range 10 {
		if askFrom(t, h, loopback, false, newQuery("example.com", dns.TypeA)) != nil {
			answered++
		}
	}
	if answered != 5 {
		t.Fatalf("%d of 10 answered at a burst of 5", answered)
	}
	if askFrom(t, h, other, false, newQuery("example.com", dns.TypeA)) == nil {
		t.Fatal("another client was limited too")
	}
	if r := askFrom(t, h, loopback, true, newQuery("example.com", dns.TypeA)); r == nil || r.Rcode != dns.RcodeRefused {
		t.Fatalf("over TCP a limited client should be refused, got %v", r)
	}
	clock.Advance(time.Second)
	if askFrom(t, h, loopback, false, newQuery("example.com", dns.TypeA)) == nil {
		t.Fatal("the bucket did not refill")
	}
}
