package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// udpSock is a non-blocking UDP socket connected to the upstream, for one
// query: a bare descriptor, never handed to Go's network poller. The
// transport's own epoll instance (udpPoller) watches it from the moment it
// is opened, so a query costs no poller registration nor removal (close(2)
// takes the socket out of the epoll set), no read that finds nothing, and
// no deadline of its own (issue 14).
type udpSock struct{ fd int }

// udpSys holds the transport's poller, started with its first socket.
type udpSys struct {
	mu sync.Mutex // guards p
	p  *udpPoller
}

var errUDPClosed = errors.New("upstream transport closed")

// udpPoller reads the replies of one transport's queries: one epoll
// instance holding every socket the transport has open, and one goroutine
// that waits for it in Go's network poller (an epoll descriptor is
// readable while any socket in it is) and hands each query its answer.
// The answer is matched on the socket it came to, its ID and its question
// (RFC 5452 9.1), exactly as a read on the query's own goroutine did.
type udpPoller struct {
	epfd int
	file *os.File // epfd, in Go's network poller

	mu      sync.Mutex         // guards following; held across every read and close of a registered socket, so a descriptor number reused by a new socket is never read for an old query
	waiting map[int32]*udpWait // socket → the query waiting on it
	closing bool               // the transport closed: close the poller once nothing waits
	gone    bool               // file is closed
}

// udpWait is one query waiting for its reply. The poller reads it only
// while it holds the poller's lock and finds it in waiting, so a wait given
// back to the pool is never read for the query before.
type udpWait struct {
	udpQuery
	reply chan udpResult // capacity 1: the poller sends at most once, as it takes the wait out of waiting
	timer *time.Timer    // stopped between uses
}

type udpResult struct {
	udpReply
	err error
}

// release gives w back to the pool, keeping its buffer.
func (w *udpWait) release() {
	w.udpQuery = udpQuery{buf: w.buf[:0]}
	udpWaits.Put(w)
}

var udpWaits = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &udpWait{reply: make(chan udpResult, 1), timer: t}
}}

// poller returns the transport's poller, starting it on first use.
func (t *udpTransport) poller() (*udpPoller, error) {
	t.sys.mu.Lock()
	defer t.sys.mu.Unlock()
	if t.sys.p == nil { // first use, or the last start failed (out of descriptors, say): try again
		p, err := startUDPPoller()
		if err != nil {
			return nil, err
		}
		t.sys.p = p
	}
	return t.sys.p, nil
}

func startUDPPoller() (*udpPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// os.NewFile puts a non-blocking descriptor in Go's poller; the flag
	// changes nothing for epoll_wait, which is only ever called with a
	// zero timeout here.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	p := &udpPoller{epfd: epfd, file: os.NewFile(uintptr(epfd), "udp-upstream-epoll"), waiting: map[int32]*udpWait{}}
	raw, err := p.file.SyscallConn()
	if err != nil {
		p.file.Close()
		return nil, err
	}
	go p.run(raw)
	return p, nil
}

// dial opens a UDP socket connected to the upstream from a port the kernel
// picks at random at connect, and adds it to the poller. It is
// net.DialUDP without the system calls the net package adds for nothing we
// need (SO_BROADCAST, getsockname, getpeername) nor its allocations: with
// a socket per query (RFC 5452 9.2) those were a third of the socket's cost.
func (t *udpTransport) dial() (udpSock, error) {
	p, err := t.poller()
	if err != nil {
		return udpSock{}, err
	}
	family, zone, err := familyOf(t.raddr)
	if err != nil {
		return udpSock{}, err
	}
	to := netip.AddrPortFrom(t.raddr.Addr().Unmap(), t.raddr.Port())
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return udpSock{}, os.NewSyscallError("socket", err)
	}
	if err := rawConnect(fd, to, zone); err != nil {
		rawClose(fd)
		return udpSock{}, os.NewSyscallError("connect", err)
	}
	// Edge-triggered: the poller reads a socket until it is empty or its
	// query answered, and a socket whose query has gone needs no more
	// wake-ups before it is closed.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}
	p.mu.Lock()
	if p.gone { // the transport closed, and so did the poller's descriptor, whose number may be another's now
		p.mu.Unlock()
		rawClose(fd)
		return udpSock{}, errUDPClosed
	}
	err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	p.mu.Unlock()
	if err != nil {
		rawClose(fd)
		return udpSock{}, os.NewSyscallError("epoll_ctl", err)
	}
	return udpSock{fd}, nil
}

// familyOf is the address family and, for a link-local address, the index
// of the interface its zone names.
func familyOf(addr netip.AddrPort) (family int, zone uint32, err error) {
	ip := addr.Addr()
	if ip.Unmap().Is4() {
		return unix.AF_INET, 0, nil
	}
	if z := ip.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			return unix.AF_INET6, uint32(n), nil
		}
		ifi, err := net.InterfaceByName(z)
		if err != nil {
			return 0, 0, err
		}
		return unix.AF_INET6, uint32(ifi.Index), nil
	}
	return unix.AF_INET6, 0, nil
}

