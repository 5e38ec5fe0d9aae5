package resolver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeUpstream is a UDP and TCP server on 127.0.0.1:0 whose behaviour each
// test scripts: respond returns the raw datagrams to send back for a query
// (none for silence), so that tests can send junk, wrong IDs, wrong
// questions, truncated answers, or nothing at all.
type fakeUpstream struct {
	t       testing.TB
	udp     *net.UDPConn
	tcp     net.Listener
	respond func(q *dns.Msg, tcp bool) [][]byte
	queries atomic.Int64
	wg      sync.WaitGroup

	mu    sync.Mutex     // guards following
	ports map[uint16]int // UDP queries by source port
}

// answerA is the usual good reply: one A record.
func answerA(q *dns.Msg, ip string, ttl uint32) *dns.Msg {
	r := new(dns.Msg)
	r.SetReply(q)
	r.RecursionAvailable = true
	r.Answer = []dns.RR{&dns.A{
		Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
		A:   net.ParseIP(ip).To4(),
	}}
	if opt := q.IsEdns0(); opt != nil {
		r.SetEdns0(1232, opt.Do())
	}
	return r
}

func pack(t testing.TB, m *dns.Msg) []byte {
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startUpstream(t testing.TB, respond func(q *dns.Msg, tcp bool) [][]byte) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{t: t, respond: respond}
	// UDP takes any free port; TCP wants the same one, which another
	// test may hold, so pick again when it is taken.
	for try := 0; ; try++ {
		var err error
		if u.udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
		if u.tcp, err = net.Listen("tcp", u.udp.LocalAddr().String()); err == nil {
			break
		}
		u.udp.Close()
		if try == 9 {
			t.Fatal(err)
		}
	}
	u.wg.Add(2)
	go u.serveUDP()
	go u.serveTCP()
	t.Cleanup(func() { u.udp.Close(); u.tcp.Close(); u.wg.Wait() })
	return u
}

func (u *fakeUpstream) addr() string { return u.udp.LocalAddr().String() }

// sourcePorts returns how many distinct source ports the UDP queries came from.
func (u *fakeUpstream) sourcePorts() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.ports)
}

func (u *fakeUpstream) serveUDP() {
	defer u.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := u.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		q := new(dns.Msg)
		if q.Unpack(buf[:n]) != nil {
			continue
		}
		u.queries.Add(1)
		u.mu.Lock()
		if u.ports == nil {
			u.ports = make(map[uint16]int)
		}
		u.ports[from.Port()]++
		u.mu.Unlock()
		go func() {
			for _, b := range u.respond(q, false) {
				u.udp.WriteToUDPAddrPort(b, from)
			}
		}()
	}
}

func (u *fakeUpstream) serveTCP() {
	defer u.wg.Done()
	for {
		c, err := u.tcp.Accept()
		if err != nil {
			return
		}
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			defer c.Close()
			dc := &dns.Conn{Conn: c}
			for {
				q, err := dc.ReadMsg()
				if err != nil {
					return
				}
				u.queries.Add(1)
				for _, b := range u.respond(q, true) {
					dc.Write(b)
				}
			}
		}()
	}
}

// testConfig is a configuration that forwards to the given upstreams with
// the rate limit off and loopback allowed.
func testConfig(upstreams ...string) Config {
	c := DefaultConfig()
	c.Server.Listen = []string{"127.0.0.1:0"}
	c.Server.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	c.Server.RateLimit = 0
	c.Upstream.Servers = nil
	for _, u := range upstreams {
		c.Upstream.Servers = append(c.Upstream.Servers, "udp://"+u)
	}
	c.Upstream.Timeout = 500 * time.Millisecond
	return c
}

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestHandler(t testing.TB, cfg Config, now func() time.Time) *Handler {
	t.Helper()
	h, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

var loopback = netip.MustParseAddr("127.0.0.1")

// ask sends m through the handler as client 127.0.0.1 over UDP and returns
// the unpacked reply, failing the test if the reply does not parse.
func ask(t testing.TB, h *Handler, m *dns.Msg) *dns.Msg {
	t.Helper()
	return askFrom(t, h, loopback, false, m)
}

func askFrom(t testing.TB, h *Handler, client netip.Addr, tcp bool, m *dns.Msg) *dns.Msg {
	t.Helper()
	out := h.Answer(client, tcp, pack(t, m), nil)
	if out == nil {
		return nil
	}
	r := new(dns.Msg)
	if err := r.Unpack(out); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	return r
}

func newQuery(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	return m
}

// waitFor returns what ch gives, or fails the test if it gives nothing
// within 5 seconds: a test waits on a signal, with a deadline.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no sign of %s after 5 s", what)
		var zero T
		return zero
	}
}

// fakeTransport is an upstream without a socket, for tests that must know
// where every goroutine waits (testing/synctest cannot see into sockets).
type fakeTransport struct {
	onExchange func(ctx context.Context, q *dns.Msg) (*dns.Msg, error)
}

var _ transport = (*fakeTransport)(nil)

func (f *fakeTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	return f.onExchange(ctx, q)
}

func (f *fakeTransport) String() string { return "fake" }
func (f *fakeTransport) close()         {}
