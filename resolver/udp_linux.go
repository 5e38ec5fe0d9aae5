package resolver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpConn is a UDP socket read and written in batches with recvmmsg and
// sendmmsg. Under load, system calls are most of the cost of a cached
// answer (PERFORMANCE.md): a wakeup reads everything waiting in one call
// and writes every reply in one call. The socket is non-blocking and waits
// in Go's network poller, so a read loop with nothing to read holds no
// thread nor scheduler slot: on one core the whole server runs on one
// thread, as unbound does, and a miss handed to a worker, or an answer
// from an upstream, needs no other thread woken (issue 14: a blocking read
// loop kept the runtime's sysmon polling every 20 µs, 10% of a miss's CPU,
// and woke a second thread for every miss). Under load, a read loop
// pauses a moment before it waits, so that each wakeup serves more
// queries (pauseForMore).
type udpConn struct {
	fd     int
	file   *os.File        // fd, in Go's network poller
	raw    syscall.RawConn // file's
	local  netip.AddrPort
	closed atomic.Bool
}

// mmsghdr is struct mmsghdr of recvmmsg(2); Go pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// udpReceiveBuffer is the socket receive buffer amane asks for.
const udpReceiveBuffer = 4 << 20

// listenUDP binds addr. shared sets SO_REUSEPORT, for a group of sockets
// on one port, one per core: only then, since any other process of the
// same user that sets it too could join the group (and, binding the port
// as its own source port by chance, receive its own queries back).
func listenUDP(addr string, shared bool) (*udpConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()})
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, err
	}
	c := &udpConn{fd: fd}
	if err := c.setup(family, sa, shared); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.file = os.NewFile(uintptr(fd), "udp")
	if c.raw, err = c.file.SyscallConn(); err != nil {
		c.file.Close()
		return nil, err
	}
	return c, nil
}

func (c *udpConn) setup(family int, sa unix.Sockaddr, shared bool) error {
	if shared {
		if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return err
		}
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(c.fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return err
		}
	}
	// A burst of a school lab's misses must not overflow the default
	// 208 KiB buffer; the kernel caps this at net.core.rmem_max.
	unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, udpReceiveBuffer)
	if err := unix.Bind(c.fd, sa); err != nil {
		return err
	}
	bound, err := unix.Getsockname(c.fd)
	if err != nil {
		return err
	}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		c.local = netip.AddrPortFrom(netip.AddrFrom4(b.Addr), uint16(b.Port))
	case *unix.SockaddrInet6:
		c.local = netip.AddrPortFrom(netip.AddrFrom16(b.Addr), uint16(b.Port))
	}
	return nil
}

func (c *udpConn) localAddr() netip.AddrPort { return c.local }

func (c *udpConn) close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.file.Close()
}

// interrupt wakes a read loop waiting for datagrams: its readBatch returns
// an error that temporary accepts, and the loop looks at whether the
// server is stopping.
func (c *udpConn) interrupt() { c.file.SetReadDeadline(time.Unix(1, 0)) }

// udpBatch holds the buffers and headers of one batch; the kernel fills
// peers and lengths in place, so nothing is allocated per datagram.
type udpBatch struct {
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	peers []unix.RawSockaddrInet6 // large enough for either family
	bufs  [][]byte
	n     int

	// The state of one readBatch, for recv: the read loop's own, so that
	// a read allocates no closure (one per read was most of what a cached
	// answer allocated).
	pending *replyBatch
	errno   syscall.Errno
	recv    func(fd uintptr) bool // b.recvmmsg, made once

	// read counts the datagrams read since the loop last waited: from
	// coalesceAfter on, the loop pauses before it waits (see pause),
	// unless a query waits for an upstream (waiting, when not nil).
	read    int
	waiting *atomic.Int64
	pause   func() // pauseForMore; a test's hook
}

// coalesceAfter is how many datagrams one wakeup must have read for the
// loop to pause: with two, a second query came while the first was being
// answered, so queries come faster than the loop wakes. A home's few
// queries a second never meet a pause; a page's burst of lookups is
// answered before the pause, which delays only what comes during it. In
// the miss phase of the bench (5,000 a second) the loop paused on 6% of
// its wakeups.
const coalesceAfter = 2

