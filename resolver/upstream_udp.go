package resolver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// udpSpares is how many sockets a UDP upstream keeps open ahead of need.
// Each is connected to the upstream from a port the kernel picked at random
// (Linux draws it from the whole ephemeral range, net.ipv4.ip_local_port_range)
// and carries exactly one query, then is closed: every query gets a fresh
// random source port and a fresh random ID, so an off-path attacker has to
// guess both (RFC 5452 4, 9.2). Opening a socket costs a few syscalls; the
// spares take that off the query's way, and a burst larger than the spares
// opens its own sockets rather than wait.
const udpSpares = 16

// udpBufSize holds any reply to a query amane sends: it never advertises an
// EDNS buffer over 4096 bytes (Config.Validate).
const udpBufSize = 4096

// udpTransport sends queries over UDP to one server, each on its own socket,
// matching the reply to its query by ID and question (RFC 5452 9.1). A
// truncated reply is asked again over TCP (RFC 7766 5). How a socket is
// opened, and how its reply is waited for, is the system's
// (upstream_udp_linux.go, upstream_udp_other.go).
type udpTransport struct {
	addr  string
	raddr netip.AddrPort // invalid when addr does not parse; then every query fails
	tcp   *streamTransport
	sys   udpSys // what the system needs beside the sockets (Linux: the poller)

	spares  chan udpSock  // opened ahead, each for one query; only the filler sends
	wake    chan struct{} // capacity 1: asks the filler to top the spares up
	done    chan struct{} // closed by close
	started atomic.Bool   // the filler runs (it starts with the first query)

	mu     sync.Mutex // guards following, and the start of the filler
	closed bool
	filler sync.WaitGroup
}