// discard closes a socket that carried no query. Closing takes it out of
// the poller's epoll set; nothing waits on it, so the poller never reads it.
func (t *udpTransport) discard(s udpSock) { rawClose(s.fd) }

// closeSys stops the poller once the queries still waiting are done.
func (t *udpTransport) closeSys() {
	t.sys.mu.Lock()
	p := t.sys.p
	t.sys.mu.Unlock()
	if p != nil {
		p.mu.Lock()
		p.closing = true
		p.releaseLocked()
		p.mu.Unlock()
	}
}

// roundTrip sends w's query on s and waits until the poller brings its
// answer, ctx ends or until (unless zero) passes; then closes s.
func (t *udpTransport) roundTrip(ctx context.Context, s udpSock, w *udpWait, until time.Time) (udpReply, error) {
	t.sys.mu.Lock()
	p := t.sys.p // dial started it
	t.sys.mu.Unlock()
	key := int32(s.fd)
	p.mu.Lock()
	if p.gone { // a spare taken as the transport closed
		p.mu.Unlock()
		rawClose(s.fd)
		return udpReply{}, errUDPClosed
	}
	p.waiting[key] = w
	p.mu.Unlock()
	if _, err := rawWrite(s.fd, w.pkt); err != nil {
		if res, ok := p.finish(key, w, s.fd); ok {
			return res.udpReply, res.err
		}
		return udpReply{}, os.NewSyscallError("write", err)
	}
	var expired <-chan time.Time
	if !until.IsZero() {
		w.timer.Reset(time.Until(until))
		defer w.timer.Stop() // a stopped timer delivers nothing stale to its next user (Go 1.23)
		expired = w.timer.C
	}
	select {
	case res := <-w.reply:
		p.finish(key, w, s.fd)
		return res.udpReply, res.err
	case <-ctx.Done():
		if res, ok := p.finish(key, w, s.fd); ok {
			return res.udpReply, res.err // the answer came as the time ran out
		}
		return udpReply{}, ctx.Err()
	case <-expired:
		if res, ok := p.finish(key, w, s.fd); ok {
			return res.udpReply, res.err
		}
		return udpReply{}, context.DeadlineExceeded
	}
}

// finish takes w out of waiting, if the poller has not already, and closes
// its socket; ok says the poller had answered (res, received here).
func (p *udpPoller) finish(key int32, w *udpWait, fd int) (res udpResult, ok bool) {
	p.mu.Lock()
	answered := p.waiting[key] != w
	if !answered {
		delete(p.waiting, key)
	}
	rawClose(fd)
	p.releaseLocked()
	p.mu.Unlock()
	if !answered {
		return udpResult{}, false
	}
	select {
	case res = <-w.reply:
	default: // received already by the caller
	}
	return res, true
}

// releaseLocked closes the poller once the transport is closed and no
// query waits.
func (p *udpPoller) releaseLocked() {
	if p.closing && len(p.waiting) == 0 && !p.gone {
		p.gone = true
		p.file.Close() // run returns
	}
}

// run waits for sockets with something to read, until the poller closes.
// The work is done inside the raw read, which leaves only when the
// descriptor closes: a readiness that comes while the sockets are read is
// kept for the next wait (a new raw read would clear it first), so after
// an epoll_wait that took every event the poller parks at once, without
// asking the kernel again for nothing.
func (p *udpPoller) run(raw syscall.RawConn) {
	events := make([]unix.EpollEvent, 64)
	buf := make([]byte, udpBufSize)
	raw.Read(func(uintptr) bool {
		for {
			n, err := rawEpollPoll(p.epfd, events)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n == 0 {
				return false // wait in Go's poller
			}
			for _, ev := range events[:n] {
				p.drain(ev.Fd, buf)
			}
			if n < len(events) {
				return false
			}
		}
	})
}

// drain reads the datagrams waiting on a socket until its query is
// answered or nothing is left. Each is read and matched with the lock held:
// the query cannot give up, and its wait be reused, in between.
func (p *udpPoller) drain(key int32, buf []byte) {
	for {
		p.mu.Lock()
		done := p.readLocked(key, buf)
		p.mu.Unlock()
		if done {
			return
		}
	}
}

// readLocked reads one datagram from the socket key and hands it to the
// query waiting on it if it is the answer. It reports whether the socket
// needs no more reading: empty, or its query answered or gone.
func (p *udpPoller) readLocked(key int32, buf []byte) bool {
	w := p.waiting[key]
	if w == nil { // answered or given up (and closed) already
		return true
	}
	n, err := rawRead(int(key), buf)
	var res udpResult
	switch {
	case err == unix.EAGAIN:
		return true
	case err == unix.EINTR:
		return false
	case err == unix.ECONNREFUSED:
		return false // an ICMP error, which anyone can forge: wait for the answer until the deadline
	case err != nil:
		res.err = os.NewSyscallError("read", err)
	default:
		var ok bool
		if res.udpReply, ok = w.match(buf[:n]); !ok {
			return false
		}
	}
	delete(p.waiting, key)
	w.reply <- res // never blocks: capacity 1, one send per wait
	return true
}