// coalescePause is how long a busy read loop lets datagrams gather before
// it reads again. Asked for 200 µs, a pause lasts about 295 µs here (the
// kernel's 50 µs of timer slack, and a virtual machine's timer): less than
// a third of the 1 ms an answer from the cache may take (PERFORMANCE.md),
// and only for what arrives while a busy loop pauses. At 40,000 cached
// answers a second: 50 µs took CPU per answer from 0.89× unbound's to
// 0.83×, 100 µs to 0.73–0.81× (bench/run.sh), and 200 µs took 10–14% off
// 100 µs's (10.48–10.93 µs to 9.30–9.83, nine alternated pairs), the mean
// latency from 0.21 to 0.29 ms and the p99 not at all (0.73 / 0.73 ms to
// 0.67 / 0.60 in the quietest pairs): fewer wakeups, less to wait behind.
// The loop does not pause while a miss waits for its upstream.
const coalescePause = 200 * time.Microsecond

// pauseForMore sleeps for coalescePause without giving up the scheduler
// slot: the read loop has just sent every reply it had, so nothing of its
// own waits, and no query waits for an upstream (the loop does not pause
// then), so no answer can come for a miss worker to finish meanwhile.
// Whatever else became ready waits at most the pause. A blocking system
// call instead would hand the slot to another thread, whose wakeup is
// what the pause saves. A signal, such as the runtime's preemption, ends
// it early.
func pauseForMore() {
	ts := unix.NsecToTimespec(coalescePause.Nanoseconds())
	unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
}

func newUDPBatch(n, size int) *udpBatch {
	b := &udpBatch{
		hdrs: make([]mmsghdr, n), iovs: make([]unix.Iovec, n),
		peers: make([]unix.RawSockaddrInet6, n), bufs: make([][]byte, n),
	}
	for i := range n {
		b.bufs[i] = make([]byte, size)
	}
	b.recv, b.pause = b.recvmmsg, pauseForMore
	return b
}

// packet returns datagram i of a read batch and its sender.
func (b *udpBatch) packet(i int) ([]byte, netip.AddrPort) {
	return b.bufs[i][:b.hdrs[i].len], peerAddr(&b.peers[i])
}

func peerAddr(sa *unix.RawSockaddrInet6) netip.AddrPort {
	raw := (*[unix.SizeofSockaddrInet6]byte)(unsafe.Pointer(sa))
	port := binary.BigEndian.Uint16(raw[2:])
	if sa.Family == unix.AF_INET {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[4:8])), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[8:24])), port)
}

// readBatch waits until at least one datagram arrives, then takes every
// datagram already waiting, up to the batch size and the room left in
// pending. The replies in pending are sent when nothing more is waiting,
// just before the loop sleeps, and not before: one sendmmsg carries the
// replies of every read of a wakeup, so the client's resolver, woken by
// the first datagram of a send, is woken once per wakeup and not once per
// read (waking a sleeping client was 15% of a cached answer's CPU, issue
// 14). The caller sends pending itself once it is full, and whenever
// readBatch fails.
func (c *udpConn) readBatch(b *udpBatch, pending *replyBatch) error {
	// Every header, not only the room left now: once pending is sent
	// before the wait, recvmmsg may fill them all.
	for i := range b.hdrs {
		b.iovs[i] = unix.Iovec{Base: &b.bufs[i][0]}
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.hdrs[i] = mmsghdr{}
		b.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.peers[i]))
		b.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		b.hdrs[i].hdr.Iov = &b.iovs[i]
		b.hdrs[i].hdr.SetIovlen(1)
	}
	b.n, b.errno, b.pending = 0, 0, pending
	err := c.raw.Read(b.recv)
	b.pending = nil
	if err != nil {
		return err
	}
	if b.errno != 0 {
		return b.errno
	}
	return nil
}