func newUDPTransport(addr string) *udpTransport {
	t := &udpTransport{
		addr:   addr,
		tcp:    newStreamTransport("tcp://"+addr, plainDialer(addr)),
		spares: make(chan udpSock, udpSpares),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	t.raddr, _ = netip.ParseAddrPort(addr)
	return t
}

func (t *udpTransport) String() string { return "udp://" + t.addr }

func (t *udpTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	return t.exchangeUntil(ctx, q, time.Time{})
}

// exchangeUntil is exchange that also gives up at until, unless it is zero.
func (t *udpTransport) exchangeUntil(ctx context.Context, q *dns.Msg, until time.Time) (*dns.Msg, error) {
	conn, err := t.take()
	if err != nil {
		return nil, err
	}
	// The IDs come from math/rand/v2's global generator, a ChaCha8 stream
	// seeded by the runtime from the operating system's entropy: not
	// predictable from outside.
	q.Id = uint16(rand.Uint32())
	pkt, err := q.Pack()
	if err != nil {
		t.discard(conn)
		return nil, err
	}
	w := udpWaits.Get().(*udpWait)
	defer w.release()
	w.pkt, w.q = pkt, q
	// One query per socket: roundTrip closes it, and its port is never
	// used again by us.
	rep, err := t.roundTrip(ctx, conn, w, until)
	if err != nil {
		return nil, err
	}
	if rep.msg.Truncated {
		if !until.IsZero() {
			tctx, cancel := context.WithDeadline(ctx, until)
			defer cancel()
			ctx = tctx
		}
		return t.tcp.exchange(ctx, q)
	}
	return rep.msg, nil
}

// upstreamQuestion is a question for an upstream in wire terms, as a miss
// has it at hand: no dns.Msg is made for it unless its reply is unusual.
type upstreamQuestion struct {
	name          []byte // wire format, lower case
	qtype, qclass uint16
	cd, do        bool // the client's CD and DO bits
	ednsSize      uint16
}

// appendUpstreamQuery appends the query for q with the ID id, as
// miekg/dns packs it: recursion desired, the client's CD bit, and an OPT
// with amane's buffer size and the client's DO bit (RFC 6891 6.1.2).
func appendUpstreamQuery(dst []byte, q *upstreamQuestion, id uint16) []byte {
	flags := uint16(flagRD)
	if q.cd {
		flags |= flagCD
	}
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = binary.BigEndian.AppendUint16(dst, flags)
	dst = append(dst, 0, 1, 0, 0, 0, 0, 0, 1)
	dst = append(dst, q.name...)
	dst = binary.BigEndian.AppendUint16(dst, q.qtype)
	dst = binary.BigEndian.AppendUint16(dst, q.qclass)
	var do byte
	if q.do {
		do = 0x80
	}
	return append(dst, 0, 0, typeOPT, byte(q.ednsSize>>8), byte(q.ednsSize), 0, 0, do, 0, 0, 0)
}

// exchangeWire is one try of asking q that gives up at until. A reply of
// the usual shape (scanReply) comes back as the datagram received, for
// entryFromWire; any other as exchange returns it. It takes no context: a
// miss to a lone upstream has a deadline and nothing else to end it, and
// a context per miss was three allocations.
func (t *udpTransport) exchangeWire(q *upstreamQuestion, until time.Time) (udpReply, error) {
	conn, err := t.take()
	if err != nil {
		return udpReply{}, err
	}
	w := udpWaits.Get().(*udpWait)
	defer w.release()
	w.buf = appendUpstreamQuery(w.buf[:0], q, uint16(rand.Uint32())) // the ID as in exchangeUntil
	w.pkt, w.wire = w.buf, true
	rep, err := t.roundTrip(context.Background(), conn, w, until)
	if err != nil || rep.msg == nil || !rep.msg.Truncated {
		return rep, err
	}
	m, err := w.query()
	if err != nil {
		return udpReply{}, err
	}
	ctx, cancel := context.WithDeadline(context.Background(), until)
	defer cancel()
	r, err := t.tcp.exchange(ctx, m)
	return udpReply{msg: r}, err
}

// udpReply is the reply to a query over UDP: the datagram itself when it
// has the usual shape and the query asked for that, else unpacked.
type udpReply struct {
	wire []byte // a copy, the caller's to keep
	msg  *dns.Msg
}

// udpQuery is what a query over UDP sent, for matching replies to it.
type udpQuery struct {
	pkt  []byte   // the query as sent
	buf  []byte   // pkt when the query was written here; kept for the next
	q    *dns.Msg // pkt unpacked; nil until something needs it
	wire bool     // a usual reply is handed over as its bytes
}

// query returns the query unpacked, unpacking it the first time.
func (u *udpQuery) query() (*dns.Msg, error) {
	if u.q == nil {
		q := new(dns.Msg)
		if err := q.Unpack(u.pkt); err != nil {
			return nil, err
		}
		u.q = q
	}
	return u.q, nil
}

// match returns the reply that the datagram d, read from the query's
// socket, carries, and false when d is none: junk or a spoofing attempt,
// read past until the deadline. A connected socket only receives from the
// server's address and port; the ID and question are checked here (RFC
// 5452 9.1). d is the caller's buffer: a reply keeps a copy.
func (u *udpQuery) match(d []byte) (udpReply, bool) {
	if u.wire && len(d) >= 2 && d[0] == u.pkt[0] && d[1] == u.pkt[1] {
		// appendUpstreamQuery wrote the question, then an OPT of 11 bytes.
		q := u.pkt[headerLen : len(u.pkt)-11]
		var s replyScan
		if scanReply(d, q[:len(q)-4], binary.BigEndian.Uint16(q[len(q)-4:]), binary.BigEndian.Uint16(q[len(q)-2:]), &s) {
			return udpReply{wire: bytes.Clone(d)}, true
		}
	}
	q, err := u.query()
	if err != nil {
		return udpReply{}, false
	}
	r := new(dns.Msg)
	if r.Unpack(d) != nil || checkReply(q, r) != nil {
		return udpReply{}, false
	}
	return udpReply{msg: r}, true
}

// take returns a socket for one query: a spare if one is ready, else one
// opened here. The filler is woken once half the spares are gone, so that
// it opens them in batches rather than one wake-up a query.
func (t *udpTransport) take() (udpSock, error) {
	if !t.started.Load() {
		t.startFiller()
	}
	var c udpSock
	ok := false
	select {
	case c, ok = <-t.spares:
	default:
	}
	if len(t.spares) <= udpSpares/2 {
		select {
		case t.wake <- struct{}{}:
		default: // already asked
		}
	}
	if ok {
		return c, nil
	}
	return t.open()
}

// open connects a new socket to the upstream. Without a local address the
// kernel binds it to a random free port of the ephemeral range at connect.
func (t *udpTransport) open() (udpSock, error) {
	if !t.raddr.IsValid() {
		return udpSock{}, errors.New("upstream " + t.addr + " is not IP:PORT")
	}
	return t.dial()
}

// startFiller starts the goroutine that keeps the spares full, unless the
// transport is closed: a transport that never carries a query never opens
// a socket.
func (t *udpTransport) startFiller() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.started.Load() {
		return
	}
	t.started.Store(true)
	t.filler.Add(1)
	go t.fill()
}

// fill tops the spares up each time a query takes one, until close. When
// a socket cannot be opened (out of file descriptors, no route) it gives
// up until the next query asks, which then opens its own and reports the
// error.
func (t *udpTransport) fill() {
	defer t.filler.Done()
	for {
		for len(t.spares) < cap(t.spares) {
			c, err := t.open()
			if err != nil {
				break
			}
			t.spares <- c // never blocks: only fill sends, and there was room
		}
		select {
		case <-t.wake:
		case <-t.done:
			return
		}
	}
}

// close stops the filler and closes the spares. Queries in flight keep
// their sockets and close them when they are done.
func (t *udpTransport) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.mu.Unlock()
	close(t.done)
	t.filler.Wait()
	for {
		select {
		case c := <-t.spares:
			t.discard(c)
		default:
			t.tcp.close()
			t.closeSys()
			return
		}
	}
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
