package harness

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// ReadyCheck says whether an answer shows the server ready: for a plain start
// any answer will do; with a list loaded, the answer must be a block.
type ReadyCheck func(*dns.Msg) bool

// AnyAnswer accepts any answer.
func AnyAnswer(*dns.Msg) bool { return true }

// WaitReady queries addr for name until check accepts an answer, the process
// exits, ctx ends or timeout passes. It returns the time from the process's
// start to the accepted answer. It polls: a server gives no other signal, and
// each attempt is itself bounded by the client's timeout.
func WaitReady(ctx context.Context, c *Child, addr, name string, check ReadyCheck, timeout time.Duration) (time.Duration, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	client := &dns.Client{Net: "udp", Timeout: 250 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	for {
		r, _, err := client.ExchangeContext(ctx, q, addr)
		if err == nil && check(r) {
			return time.Since(c.Started), nil
		}
		select {
		case <-c.Exited():
			return 0, c.ExitError()
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-deadline.C:
			return 0, fmt.Errorf("%s not ready on %s after %v (last error: %v); see %s", c.Name, addr, timeout, err, c.LogPath)
		case <-tick.C:
		}
	}
}

// FreePort returns a loopback port that is free for both UDP and TCP right
// now. Another process could take it before the server binds it; the
// readiness check then fails rather than measuring the wrong server, since
// the server exits on a bind error.
func FreePort() (int, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free for both UDP and TCP on 127.0.0.1")
}
