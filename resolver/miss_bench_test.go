package resolver

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/amane-dns/amane/bench/fakeupstream"
	"github.com/miekg/dns"
)

// BenchmarkMissUDP is a cache miss end to end: a client on loopback keeps
// window unique names in flight against a running Server, which forwards
// each to bench/fakeupstream (in this process) after its delay. cpu-µs/op
// is the whole process's CPU time (server, client and upstream) per
// answered query; the server's share is what a profile
// (-cpuprofile) separates, and bench/run.sh measures it alone.
func BenchmarkMissUDP(b *testing.B) {
	for _, delay := range []time.Duration{0, 2 * time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%v", delay), func(b *testing.B) { benchMiss(b, delay, 64) })
	}
}

func benchMiss(b *testing.B, delay time.Duration, window int) {
	up, err := fakeupstream.Start("127.0.0.1:0", fakeupstream.Options{Delay: delay})
	if err != nil {
		b.Fatal(err)
	}
	defer up.Close()
	cfg := testConfig(up.Addr())
	cfg.Upstream.Timeout = 2 * time.Second
	h, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	s, err := Listen(h, []string{"127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	s.Serve()
	defer s.Shutdown(b.Context())
	c, err := net.Dial("udp", s.UDPAddrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	run := time.Now().UnixNano() // names never asked before, in any run
	next := 0
	send := func() {
		m := newQuery(fmt.Sprintf("m%d-%x.example.com", next, run), dns.TypeA)
		m.Id = uint16(next)
		next++
		p, _ := m.Pack()
		if _, err := c.Write(p); err != nil {
			b.Fatal(err)
		}
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	buf := make([]byte, 4096)
	answered := 0
	b.ResetTimer()
	for range min(window, b.N) {
		send()
	}
	for answered < b.N {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			b.Fatalf("%d of %d answered: %v", answered, b.N, err)
		}
		if n < headerLen || buf[3]&0xF != dns.RcodeSuccess {
			b.Fatalf("reply %x", buf[:n])
		}
		answered++
		if next < b.N {
			send()
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime) +
		syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
