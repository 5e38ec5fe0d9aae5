//go:build !linux

package resolver

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

var udpBufs = sync.Pool{New: func() any { return new([udpBufSize]byte) }}

// udpSock is a UDP socket connected to the upstream, for one query,
// through Go's net package. Linux has a cheaper one in upstream_udp_linux.go.
type udpSock struct{ c *net.UDPConn }

// udpSys is empty here: each query waits on its own socket in Go's poller.
type udpSys struct{}

// dial opens a UDP socket connected to the upstream from a port the kernel
// picks.
func (t *udpTransport) dial() (udpSock, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(t.raddr))
	return udpSock{c}, err
}

func (t *udpTransport) discard(s udpSock) { s.c.Close() }

func (t *udpTransport) closeSys() {}

// roundTrip sends pkt (q, packed) on s and reads until the answer to q
// comes, ctx ends or until (unless zero) passes; then closes s.
func (t *udpTransport) roundTrip(ctx context.Context, s udpSock, q *dns.Msg, pkt []byte, until time.Time) (*dns.Msg, error) {
	conn := s.c
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok && (until.IsZero() || deadline.Before(until)) {
		until = deadline
	}
	if !until.IsZero() {
		conn.SetReadDeadline(until)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(pkt); err != nil {
		return nil, err
	}
	buf := udpBufs.Get().(*[udpBufSize]byte)
	defer udpBufs.Put(buf)
	for {
		n, err := conn.Read(buf[:])
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, context.DeadlineExceeded
		case errors.Is(err, syscall.ECONNREFUSED):
			continue // an ICMP error, which anyone can forge: wait for the answer until the deadline
		case err != nil:
			return nil, err
		}
		if r := matchReply(q, buf[:n]); r != nil {
			return r, nil
		}
	}
}
