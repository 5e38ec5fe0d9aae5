package resolver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func startServer(t *testing.T, h *Handler) *Server {
	t.Helper()
	s, err := Listen(h, []string{"127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

func TestServerOverUDPAndTCP(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	s := startServer(t, h)
	for _, network := range []string{"udp", "tcp"} {
		t.Run("answers over "+network, func(t *testing.T) {
			c := &dns.Client{Net: network, Timeout: 2 * time.Second}
			for i := range 3 { // a miss, then hits
				r, _, err := c.Exchange(newQuery("www.example.com", dns.TypeA), s.UDPAddrs()[0])
				if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
					t.Fatalf("try %d: reply %v, err %v", i, r, err)
				}
			}
		})
	}
	t.Run("several queries pipelined on one TCP connection are all answered", func(t *testing.T) {
		conn, err := dns.Dial("tcp", s.UDPAddrs()[0])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		for i := range 5 {
			q := newQuery(fmt.Sprintf("p%d.example", i), dns.TypeA)
			q.Id = uint16(100 + i)
			if err := conn.WriteMsg(q); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			if r, err := conn.ReadMsg(); err != nil || r.Id < 100 || r.Id > 104 {
				t.Fatalf("reply %v err %v", r, err)
			}
		}
	})
}

// TestReloadUnderLoadLosesNoQuery reloads the configuration many times
// while clients ask, alternating between two upstream sets, and checks
// that every query got a good answer.
func TestReloadUnderLoadLosesNoQuery(t *testing.T) {
	a, b := goodUpstream(t), goodUpstream(t)
	cfgA, cfgB := testConfig(a.addr()), testConfig(b.addr())
	h := newTestHandler(t, cfgA, nil)
	s := startServer(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	var asked, failed atomic.Int64
	answered := make(chan struct{}) // a query answered while the test listens
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // also when a reload fails the test
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for i := 0; ctx.Err() == nil; i++ {
				// Half the names repeat (hits), half are new (misses).
				name := fmt.Sprintf("w%d-n%d.example", w, i%50)
				if i%2 == 1 {
					name = fmt.Sprintf("w%d-u%d.example", w, i)
				}
				asked.Add(1)
				r, _, err := c.Exchange(newQuery(name, dns.TypeA), s.UDPAddrs()[0])
				if err != nil || r.Rcode != dns.RcodeSuccess {
					failed.Add(1)
					t.Errorf("%s: reply %v, err %v", name, r, err)
				}
				select {
				case answered <- struct{}{}:
				default: // nobody counting
				}
			}
		}()
	}
	for i := range 50 {
		cfg := cfgA
		if i%2 == 1 {
			cfg = cfgB
		}
		if err := h.Reload(cfg); err != nil {
			t.Fatal(err)
		}
		for range 8 { // some queries answered between each pair of reloads
			waitFor(t, answered, "a query answered after reload "+strconv.Itoa(i))
		}
	}
	cancel()
	wg.Wait()
	if asked.Load() < 100 || failed.Load() != 0 {
		t.Fatalf("%d of %d queries failed across 50 reloads", failed.Load(), asked.Load())
	}
	if a.queries.Load() == 0 || b.queries.Load() == 0 {
		t.Fatalf("reloads did not switch upstreams: %d and %d queries", a.queries.Load(), b.queries.Load())
	}
}

func TestAnInvalidReloadKeepsTheRunningConfiguration(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	bad := testConfig(up.addr())
	bad.Upstream.Servers = []string{"ftp://nowhere"}
	if err := h.Reload(bad); err == nil {
		t.Fatal("an invalid configuration was accepted")
	}
	if r := ask(t, h, newQuery("example.com", dns.TypeA)); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("rcode %s after a refused reload", dns.RcodeToString[r.Rcode])
	}
}

func TestShutdownLetsQueriesInFlightFinish(t *testing.T) {
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
	cfg := testConfig(up.addr())
	cfg.Upstream.Timeout = 3 * time.Second
	h := newTestHandler(t, cfg, nil)
	s, err := Listen(h, []string{"127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	got := make(chan *dns.Msg, 1)
	go func() {
		c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
		r, _, _ := c.Exchange(newQuery("slow.example", dns.TypeA), s.UDPAddrs()[0])
		got <- r
	}()
	waitFor(t, arrived, "the query at the upstream")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	close(release)
	if err := waitFor(t, done, "the end of the shutdown"); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, got, "the answer"); r == nil || len(r.Answer) != 1 {
		t.Fatalf("the query in flight at shutdown got %v", r)
	}
}

// Another program's socket on the port, with SO_REUSEPORT as amane's own
// sockets have it, would silently take a share of the queries: Listen must
// refuse the port instead.
func TestListenRefusesAPortAnotherProgramShares(t *testing.T) {
	h := newTestHandler(t, testConfig("127.0.0.1:9"), nil)
	other, err := listenUDP("127.0.0.1:0", true) // SO_REUSEPORT on Linux
	if err != nil {
		t.Fatal(err)
	}
	defer other.close()
	addr := other.localAddr().String()
	s, err := Listen(h, []string{addr}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		s.closeAll()
		t.Fatalf("listening on %s, which another socket holds, succeeded", addr)
	}
	if !strings.Contains(err.Error(), "holds it") {
		t.Fatalf("error %q does not say the port is held", err)
	}
}
