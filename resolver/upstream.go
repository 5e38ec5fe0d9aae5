package resolver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// transport is one way of reaching one upstream server.
type transport interface {
	exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error)
	close()
	String() string
}

// parseUpstream turns an upstream URL into a transport:
//
//	udp://HOST[:53]  tcp://HOST[:53]  HOST[:53] (UDP)
//	tls://[IP@]NAME[:853]             DNS-over-TLS, certificate checked for NAME
//	https://[IP@]NAME[:443]/PATH      DNS-over-HTTPS
//
// IP@ gives the address to dial, so that no lookup is needed to find the
// upstream; without it NAME is looked up through bootstrap.
func parseUpstream(raw string, boot *bootstrap, roots *tlsRoots) (transport, error) {
	if !strings.Contains(raw, "://") {
		raw = "udp://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	switch u.Scheme {
	case "udp", "tcp":
		if u.User != nil || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%s upstreams take only HOST[:PORT]", u.Scheme)
		}
		addr, err := hostPort(u.Host, "53")
		if err != nil {
			return nil, err
		}
		if u.Scheme == "tcp" {
			return newStreamTransport("tcp://"+addr, plainDialer(addr)), nil
		}
		return newUDPTransport(addr), nil
	case "tls", "https":
		port := map[string]string{"tls": "853", "https": "443"}[u.Scheme]
		addrs, err := boot.addrsFor(u, port)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{ServerName: u.Hostname(), RootCAs: roots.pool, MinVersion: tls.VersionTLS12}
		if u.Scheme == "tls" {
			return newStreamTransport("tls://"+u.Host, tlsDialer(addrs, cfg)), nil
		}
		cfg.NextProtos = []string{"h2", "http/1.1"}
		clean := *u
		clean.User = nil
		return newDoHTransport(clean.String(), addrs, cfg), nil
	}
	return nil, fmt.Errorf("unknown scheme %q (udp, tcp, tls or https)", u.Scheme)
}

// hostPort validates that h is an IP address with an optional port.
func hostPort(h, defPort string) (string, error) {
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.String(), nil
	}
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address: plain DNS upstreams are given by address", h)
	}
	return net.JoinHostPort(a.String(), defPort), nil
}

// bootstrap finds the addresses of upstreams named by host name, asking
// only the configured plain-DNS servers: the appliance is usually its own
// system resolver, so asking the system would ask itself.
type bootstrap struct {
	resolver *net.Resolver
}

func newBootstrap(servers []string) *bootstrap {
	if len(servers) == 0 {
		return &bootstrap{}
	}
	return &bootstrap{resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialFirst(ctx, &net.Dialer{}, network, servers)
		},
	}}
}

// dialFirst dials the addresses in turn and returns the first connection
// made, or every error.
func dialFirst(ctx context.Context, d interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}, network string, addrs []string) (net.Conn, error) {
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, a)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, errors.New("no address to dial")
	}
	return nil, errors.Join(errs...)
}

// addrsFor returns a function giving the addresses to dial for u.
func (b *bootstrap) addrsFor(u *url.URL, defPort string) (func(context.Context) ([]string, error), error) {
	port := u.Port()
	if port == "" {
		port = defPort
	}
	if u.User != nil {
		ip, err := netip.ParseAddr(strings.Trim(u.User.Username(), "[]"))
		if err != nil {
			return nil, fmt.Errorf("bootstrap address %q: %w", u.User.Username(), err)
		}
		list := []string{net.JoinHostPort(ip.String(), port)}
		return func(context.Context) ([]string, error) { return list, nil }, nil
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		list := []string{net.JoinHostPort(ip.String(), port)}
		return func(context.Context) ([]string, error) { return list, nil }, nil
	}
	if b.resolver == nil {
		return nil, fmt.Errorf("%s is a host name: give its address as IP@%s, or set upstream.bootstrap", u.Hostname(), u.Hostname())
	}
	host := u.Hostname()
	return func(ctx context.Context) ([]string, error) {
		ips, err := b.resolver.LookupHost(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("bootstrap lookup of %s: %w", host, err)
		}
		out := make([]string, len(ips))
		for i, ip := range ips {
			out[i] = net.JoinHostPort(ip, port)
		}
		return out, nil
	}, nil
}

