package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"sync"

	"github.com/miekg/dns"
)

// udpSocketUses is how many queries one upstream socket carries before a
// fresh one (with a fresh kernel-chosen random source port) takes over.
// A new socket per query costs about 60 µs of CPU in Go, more than the whole
// rest of a cache miss; renewing it every 100 queries keeps the port moving,
// so an off-path attacker still has to guess both the port and the 16-bit ID
// (RFC 5452 4, 9.2), at a cost of well under a microsecond a query.
const udpSocketUses = 100

// udpTransport sends queries over UDP to one server, matching each reply to
// its query by ID and question (RFC 5452 9.1). A truncated reply is asked
// again over TCP (RFC 7766 5).
type udpTransport struct {
	addr string
	tcp  *streamTransport

	mu  sync.Mutex // guards cur
	cur *udpSocket
}

func newUDPTransport(addr string) *udpTransport {
	return &udpTransport{addr: addr, tcp: newStreamTransport("tcp://"+addr, plainDialer(addr))}
}

func (t *udpTransport) String() string { return "udp://" + t.addr }

// udpSocket is one connected socket shared by up to udpSocketUses queries,
// with a reader that hands each datagram to the query waiting on its ID.
type udpSocket struct {
	conn *net.UDPConn

	mu      sync.Mutex // guards following
	pending map[uint16]chan []byte
	uses    int
	retired bool
}

func (t *udpTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ch := make(chan []byte, 4)
	s, id, err := t.socket(ch)
	if err != nil {
		return nil, err
	}
	q.Id = id
	defer s.unregister(id)
	pkt, err := q.Pack()
	if err != nil {
		return nil, err
	}
	if _, err := s.conn.Write(pkt); err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case b := <-ch:
			r := new(dns.Msg)
			if r.Unpack(b) != nil || checkReply(q, r) != nil {
				continue // junk or a spoofing attempt: read past it until the deadline
			}
			if r.Truncated {
				return t.tcp.exchange(ctx, q)
			}
			return r, nil
		}
	}
}

// socket registers ch for a fresh ID on the socket the next query should
// use, opening a new socket when the current one has carried its share.
func (t *udpTransport) socket(ch chan []byte) (*udpSocket, uint16, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		if id, ok := t.cur.register(ch); ok {
			return t.cur, id, nil
		}
	}
	raddr, err := net.ResolveUDPAddr("udp", t.addr)
	if err != nil {
		return nil, 0, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, 0, err
	}
	t.cur = &udpSocket{conn: conn, pending: make(map[uint16]chan []byte)}
	go t.cur.read()
	id, _ := t.cur.register(ch)
	return t.cur, id, nil
}

// register counts one more use and picks a random ID not in use on this
// socket. It reports false, retiring the socket, when the socket has had its
// share; a retired socket closes once its last query is done. The IDs come
// from math/rand/v2's global generator, a ChaCha8 stream seeded by the
// runtime from the operating system's entropy: not predictable from outside.
func (s *udpSocket) register(ch chan []byte) (uint16, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uses >= udpSocketUses {
		s.retired = true
		if len(s.pending) == 0 {
			s.conn.Close()
		}
		return 0, false
	}
	s.uses++
	for {
		id := uint16(rand.Uint32())
		if _, busy := s.pending[id]; !busy {
			s.pending[id] = ch
			return id, true
		}
	}
}

func (s *udpSocket) unregister(id uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
	if s.retired && len(s.pending) == 0 {
		s.conn.Close()
	}
}

// read delivers datagrams until the socket is closed. A connected UDP
// socket only receives from the server's address and port; what arrives
// with an unknown ID is dropped here, the rest is checked by the waiter.
func (s *udpSocket) read() {
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP errors surface here as ECONNREFUSED; the waiter times out
		}
		if n < headerLen {
			continue
		}
		s.mu.Lock()
		ch := s.pending[binary.BigEndian.Uint16(buf)]
		s.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case ch <- append([]byte(nil), buf[:n]...):
		default: // the waiter already has more junk than it will read
		}
	}
}

func (t *udpTransport) close() {
	t.mu.Lock()
	if t.cur != nil {
		t.cur.mu.Lock()
		t.cur.retired = true
		if len(t.cur.pending) == 0 {
			t.cur.conn.Close()
		}
		t.cur.mu.Unlock()
		t.cur = nil
	}
	t.mu.Unlock()
	t.tcp.close()
}

// checkReply accepts r as the answer to q only if it is a response with the
// same ID, opcode and question (RFC 5452 9.1; the name compared without
// regard to case, RFC 4343).
func checkReply(q, r *dns.Msg) error {
	switch {
	case !r.Response:
		return errors.New("not a response")
	case r.Id != q.Id:
		return errors.New("ID mismatch")
	case r.Opcode != q.Opcode:
		return errors.New("opcode mismatch")
	case len(r.Question) != 1:
		return errors.New("question missing")
	case !sameQuestion(q.Question[0], r.Question[0]):
		return errors.New("question mismatch")
	}
	return nil
}

func sameQuestion(a, b dns.Question) bool {
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && equalFoldASCII(a.Name, b.Name)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
