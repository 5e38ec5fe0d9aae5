// Package fakeupstream is a synthetic upstream DNS server for load tests and
// end-to-end tests: it answers any name, on UDP and TCP, with addresses
// derived from a hash of the name, so every resolver under test forwards to
// the same cheap, deterministic source.
package fakeupstream

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Options configures a Server. The zero value is usable: TTL 3600, no delay,
// NXDOMAIN below "nx.".
type Options struct {
	// TTL of every positive answer; 0 means 3600.
	TTL uint32
	// Delay is waited before every answer, to model a distant upstream. The
	// upstream knows nothing of caches: every query it sees is a miss.
	Delay time.Duration
	// NXLabel is the zone below which every name is NXDOMAIN (with an SOA,
	// RFC 2308); "" means "nx". A dotted value such as "nx.test" is allowed.
	NXLabel string
}

// Server is a running fake upstream listening on one UDP and one TCP socket
// with the same address.
type Server struct {
	addr    string // host:port of both sockets, never empty after Start
	udp     *dns.Server
	tcp     *dns.Server
	sockets []io.Closer    // closed again after Shutdown, for a server that never started
	done    sync.WaitGroup // one per dns.Server goroutine
	closeMu sync.Once
}

// Start listens on addr (for example "127.0.0.1:0") with UDP and TCP on the
// same port, and serves until Close.
func Start(addr string, opts Options) (*Server, error) {
	h, err := newHandler(opts)
	if err != nil {
		return nil, err
	}
	pc, ln, err := listenBoth(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		addr:    pc.LocalAddr().String(),
		udp:     &dns.Server{PacketConn: pc, Handler: h},
		sockets: []io.Closer{pc, ln},
		tcp:     &dns.Server{Listener: ln, Handler: h, IdleTimeout: func() time.Duration { return 10 * time.Second }},
	}
	// ActivateAndServe marks the server started before it returns to serving,
	// and the sockets are already bound, so clients can query at once.
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started, failed := make(chan struct{}), make(chan error, 1)
		srv.NotifyStartedFunc = func() { close(started) }
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			if err := srv.ActivateAndServe(); err != nil {
				failed <- err
			}
		}()
		select {
		case <-started:
		case err := <-failed:
			s.Close()
			return nil, fmt.Errorf("serving on %s: %w", s.addr, err)
		}
	}
	return s, nil
}

// listenBoth binds UDP on addr, then TCP on the port UDP got. When addr asks
// for any port (":0") that port may be taken for TCP, so it tries a few times.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing listen address %q: %w", addr, err)
	}
	var lastErr error
	for range 10 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listening on udp %s: %w", addr, err)
		}
		tcpAddr := net.JoinHostPort(host, fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port))
		ln, err := net.Listen("tcp", tcpAddr)
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("listening on tcp %s: %w", addr, lastErr)
}

// Addr returns the host:port the server listens on, for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners and waits for answers in flight (at most
// Options.Delay).
func (s *Server) Close() {
	s.closeMu.Do(func() {
		s.udp.Shutdown()
		s.tcp.Shutdown()
		for _, c := range s.sockets {
			c.Close()
		}
		s.done.Wait()
	})
}

// handler answers every query; it holds no mutable state.
type handler struct {
	ttl    uint32
	delay  time.Duration
	nxZone string // FQDN, lower case
}

var _ dns.Handler = (*handler)(nil)

func newHandler(opts Options) (*handler, error) {
	h := &handler{ttl: opts.TTL, delay: opts.Delay, nxZone: opts.NXLabel}
	if h.ttl == 0 {
		h.ttl = 3600
	}
	if h.nxZone == "" {
		h.nxZone = "nx"
	}
	h.nxZone = dns.Fqdn(strings.ToLower(strings.Trim(h.nxZone, ".")))
	if _, ok := dns.IsDomainName(h.nxZone); !ok || h.nxZone == "." {
		return nil, errors.New("NX label must be a domain name other than the root")
	}
	if h.delay < 0 {
		return nil, errors.New("delay must not be negative")
	}
	return h, nil
}

// ServeDNS runs in the goroutine miekg/dns starts for each UDP packet or TCP
// connection, so sleeping here delays only this answer.
func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
	w.WriteMsg(h.answer(req))
}

// answer builds the reply to req. It behaves like a recursive resolver that
// has the answer: RA set, AA clear, EDNS echoed with a 1232-byte size.
func (h *handler) answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	m.Authoritative = false
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(1232, opt.Do())
	}
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeFormatError
		if req.Opcode != dns.OpcodeQuery {
			m.Rcode = dns.RcodeNotImplemented
		}
		return m
	}
	q := req.Question[0]
	if isUnder(q.Name, h.nxZone) {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa(h.nxZone, h.ttl)}
		return m
	}
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: h.ttl}
	switch {
	case q.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeRefused
	case q.Qtype == dns.TypeA:
		m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: AddrA(q.Name)}}
	case q.Qtype == dns.TypeAAAA:
		m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr, AAAA: AddrAAAA(q.Name)}}
	default:
		// NODATA (RFC 2308 section 2.2): the name exists, the type does not.
		m.Ns = []dns.RR{soa(".", h.ttl)}
	}
	return m
}