// upstream is a transport with its health: a smoothed round-trip time and a
// count of consecutive failures that puts it aside for a growing while.
type upstream struct {
	t         transport
	rtt       atomic.Int64 // smoothed, nanoseconds; 0 until the first answer
	fails     atomic.Int32
	downUntil atomic.Int64 // unix nanoseconds

	stats upstreamStats // for /metrics
}

func (u *upstream) succeeded(rtt time.Duration) {
	u.stats.observe(rtt)
	u.fails.Store(0)
	old := u.rtt.Load()
	if old == 0 {
		u.rtt.Store(int64(rtt))
		return
	}
	u.rtt.Store(old + (int64(rtt)-old)/8) // the RFC 6298 smoothing factor
}

// lostRace records that another upstream answered first after u had
// waited elapsed: a lower bound of u's round trip, so it only ever raises
// the estimate, and a dead upstream that keeps losing sinks in the ranking.
func (u *upstream) lostRace(elapsed time.Duration) {
	if old := u.rtt.Load(); int64(elapsed) > old {
		u.rtt.Store(old + (int64(elapsed)-old)/8)
	}
}

func (u *upstream) failed(now time.Time) {
	u.stats.errors.Add(1)
	n := u.fails.Add(1)
	if n >= 3 {
		backoff := min(time.Second<<min(n-3, 6), time.Minute)
		u.downUntil.Store(now.Add(backoff).UnixNano())
	}
}

func (u *upstream) down(now time.Time) bool { return now.UnixNano() < u.downUntil.Load() }

// upstreamSet exchanges a query with the best of its upstreams.
type upstreamSet struct {
	ups   []*upstream
	tries int // upstream exchanges one query may start, at most
}

func (s *upstreamSet) close() {
	for _, u := range s.ups {
		u.t.close()
	}
}

// ranked orders the upstreams: the ones not put aside first, fastest first;
// the ones put aside last, so that when all are down they are still tried.
func (s *upstreamSet) ranked(now time.Time) []*upstream {
	out := append([]*upstream(nil), s.ups...)
	sort.SliceStable(out, func(i, j int) bool {
		di, dj := out[i].down(now), out[j].down(now)
		if di != dj {
			return !di
		}
		return out[i].rtt.Load() < out[j].rtt.Load()
	})
	return out
}

// hedgeDelay is how long the healthiest upstream has before the second is
// raced against it: three smoothed round trips, between 10 ms and 400 ms.
func hedgeDelay(u *upstream) time.Duration {
	rtt := time.Duration(u.rtt.Load())
	if rtt == 0 {
		return 100 * time.Millisecond
	}
	return min(max(3*rtt, 10*time.Millisecond), 400*time.Millisecond)
}

type exchangeResult struct {
	r   *dns.Msg
	err error
}

// exchangeUntil asks the upstreams q, and gives up at until.
func (s *upstreamSet) exchangeUntil(q *dns.Msg, until time.Time) (*dns.Msg, error) {
	if len(s.ups) == 1 {
		t := s.ups[0].t
		return tryOne(s.ups[0], s.tries, until, func(until time.Time) (*dns.Msg, error) {
			return exchangeUntil(context.Background(), t, q, until)
		})
	}
	ctx, cancel := context.WithDeadline(context.Background(), until)
	defer cancel()
	return s.exchange(ctx, q)
}

// loneUDP returns the set's one upstream when it is plain UDP, the usual
// case (the router, a lone forwarder): then a miss takes exchangeWire.
func (s *upstreamSet) loneUDP() (*udpTransport, bool) {
	if len(s.ups) != 1 {
		return nil, false
	}
	t, ok := s.ups[0].t.(*udpTransport)
	return t, ok
}

