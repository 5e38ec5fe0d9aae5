package resolver

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// recorder is a dns.ResponseWriter that keeps what ServeDNS writes, as if
// the query came from addr over UDP.
type recorder struct {
	addr netip.Addr
	msg  *dns.Msg // nil: no answer
}

func (r *recorder) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(r.addr, 40000))
}
func (r *recorder) WriteMsg(m *dns.Msg) error { r.msg = m; return nil }
func (r *recorder) Write(b []byte) (int, error) {
	r.msg = new(dns.Msg)
	return len(b), r.msg.Unpack(b)
}
func (r *recorder) Close() error        { return nil }
func (r *recorder) TsigStatus() error   { return nil }
func (r *recorder) TsigTimersOnly(bool) {}
func (r *recorder) Hijack()             {}

var _ dns.ResponseWriter = (*recorder)(nil)

// serve runs ServeDNS for m from addr and returns the answer, nil for none.
func serve(h *Handler, addr netip.Addr, m *dns.Msg) *dns.Msg {
	w := &recorder{addr: addr}
	h.ServeDNS(w, m)
	return w.msg
}

// withMAC returns a query for name carrying mac in EDNS option 65001, as
// dnsmasq add-mac sends it.
func withMAC(name string, mac byte) *dns.Msg {
	m := newQuery(name, dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option,
		&dns.EDNS0_LOCAL{Code: optionMAC, Data: []byte{0x02, 0, 0, 0, 0, mac}})
	return m
}

// forwarderPolicy trusts 127.0.0.1 to carry its devices' MACs.
func forwarderPolicy(t *testing.T) *policy.Snapshot {
	t.Helper()
	p, err := policy.NewSnapshot(policy.Config{
		Filter:   policy.DefaultFilterConfig(),
		Identify: policy.IdentifyConfig{TrustedForwarders: []netip.Addr{loopback}},
	}, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRateLimitIsPerDeviceBehindATrustedForwarder fails on 054ef15, where
// the limit was keyed by the source address: the second device behind the
// router was limited by the first one's queries.
func TestRateLimitIsPerDeviceBehindATrustedForwarder(t *testing.T) {
	up := goodUpstream(t)
	cfg := testConfig(up.addr())
	cfg.Server.RateLimit, cfg.Server.RateBurst = 5, 5
	clock := newFakeClock()
	h := newTestHandler(t, cfg, clock.Now)
	h.SetPolicy(forwarderPolicy(t))
	answeredOK := func(from netip.Addr, mac byte, n int) int {
		ok := 0
		for range n {
			m := newQuery("example.com", dns.TypeA)
			if mac != 0 {
				m = withMAC("example.com", mac)
			}
			if r := serve(h, from, m); r != nil && r.Rcode == dns.RcodeSuccess {
				ok++
			}
		}
		return ok
	}

	t.Run("a device over its rate is refused, not ignored, through the forwarder", func(t *testing.T) {
		if n := answeredOK(loopback, 0xa1, 10); n != 5 {
			t.Fatalf("%d of 10 answered at a burst of 5", n)
		}
		if r := serve(h, loopback, withMAC("example.com", 0xa1)); r == nil || r.Rcode != dns.RcodeRefused {
			t.Fatalf("over its rate behind a forwarder: %v, want REFUSED (a forwarder waits for every answer)", r)
		}
	})
	t.Run("another MAC through the same forwarder has its own budget", func(t *testing.T) {
		if n := answeredOK(loopback, 0xb2, 5); n != 5 {
			t.Fatalf("%d of 5 answered for a second device", n)
		}
	})
	t.Run("the forwarder's own queries, without a MAC, are never limited", func(t *testing.T) {
		if n := answeredOK(loopback, 0, 20); n != 20 {
			t.Fatalf("%d of 20 answered", n)
		}
	})
	t.Run("an untrusted address cannot dodge its limit with new MACs", func(t *testing.T) {
		other := netip.MustParseAddr("127.0.0.2")
		ok := 0
		for i := range 10 {
			if r := serve(h, other, withMAC("example.com", byte(0x10+i))); r != nil {
				ok++
			}
		}
		if ok != 5 {
			t.Fatalf("%d of 10 answered with a new MAC each time, want the address's 5", ok)
		}
	})
	t.Run("each device's bucket refills", func(t *testing.T) {
		clock.Advance(time.Second)
		if n := answeredOK(loopback, 0xa1, 5); n != 5 {
			t.Fatalf("%d of 5 answered after a second at 5 q/s", n)
		}
	})
}

// TestAFlooderCannotKeepAnotherDevicesMissOut fails on 054ef15: there one
// device's misses could take every upstream slot, and the next device's
// miss was refused. The flooder's names hang at the upstream until the end
// of the test; every other name is answered at once.
func TestAFlooderCannotKeepAnotherDevicesMissOut(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan string, 256)
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		arrived <- q.Question[0].Name
		if strings.HasPrefix(q.Question[0].Name, "flood") {
			<-release
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 300))}
	})
	const budget = 64 // a device may hold 8
	cfg := testConfig(up.addr())
	cfg.Server.MaxConcurrent = budget
	cfg.Upstream.Timeout = 10 * time.Second // the flood must still hang when the victim asks
	h := newTestHandler(t, cfg, nil)
	h.SetPolicy(forwarderPolicy(t))
	defer close(release)

	// The flooder asks one unique name after another, each on its own
	// goroutine, until it is refused: then it holds all it can.
	refused := make(chan *dns.Msg, 2*budget)
	deadline := time.After(10 * time.Second)
	held := 0
	for i := 0; ; i++ {
		if i == 2*budget {
			t.Fatalf("the flooder was never refused: it holds %d of %d slots", held, budget)
		}
		go func() {
			r := serve(h, loopback, withMAC(fmt.Sprintf("flood%d.example", i), 0xf1))
			if r != nil && r.Rcode == dns.RcodeRefused {
				refused <- r
			}
		}()
		select {
		case <-arrived:
			held++
			continue
		case <-refused:
		case <-deadline:
			t.Fatal("neither an upstream query nor a refusal for the flooder's query")
		}
		break
	}

	r := serve(h, loopback, withMAC("victim.example", 0xb2))
	if r == nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("another device's miss while the flooder holds %d slots: %v", held, r)
	}
	if got := <-arrived; got != "victim.example." {
		t.Fatalf("the upstream was asked %q, want victim.example.", got)
	}
}

