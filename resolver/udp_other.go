//go:build !linux

package resolver

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// udpConn is the portable UDP socket: one datagram per system call, through
// Go's network poller. Linux gets the batched one in udp_linux.go.
type udpConn struct {
	c     *net.UDPConn
	local netip.AddrPort
}

func listenUDP(addr string, _ bool) (*udpConn, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	uc := c.(*net.UDPConn)
	return &udpConn{c: uc, local: uc.LocalAddr().(*net.UDPAddr).AddrPort()}, nil
}

func (c *udpConn) localAddr() netip.AddrPort { return c.local }
func (c *udpConn) close() error              { return c.c.Close() }

// interrupt does nothing here: readBatch waits at most 250 ms, then the
// loop looks at whether the server is stopping.
func (c *udpConn) interrupt() {}

type udpBatch struct {
	bufs  [][]byte
	lens  []int
	peers []netip.AddrPort
	n     int

	waiting *atomic.Int64 // set by the read loop; only Linux's loop pauses
}

func newUDPBatch(n, size int) *udpBatch {
	b := &udpBatch{bufs: make([][]byte, n), lens: make([]int, n), peers: make([]netip.AddrPort, n)}
	for i := range n {
		b.bufs[i] = make([]byte, size)
	}
	return b
}

func (b *udpBatch) packet(i int) ([]byte, netip.AddrPort) { return b.bufs[i][:b.lens[i]], b.peers[i] }

// readBatch sends the replies in pending, then waits for one datagram.
func (c *udpConn) readBatch(b *udpBatch, pending *replyBatch) error {
	c.writeBatch(pending)
	c.c.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	n, from, err := c.c.ReadFromUDPAddrPort(b.bufs[0])
	if err != nil {
		b.n = 0
		return err
	}
	b.lens[0], b.peers[0], b.n = n, from, 1
	return nil
}

type replyBatch struct {
	bufs  [][]byte
	peers []netip.AddrPort
	n     int
}

func newReplyBatch(n, size int) *replyBatch {
	r := &replyBatch{bufs: make([][]byte, n), peers: make([]netip.AddrPort, n)}
	for i := range n {
		r.bufs[i] = make([]byte, 0, size)
	}
	return r
}

func (r *replyBatch) buf() []byte { return r.bufs[r.n][:0] }

func (r *replyBatch) full() bool { return r.n == len(r.bufs) }

func (r *replyBatch) add(reply []byte, in *udpBatch, i int) {
	r.bufs[r.n], r.peers[r.n] = reply, in.peers[i]
	r.n++
}

func (c *udpConn) writeBatch(r *replyBatch) {
	for i := range r.n {
		c.c.WriteToUDPAddrPort(r.bufs[i], r.peers[i])
		r.bufs[i] = r.bufs[i][:0]
	}
	r.n = 0
}

func (c *udpConn) writeTo(b []byte, to netip.AddrPort) error {
	_, err := c.c.WriteToUDPAddrPort(b, to)
	return err
}

func temporary(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
