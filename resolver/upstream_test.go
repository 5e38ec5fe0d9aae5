package resolver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestUDPUpstreamAcceptsOnlyTheMatchingReply(t *testing.T) {
	tests := []struct {
		name    string
		respond func(t *testing.T, q *dns.Msg, tcp bool) [][]byte
		rcode   int
		answer  string
	}{
		{"garbage first, then the answer", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			return [][]byte{{1, 2, 3}, []byte("not dns at all, but long enough"), pack(t, answerA(q, "93.184.215.1", 60))}
		}, dns.RcodeSuccess, "93.184.215.1"},
		{"a reply with the wrong ID is read past", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			spoof := answerA(q, "6.6.6.6", 60)
			spoof.Id++
			return [][]byte{pack(t, spoof), pack(t, answerA(q, "93.184.215.2", 60))}
		}, dns.RcodeSuccess, "93.184.215.2"},
		{"a reply to another question is read past", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			other := q.Copy()
			other.Question[0].Name = "evil.example."
			return [][]byte{pack(t, answerA(other, "6.6.6.6", 60)), pack(t, answerA(q, "93.184.215.3", 60))}
		}, dns.RcodeSuccess, "93.184.215.3"},
		{"an answer echoing the name in another case is taken (RFC 4343)", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			r := answerA(q, "93.184.215.5", 60)
			r.Question[0].Name = strings.ToUpper(r.Question[0].Name)
			return [][]byte{pack(t, r)}
		}, dns.RcodeSuccess, "93.184.215.5"},
		{"a truncated reply is asked again over TCP", func(t *testing.T, q *dns.Msg, tcp bool) [][]byte {
			if !tcp {
				r := new(dns.Msg)
				r.SetReply(q)
				r.Truncated = true
				return [][]byte{pack(t, r)}
			}
			return [][]byte{pack(t, answerA(q, "93.184.215.4", 60))}
		}, dns.RcodeSuccess, "93.184.215.4"},
		{"an answer after the deadline is SERVFAIL, and read past when it lands", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			time.Sleep(400 * time.Millisecond) // the upstream is slow; the handler's budget is 200 ms
			return [][]byte{pack(t, answerA(q, "93.184.215.9", 60))}
		}, dns.RcodeServerFailure, ""},
		{"silence ends in SERVFAIL, not silence", func(*testing.T, *dns.Msg, bool) [][]byte {
			return nil
		}, dns.RcodeServerFailure, ""},
		{"only wrong IDs end in SERVFAIL", func(t *testing.T, q *dns.Msg, _ bool) [][]byte {
			spoof := answerA(q, "6.6.6.6", 60)
			spoof.Id++
			return [][]byte{pack(t, spoof)}
		}, dns.RcodeServerFailure, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := startUpstream(t, func(q *dns.Msg, tcp bool) [][]byte { return tt.respond(t, q, tcp) })
			cfg := testConfig(up.addr())
			cfg.Upstream.Timeout = 200 * time.Millisecond
			h := newTestHandler(t, cfg, nil)
			r := ask(t, h, newQuery("www.example.com", dns.TypeA))
			if r.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if tt.answer != "" && (len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != tt.answer) {
				t.Fatalf("answer %v, want %s", r.Answer, tt.answer)
			}
		})
	}
}

// TestUDPUpstreamUsesFreshIDs asks 512 questions one after another and
// wants IDs an attacker cannot foresee (RFC 5452 9.2): spread over both
// bytes, and with no step between one ID and the next that repeats. A fixed
// ID piles up in one bucket; a counting ID, from any start and with any
// stride, repeats its step 511 times, while 511 steps between random IDs
// repeat one value 5 times with a chance of about 1.5 in 10^8, and a byte
// value shows up more than 16 times in 512 random IDs about 5 in 10^8.
func TestUDPUpstreamUsesFreshIDs(t *testing.T) {
	const n = 512
	var mu sync.Mutex
	var ids []uint16
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		mu.Lock()
		ids = append(ids, q.Id)
		mu.Unlock()
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 60))}
	})
	tr := newUDPTransport(up.addr())
	defer tr.close()
	for i := range n {
		q := newQuery(fmt.Sprintf("n%d.example", i), dns.TypeA)
		if err := exchangeEitherWay(t.Context(), tr, i, q); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != n {
		t.Fatalf("the upstream saw %d queries, want %d", len(ids), n)
	}
	var low, high [256]int
	steps := make(map[uint16]int)
	for i, id := range ids {
		low[id&0xff]++
		high[id>>8]++
		if i > 0 {
			steps[id-ids[i-1]]++
		}
	}
	for b := range 256 { // 512 IDs in 256 buckets: 2 each on average
		if low[b] > 16 || high[b] > 16 {
			t.Fatalf("of %d IDs, %d end in byte %d and %d start with it: IDs are not random", n, low[b], b, high[b])
		}
	}
	for step, k := range steps {
		if k >= 5 {
			t.Fatalf("%d of %d consecutive IDs differ by %d: IDs are counted, not random", k, n-1, step)
		}
	}
}

