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
)

// udpBatchSize is how many datagrams one system call reads or writes
// (recvmmsg/sendmmsg on Linux).
const udpBatchSize = 32

// Server moves packets between sockets and a Handler.
type Server struct {
	h   *Handler
	log *slog.Logger

	udp []*udpConn
	tcp []net.Listener

	tcpSlots chan struct{}
	jobs     chan missJob  // unbuffered: a send succeeds only when a miss worker waits
	quit     chan struct{} // closed at shutdown: parked miss workers leave
	quitOnce sync.Once
	idle     atomic.Int32 // miss workers parked on jobs
	stopping atomic.Bool
	loops    sync.WaitGroup // read loops and accept loops
	work     sync.WaitGroup // queries in flight, TCP connections

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

// Listen binds UDP and TCP on every address, or none: a half-started
// resolver is worse than one that says which address it could not take.
// Each UDP address gets one SO_REUSEPORT socket per usable core
// (runtime.NumCPU follows the process's CPU affinity), so the kernel
// spreads clients over read loops; on one core, one plain socket.
func Listen(h *Handler, addrs []string, log *slog.Logger) (*Server, error) {
	s := &Server{
		h: h, log: log, conns: map[net.Conn]struct{}{},
		jobs: make(chan missJob), quit: make(chan struct{}),
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
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	// The UDP sockets share their port with SO_REUSEPORT, and so would
	// any other program's that sets it too (under the same user): the
	// kernel would then hand it some of the queries, unfiltered. A plain
	// bind first makes a port already held an error, as it should be.
	if port != "0" {
		probe, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("%w (another DNS server, or another amane, holds it: amane doctor says which)", err)
		}
		probe.Close()
	}
	// A port of 0 lets the kernel pick a UDP port, and that port may be
	// taken for TCP by someone else; then pick again. A named port that
	// TCP cannot have is the operator's problem to hear about at once.
	for try := 0; ; try++ {
		udp, tcp, err := listenPair(addr)
		if err == nil {
			s.udp = append(s.udp, udp...)
			s.tcp = append(s.tcp, tcp)
			return nil
		}
		if port != "0" || try == 9 || errors.Is(err, errUDP) {
			return err
		}
	}
}

var errUDP = errors.New("udp")

// listenPair binds addr's UDP sockets (one per usable core) and then TCP on
// the port UDP got.
func listenPair(addr string) ([]*udpConn, net.Listener, error) {
	shared := runtime.NumCPU() > 1
	first, err := listenUDP(addr, shared)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errUDP, err)
	}
	udp := []*udpConn{first}
	bound := first.localAddr().String() // the real port when addr asked for :0
	for i := 1; i < runtime.NumCPU(); i++ {
		c, err := listenUDP(bound, shared)
		if err != nil {
			break // one socket still serves; more only spread load
		}
		udp = append(udp, c)
	}
	l, err := net.Listen("tcp", bound)
	if err != nil {
		for _, c := range udp {
			c.close()
		}
		return nil, nil, err
	}
	return udp, l, nil
}

// ReadLoops is the number of UDP read loops Serve starts, one per UDP
// socket.
func (s *Server) ReadLoops() int { return len(s.udp) }

// UDPAddrs returns the bound UDP addresses, one per listen address.
func (s *Server) UDPAddrs() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range s.udp {
		if a := c.localAddr().String(); !seen[a] {
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
	s.stopping.Store(true) // read loops see it once interrupted; replies still need the sockets
	for _, c := range s.udp {
		c.interrupt()
	}
	past := time.Unix(1, 0)
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
	s.quitOnce.Do(func() { close(s.quit) })
	s.closeAll()
	return err
}

func (s *Server) closeAll() {
	for _, c := range s.udp {
		c.close()
	}
	for _, l := range s.tcp {
		l.Close()
	}
}

func (s *Server) serveUDP(conn *udpConn) {
	defer s.loops.Done()
	in, out := newUDPBatch(udpBatchSize, 4096), newReplyBatch(udpBatchSize, 4096)
	in.waiting = &s.h.inflight // no pause while a miss waits (udp_linux.go)
	qs := make([]query, udpBatchSize)
	defer conn.writeBatch(out)
	for !s.stopping.Load() {
		if out.full() {
			conn.writeBatch(out)
		}
		if err := conn.readBatch(in, out); err != nil {
			conn.writeBatch(out)
			if temporary(err) {
				continue
			}
			s.log.Warn("UDP read", "socket", conn.localAddr(), "err", err)
			if s.stopping.Load() {
				return
			}
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin a core
			continue
		}
		now := s.h.now()
		for i := range in.n {
			pkt, from := in.packet(i)
			q := &qs[i]
			q.reset(from.Addr().Unmap(), false, pkt)
			reply, done := s.h.prepare(q, out.buf(), now)
			if !done {
				s.resolveUDP(conn, q.detach(), from)
				continue
			}
			if len(reply) > 0 {
				out.add(reply, in, i)
			}
		}
		// The replies wait in out for readBatch to find nothing more
		// to read, or for out to fill.
	}
}

// missJob is a cache miss handed from a read loop to a miss worker.
type missJob struct {
	conn *udpConn
	q    *query // detached; the worker releases it
	to   netip.AddrPort
}

// maxIdleMissWorkers bounds the miss workers kept parked between misses:
// enough for the misses in flight at 5,000 a second behind a 20 ms
// upstream, and at most a few MB of stacks (which the GC shrinks while
// they wait).
const maxIdleMissWorkers = 256

// resolveUDP finishes a cache miss on another goroutine so that the read
// loop goes on answering hits while the upstream thinks: a parked miss
// worker when one waits, else a new one. Reusing workers spares each miss
// a goroutine's start and the growth of its stack to the depth of an
// upstream exchange (copystack was 7% of BenchmarkMissUDP's profile).
func (s *Server) resolveUDP(conn *udpConn, q *query, to netip.AddrPort) {
	s.work.Add(1)
	j := missJob{conn: conn, q: q, to: to}
	select {
	case s.jobs <- j:
	default:
		go s.missWorker(j)
	}
}

// missWorker finishes misses until more than maxIdleMissWorkers wait for
// one, or the server shuts down.
func (s *Server) missWorker(j missJob) {
	buf := make([]byte, 0, 1232)
	for {
		if reply := s.h.resolve(j.q, buf[:0]); reply != nil {
			j.conn.writeTo(reply, j.to)
			if cap(reply) <= udpBufSize {
				buf = reply // keep a buffer that grew, up to a point
			}
		}
		j.q.release()
		s.work.Done()
		if s.idle.Add(1) > maxIdleMissWorkers {
			s.idle.Add(-1)
			return
		}
		select {
		case j = <-s.jobs:
			s.idle.Add(-1)
		case <-s.quit:
			s.idle.Add(-1)
			return
		}
	}
}

// reset prepares a reused query for a new packet.
func (q *query) reset(client netip.Addr, tcp bool, pkt []byte) {
	q.client = policy.Client{Addr: client}
	q.tcp, q.pkt = tcp, pkt
	q.stale, q.route, q.decision = nil, routePublic, policy.Decision{}
}