// exchangeWire asks the set's lone UDP upstream t, and gives up at until.
func (s *upstreamSet) exchangeWire(t *udpTransport, q *upstreamQuestion, until time.Time) (udpReply, error) {
	return tryOne(s.ups[0], s.tries, until, func(until time.Time) (udpReply, error) {
		return t.exchangeWire(q, until)
	})
}

// exchange asks the healthiest of several upstreams, races the second
// healthiest if the first is slow, moves on to the next when one fails,
// and returns the first good answer. An upstream's SERVFAIL or REFUSED is
// kept as the answer of last resort while another upstream is tried.
func (s *upstreamSet) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	order := s.ranked(time.Now())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan exchangeResult, len(order))
	started, running := 0, 0
	start := func() {
		u := order[started]
		started++
		running++
		go func() {
			t0 := time.Now()
			r, err := u.t.exchange(ctx, q.Copy())
			switch {
			case err == nil:
				u.succeeded(time.Since(t0))
			case errors.Is(ctx.Err(), context.Canceled):
				u.lostRace(time.Since(t0))
			default:
				u.failed(time.Now())
				err = fmt.Errorf("%s: %w", u.t, err)
			}
			results <- exchangeResult{r, err}
		}()
	}
	limit := min(s.tries, len(order))
	start()
	hedge := time.NewTimer(hedgeDelay(order[0]))
	defer hedge.Stop()
	var fallback *dns.Msg
	var errs []error
	for {
		select {
		case res := <-results:
			running--
			if res.err == nil && res.r.Rcode != dns.RcodeServerFailure && res.r.Rcode != dns.RcodeRefused {
				return res.r, nil
			}
			if res.err != nil {
				errs = append(errs, res.err)
			} else if fallback == nil {
				fallback = res.r
			}
			if started < limit {
				start()
			} else if running == 0 {
				if fallback != nil {
					return fallback, nil
				}
				return nil, errors.Join(errs...)
			}
		case <-hedge.C:
			if started < min(2, limit) {
				start()
			}
		case <-ctx.Done():
			if fallback != nil {
				return fallback, nil
			}
			return nil, fmt.Errorf("no upstream answered in time: %w", errors.Join(append(errs, ctx.Err())...))
		}
	}
}

// tryBounded is a transport that bounds one try by a deadline of its own,
// sparing the context (its timer, its channel, its place among the
// parent's children) that a try would otherwise cost every miss.
type tryBounded interface {
	exchangeUntil(ctx context.Context, q *dns.Msg, until time.Time) (*dns.Msg, error)
}

// exchangeUntil is one try of exchanging q with t that gives up at until,
// or when ctx ends.
func exchangeUntil(ctx context.Context, t transport, q *dns.Msg, until time.Time) (*dns.Msg, error) {
	if b, ok := t.(tryBounded); ok {
		return b.exchangeUntil(ctx, q, until)
	}
	tctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	return t.exchange(tctx, q)
}

// tryOne makes at most tries tries of one question at the lone upstream u,
// one after another, with nothing to race, until one succeeds or until
// passes.
func tryOne[R any](u *upstream, tries int, until time.Time, try func(until time.Time) (R, error)) (R, error) {
	var errs []error
	for i := range tries {
		// Each try gets its share of what is left, so that a lost
		// datagram is sent again rather than waited for until the end.
		t0 := time.Now()
		r, err := try(t0.Add(until.Sub(t0) / time.Duration(tries-i)))
		if err == nil {
			u.succeeded(time.Since(t0))
			return r, nil
		}
		now := time.Now()
		u.failed(now)
		errs = append(errs, fmt.Errorf("%s: %w", u.t, err))
		if !now.Before(until) {
			break
		}
	}
	var zero R
	return zero, errors.Join(errs...)
}
