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

// udpWait is one query's state while it waits, pooled.
type udpWait struct{ udpQuery }

var udpWaits = sync.Pool{New: func() any { return new(udpWait) }}

// release gives w back to the pool, keeping its buffer.
func (w *udpWait) release() {
	w.udpQuery = udpQuery{buf: w.buf[:0]}
	udpWaits.Put(w)
}

// roundTrip sends w's query on s and reads until its answer comes, ctx
// ends or until (unless zero) passes; then closes s.
func (t *udpTransport) roundTrip(ctx context.Context, s udpSock, w *udpWait, until time.Time) (udpReply, error) {
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
	if _, err := conn.Write(w.pkt); err != nil {
		return udpReply{}, err
	}
	buf := udpBufs.Get().(*[udpBufSize]byte)
	defer udpBufs.Put(buf)
	for {
		n, err := conn.Read(buf[:])
		switch {
		case ctx.Err() != nil:
			return udpReply{}, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return udpReply{}, context.DeadlineExceeded
		case errors.Is(err, syscall.ECONNREFUSED):
			continue // an ICMP error, which anyone can forge: wait for the answer until the deadline
		case err != nil:
			return udpReply{}, err
		}
		if rep, ok := w.match(buf[:n]); ok {
			return rep, nil
		}
	}
}