// TestUDPUpstreamUsesAFreshPortForEveryQuery counts the source ports that
// 1,000 queries come from (RFC 5452 9.2). Each query has its own socket
// and the kernel picks its port at random from r free ports of the
// ephemeral range, so ports repeat only by chance, as birthdays do: about
// Poisson with mean mu = n - r(1 - (1-1/r)^n), roughly n²/2r, which is
// 17.5 for Linux's default range of 28,232 ports. The test allows
// mu + 8 sqrt(mu) + 1 repeats (at least 948 ports on Linux's default;
// about 2 in 10^11 to fail by chance), which still fails for a socket that
// carries just two queries (at most 500 ports).
func TestUDPUpstreamUsesAFreshPortForEveryQuery(t *testing.T) {
	const n = 1000
	r := ephemeralPorts()
	mu := n - r*(1-math.Pow(1-1/r, n))
	want := n - int(math.Ceil(mu+8*math.Sqrt(mu)+1))
	if want <= n/2 {
		t.Skipf("the ephemeral range has %.0f ports: too few to tell a fresh port per query from a port per two", r)
	}
	up := goodUpstream(t)
	fds := openFiles()
	tr := newUDPTransport(up.addr())
	for i := range n {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := exchangeEitherWay(ctx, tr, i, newQuery(fmt.Sprintf("n%d.example", i), dns.TypeA))
		cancel()
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
	}
	tr.close()
	got := up.sourcePorts()
	t.Logf("%d queries came from %d source ports (at least %d wanted; %.1f repeats expected by chance)", n, got, want, mu)
	if got < want {
		t.Fatalf("%d queries came from %d source ports, want at least %d", n, got, want)
	}
	if after := openFiles(); fds >= 0 && after > fds+4 {
		t.Fatalf("%d files open after the transport closed, %d before: sockets leak", after, fds)
	}
}

// exchangeEitherWay asks tr the i-th question q through exchange when i is
// even, and through exchangeWire, the miss path's way, when it is odd:
// both must hold to RFC 5452 alike.
func exchangeEitherWay(ctx context.Context, tr *udpTransport, i int, q *dns.Msg) error {
	if i%2 == 0 {
		_, err := tr.exchange(ctx, q)
		return err
	}
	name := make([]byte, maxNameWire)
	n, err := dns.PackDomainName(q.Question[0].Name, name, 0, nil, false)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	rep, err := tr.exchangeWire(&upstreamQuestion{name: name[:n], qtype: q.Question[0].Qtype, qclass: dns.ClassINET,
		ednsSize: 1232}, deadline)
	if err == nil && rep.wire == nil {
		return fmt.Errorf("the usual reply to %s came unpacked", q.Question[0].Name)
	}
	return err
}

// ephemeralPorts is the size of the range the kernel picks source ports
// from: Linux's setting, else the IANA range 49152-65535 other systems use.
func ephemeralPorts() float64 {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 16384
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || hi < lo {
		return 16384
	}
	return float64(hi - lo + 1)
}

// openFiles counts this process's open files, or -1 where /proc does not tell.
func openFiles() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(fds)
}

func TestFailoverAndHealth(t *testing.T) {
	dead := startUpstream(t, func(*dns.Msg, bool) [][]byte { return nil })
	alive := goodUpstream(t)
	cfg := testConfig(dead.addr(), alive.addr())
	cfg.Upstream.Timeout = 300 * time.Millisecond
	h := newTestHandler(t, cfg, nil)
	for i := range 5 {
		r := ask(t, h, newQuery("n"+string(rune('a'+i))+".example", dns.TypeA))
		if r.Rcode != dns.RcodeSuccess {
			t.Fatalf("query %d: rcode %s with one upstream alive", i, dns.RcodeToString[r.Rcode])
		}
	}
	set := h.settings.Load().public
	if order := set.ranked(time.Now()); order[0].t.String() != "udp://"+alive.addr() {
		t.Fatalf("the dead upstream still ranks first: %v", order[0].t)
	}
}

func TestSERVFAILFromOneUpstreamTriesTheNext(t *testing.T) {
	broken := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		r := new(dns.Msg)
		r.SetRcode(q, dns.RcodeServerFailure)
		return [][]byte{pack(t, r)}
	})
	alive := goodUpstream(t)
	h := newTestHandler(t, testConfig(broken.addr(), alive.addr()), nil)
	if r := ask(t, h, newQuery("example.com", dns.TypeA)); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
	}
}