func TestMissSharesDivideTheBudget(t *testing.T) {
	var total atomic.Int64
	m := newMissShares(&total)
	mac := func(b byte) device { return device{addr: loopback, mac: [6]byte{2, 0, 0, 0, 0, b}, hasMAC: true} }
	home := deviceOf(policy.Client{Addr: loopback}, true)
	take := func(d device, n int) int {
		got := 0
		for range n {
			if m.admit(d, 100) {
				got++
			}
		}
		return got
	}
	steps := []struct {
		what string
		d    device
		want int
	}{
		{"a trusted forwarder's own queries take the free half and their share", home, 50},
		{"a device behind it takes an eighth at most", mac(1), 12},
		{"so does the next", mac(2), 12},
		{"and the next", mac(3), 12},
		{"and the next", mac(4), 12},
		{"the last slots go to a newcomer under its share", mac(5), 2},
		{"nothing is left past the budget", mac(1), 0},
	}
	for _, st := range steps {
		if got := take(st.d, 100); got != st.want {
			t.Fatalf("%s: took %d, want %d", st.what, got, st.want)
		}
	}
	for range 50 {
		m.done(home)
	}
	if got := take(home, 100); got != 14 {
		t.Fatalf("the forwarder's queries, drained, took back %d beside 5 devices, want 100/7", got)
	}
	if total.Load() != 64 {
		t.Fatalf("total %d, want 64", total.Load())
	}
}

// TestCachedAndBlockedAnswersNeverWaitForMisses fills every upstream slot
// with misses that hang, from eight devices, and then asks a cached and a
// blocked name: both are answered without waiting. They never reach the
// miss path, whose slots, goroutines and upstream sockets they do not
// share (the UDP listener answers them on its read loop).
func TestCachedAndBlockedAnswersNeverWaitForMisses(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 64)
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		if strings.HasPrefix(q.Question[0].Name, "flood") {
			arrived <- struct{}{}
			<-release
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 300))}
	})
	const budget = 8
	cfg := testConfig(up.addr())
	cfg.Server.MaxConcurrent = budget
	cfg.Upstream.Timeout = 10 * time.Second
	h := newTestHandler(t, cfg, nil)
	h.SetPolicy(forwarderPolicy(t))
	defer close(release)
	if r := serve(h, loopback, withMAC("cached.example", 0xb2)); r == nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("priming the cache: %v", r)
	}

	deadline := time.After(10 * time.Second)
	for i := range budget {
		go serve(h, loopback, withMAC(fmt.Sprintf("flood%d.example", i), byte(0xf0+i)))
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("flood miss %d never reached the upstream", i)
		}
	}
	if n := h.inflight.Load(); n != budget {
		t.Fatalf("%d misses in flight, want the whole budget of %d", n, budget)
	}

	for _, c := range []struct {
		name  string
		rcode int
	}{{"cached.example", dns.RcodeSuccess}, {"mask.icloud.com", dns.RcodeNameError}} {
		done := make(chan *dns.Msg, 1)
		go func() { done <- serve(h, loopback, withMAC(c.name, 0xb2)) }()
		select {
		case r := <-done:
			if r == nil || r.Rcode != c.rcode {
				t.Errorf("%s while every slot is taken: %v, want %s", c.name, r, dns.RcodeToString[c.rcode])
			}
		case <-deadline:
			t.Fatalf("%s waited behind the misses", c.name)
		}
	}
}
