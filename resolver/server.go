package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amane-dns/amane/policy"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpBatch is how many datagrams one system call reads or writes
// (recvmmsg/sendmmsg): under load the kernel crossing, not Go, is most of
// the cost of a cached answer (PERFORMANCE.md).
const udpBatch = 32

// batchConn is what ipv4.PacketConn and ipv6.PacketConn share.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// Server moves packets between sockets and a Handler.
type Server struct {
	h   *Handler
	log *slog.Logger

	udp []*net.UDPConn
	tcp []net.Listener

	tcpSlots chan struct{}
	stopping atomic.Bool
	loops    sync.WaitGroup // read loops and accept loops
	work     sync.WaitGroup // queries in flight, TCP connections

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

// Listen binds UDP and TCP on every address, or none: a half-started
// resolver is worse than one that says which address it could not take.
// Each UDP address gets one SO_REUSEPORT socket per usable core, so the
// kernel spreads clients over read loops.
func Listen(h *Handler, addrs []string, log *slog.Logger) (*Server, error) {
	s := &Server{
		h: h, log: log, conns: map[net.Conn]struct{}{},
		tcpSlots: make(chan struct{}, h.settings.Load().cfg.Server.MaxTCPConnections),
	}
	for _, a := range addrs {
		if err := s.listen(a); err != nil {
			s.closeAll()
			return nil, fmt.Errorf("listening on %s: %w", a, err)
		}
	}
	return s, nil
}

func (s *Server) listen(addr string) error {
	lc := net.ListenConfig{Control: reusePort}
	first, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		return err
	}
	s.udp = append(s.udp, first.(*net.UDPConn))
	bound := first.LocalAddr().String() // the real port when addr asked for :0
	for i := 1; i < runtime.GOMAXPROCS(0); i++ {
		c, err := lc.ListenPacket(context.Background(), "udp", bound)
		if err != nil {
			break // one socket still serves; more only spread load
		}
		s.udp = append(s.udp, c.(*net.UDPConn))
	}
	l, err := net.Listen("tcp", bound)
	if err != nil {
		return err
	}
	s.tcp = append(s.tcp, l)
	return nil
}

// UDPAddrs returns the bound UDP addresses, one per listen address.
func (s *Server) UDPAddrs() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range s.udp {
		if a := c.LocalAddr().String(); !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// Serve starts the read and accept loops and returns.
func (s *Server) Serve() {
	for _, c := range s.udp {
		s.loops.Add(1)
		go s.serveUDP(c)
	}
	for _, l := range s.tcp {
		s.loops.Add(1)
		go s.serveTCP(l)
	}
}

// Shutdown stops reading new queries, lets the ones in flight finish (until
// ctx ends), then closes every socket.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	past := time.Unix(1, 0)
	for _, c := range s.udp {
		c.SetReadDeadline(past) // wakes the read loop without closing the socket replies still need
	}
	for _, l := range s.tcp {
		l.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.SetReadDeadline(past) // an idle connection ends now; a busy one after its answer
	}
	s.mu.Unlock()
	s.loops.Wait()
	done := make(chan struct{})
	go func() { s.work.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.New("queries still in flight at shutdown")
	}
	s.closeAll()
	return err
}

func (s *Server) closeAll() {
	for _, c := range s.udp {
		c.Close()
	}
	for _, l := range s.tcp {
		l.Close()
	}
}

func (s *Server) serveUDP(conn *net.UDPConn) {
	defer s.loops.Done()
	var bc batchConn = ipv4.NewPacketConn(conn)
	if a, _ := netip.ParseAddrPort(conn.LocalAddr().String()); a.Addr().Is6() {
		bc = ipv6.NewPacketConn(conn)
	}
	in, out := make([]ipv4.Message, udpBatch), make([]ipv4.Message, udpBatch)
	qs := make([]query, udpBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 4096)}
		out[i].Buffers = [][]byte{make([]byte, 0, 4096)}
	}
	for {
		n, err := bc.ReadBatch(in, 0)
		if err != nil {
			if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient error on one datagram must not stop the server
		}
		w := 0
		for i := range n {
			ua, ok := in[i].Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			q := &qs[i]
			q.reset(ua.AddrPort().Addr().Unmap(), false, in[i].Buffers[0][:in[i].N])
			reply, done := s.h.prepare(q, out[w].Buffers[0][:0])
			if !done {
				s.resolveUDP(conn, q.detach(), ua.AddrPort())
				continue
			}
			if reply != nil {
				out[w].Buffers[0], out[w].Addr = reply, in[i].Addr
				w++
			}
		}
		for off := 0; off < w; {
			k, err := bc.WriteBatch(out[off:w], 0)
			if err != nil {
				k = max(k, 1) // skip the datagram the kernel refused (e.g. an unreachable client)
			}
			off += k
		}
		for i := range w {
			out[i].Buffers[0] = out[i].Buffers[0][:0]
		}
	}
}

// resolveUDP finishes a cache miss on its own goroutine so that the read
// loop goes on answering hits while the upstream thinks.
func (s *Server) resolveUDP(conn *net.UDPConn, q *query, to netip.AddrPort) {
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), q.set.cfg.Upstream.Timeout+time.Second)
		defer cancel()
		if reply := s.h.resolve(ctx, q, make([]byte, 0, 1232)); reply != nil {
			conn.WriteToUDPAddrPort(reply, to)
		}
	}()
}

// reset prepares a reused query for a new packet.
func (q *query) reset(client netip.Addr, tcp bool, pkt []byte) {
	q.client = policy.Client{Addr: client}
	q.tcp, q.pkt = tcp, pkt
	q.stale, q.route, q.decision = nil, routePublic, policy.Decision{}
}