// selfSigned returns a TLS certificate for name and a CA file trusting it.
func selfSigned(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	cert := srv.Certificate()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDNSOverHTTPS(t *testing.T) {
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		body, _ := io.ReadAll(r.Body)
		q := new(dns.Msg)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != dohMediaType || q.Unpack(body) != nil || q.Id != 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", dohMediaType)
		w.Write(pack(t, answerA(q, "93.184.215.14", 60)))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	cfg := testConfig()
	// httptest's certificate is for example.com and 127.0.0.1.
	cfg.Upstream.Servers = []string{"https://" + strings.Replace(srv.Listener.Addr().String(), "127.0.0.1", "127.0.0.1@example.com", 1) + "/dns-query"}
	cfg.Upstream.CAFile = selfSigned(t, srv)
	h := newTestHandler(t, cfg, nil)
	for _, name := range []string{"a.example", "b.example"} {
		if r := ask(t, h, newQuery(name, dns.TypeA)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("reply %v", r)
		}
	}
	if p := proto.Load(); p != "HTTP/2.0" {
		t.Fatalf("DoH went over %v, want HTTP/2", p)
	}
}

func TestDNSOverTLS(t *testing.T) {
	// Borrow httptest's certificate for a plain TLS listener.
	web := httptest.NewTLSServer(http.NotFoundHandler())
	defer web.Close()
	pool := x509.NewCertPool()
	pool.AddCert(web.Certificate())
	l, err := tls.Listen("tcp", "127.0.0.1:0", web.TLS)
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, Net: "tcp-tls", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		w.WriteMsg(answerA(q, "93.184.215.14", 60))
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	cfg := testConfig()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	cfg.Upstream.Servers = []string{"tls://127.0.0.1@example.com:" + port}
	cfg.Upstream.CAFile = selfSigned(t, web)
	h := newTestHandler(t, cfg, nil)
	for _, name := range []string{"a.example", "b.example", "c.example"} {
		if r := ask(t, h, newQuery(name, dns.TypeA)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("reply %v", r)
		}
	}
	t.Run("a certificate for another name is refused", func(t *testing.T) {
		cfg.Upstream.Servers = []string{"tls://127.0.0.1@dns.other.example:" + port}
		h := newTestHandler(t, cfg, nil)
		if r := ask(t, h, newQuery("d.example", dns.TypeA)); r.Rcode != dns.RcodeServerFailure {
			t.Fatalf("rcode %s with a wrong certificate name", dns.RcodeToString[r.Rcode])
		}
	})
}

// TestUDPUpstreamOverIPv6 covers the IPv6 socket of dialUpstreamUDP.
func TestUDPUpstreamOverIPv6(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		w.WriteMsg(answerA(q, "93.184.215.14", 60))
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	tr := newUDPTransport(pc.LocalAddr().String())
	defer tr.close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	r, err := tr.exchange(ctx, newQuery("www.example.com", dns.TypeA))
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("reply %v, err %v", r, err)
	}
}

// TestALostDatagramIsAskedAgain has a single upstream that ignores the
// first query for every name: each try gets its share of the timeout, so
// the second try, on a fresh socket with a fresh ID, brings the answer well
// before the query's time runs out.
func TestALostDatagramIsAskedAgain(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		seen[q.Question[0].Name]++
		if seen[q.Question[0].Name] == 1 {
			return nil
		}
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 60))}
	})
	cfg := testConfig(up.addr())
	cfg.Upstream.Timeout = 1500 * time.Millisecond // a try of 500 ms, then 500 ms
	cfg.Upstream.Tries = 3
	h := newTestHandler(t, cfg, nil)
	for _, name := range []string{"a.example", "b.example"} {
		if r := ask(t, h, newQuery(name, dns.TypeA)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("%s: reply %v", name, r)
		}
		mu.Lock()
		n := seen[name+"."]
		mu.Unlock()
		if n != 2 {
			t.Fatalf("%s was sent %d times, want 2 (lost, then asked again)", name, n)
		}
	}
}

// TestAUDPQueryInFlightOutlivesItsTransportsClose: a reload closes the old
// upstreams while queries may still wait on them; those get their answers.
func TestAUDPQueryInFlightOutlivesItsTransportsClose(t *testing.T) {
	got, release := make(chan struct{}, 1), make(chan struct{})
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		got <- struct{}{}
		<-release
		return [][]byte{pack(t, answerA(q, "93.184.215.14", 60))}
	})
	tr := newUDPTransport(up.addr())
	type result struct {
		r   *dns.Msg
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		r, err := tr.exchange(ctx, newQuery("www.example.com", dns.TypeA))
		done <- result{r, err}
	}()
	waitFor(t, got, "the query at the upstream")
	tr.close()
	close(release)
	res := waitFor(t, done, "the answer")
	if res.err != nil || len(res.r.Answer) != 1 {
		t.Fatalf("reply %v, err %v", res.r, res.err)
	}
}