// recvmmsg is readBatch's read, run by the network poller's RawConn: it
// reports false to wait for the socket to become readable.
func (b *udpBatch) recvmmsg(fd uintptr) bool {
	// Never blocks (the socket is non-blocking): no need to tell the
	// scheduler, as the runtime's own poller does not.
	room := min(len(b.hdrs), len(b.pending.hdrs)-b.pending.n)
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])),
		uintptr(room), 0, 0, 0)
	if errno == unix.EAGAIN {
		// Nothing more: send what this wakeup answered, then wait in
		// the poller. A datagram that arrives meanwhile marks the
		// socket ready, so the wait ends at once.
		if b.pending.n > 0 {
			writeBatch(int(fd), b.pending)
		}
		// Under load, pause first, so that the wait finds the next
		// datagrams already there. A wakeup costs the same for one
		// datagram as for ten: the loop's own sleep and wake, and
		// waking the client with the first reply of a send (together
		// 28% of a cached answer's CPU at 40,000 a second, perf, issue
		// 14). The pause comes after the replies went, so no answer
		// already made waits for it; and the wait follows it, so the
		// poller still runs between two pauses (a miss's upstream
		// answer, a TCP query, the console), and an idle loop sleeps
		// in it as before. Not while a query waits for an upstream:
		// on one core the pause would hold its answer back, and a
		// flood of misses would lose throughput to it (10 s at full
		// load, alternated: 190,485 and 179,890 answers with the
		// pause, 192,988 and 190,794 without).
		if b.read >= coalesceAfter && (b.waiting == nil || b.waiting.Load() == 0) {
			b.pause()
		}
		b.read = 0
		return false
	}
	b.errno = errno
	if errno == 0 {
		b.n = int(n)
		b.read += b.n
	}
	return true
}

// replyBatch collects replies, each to the peer of a datagram of a read
// batch, for one sendmmsg. It keeps its own copy of each peer: the read
// batch is read into again before the replies go.
type replyBatch struct {
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	peers []unix.RawSockaddrInet6
	bufs  [][]byte
	n     int
}

func newReplyBatch(n, size int) *replyBatch {
	r := &replyBatch{hdrs: make([]mmsghdr, n), iovs: make([]unix.Iovec, n),
		peers: make([]unix.RawSockaddrInet6, n), bufs: make([][]byte, n)}
	for i := range n {
		r.bufs[i] = make([]byte, 0, size)
	}
	return r
}

// buf returns the buffer for the next reply, empty.
func (r *replyBatch) buf() []byte { return r.bufs[r.n][:0] }

// full reports whether no reply can be added until the batch is sent.
func (r *replyBatch) full() bool { return r.n == len(r.hdrs) }

// add queues reply (built in buf()) to the sender of datagram i of in.
func (r *replyBatch) add(reply []byte, in *udpBatch, i int) {
	r.bufs[r.n] = reply[:0] // keep a buffer that grew, for next time
	r.peers[r.n] = in.peers[i]
	r.iovs[r.n] = unix.Iovec{Base: &reply[0]}
	r.iovs[r.n].SetLen(len(reply))
	r.hdrs[r.n] = mmsghdr{}
	r.hdrs[r.n].hdr.Name = (*byte)(unsafe.Pointer(&r.peers[r.n]))
	r.hdrs[r.n].hdr.Namelen = in.hdrs[i].hdr.Namelen
	r.hdrs[r.n].hdr.Iov = &r.iovs[r.n]
	r.hdrs[r.n].hdr.SetIovlen(1)
	r.n++
}

// writeBatch sends the queued replies.
func (c *udpConn) writeBatch(r *replyBatch) {
	if r.n > 0 {
		writeBatch(c.fd, r)
	}
}

// writeBatch sends r's replies on fd. A reply the kernel refuses (a client
// gone unreachable) is skipped, not retried.
func writeBatch(fd int, r *replyBatch) {
	for off := 0; off < r.n; {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.hdrs[off])),
			uintptr(r.n-off), 0, 0, 0)
		if errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			n = 1
		}
		off += int(n)
	}
	r.n = 0
}

// writeTo sends one reply, for answers that come back from an upstream.
func (c *udpConn) writeTo(b []byte, to netip.AddrPort) error {
	return rawSendto(c.fd, b, to, c.local.Addr().Is6())
}

// temporary reports whether a read error only means "nothing yet", or
// that interrupt woke the loop.
func temporary(err error) bool {
	var errno syscall.Errno
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &errno) && (errno == unix.EAGAIN || errno == unix.EINTR)
}

func (c *udpConn) String() string { return fmt.Sprintf("udp %s", c.local) }
