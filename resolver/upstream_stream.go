package resolver

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"time"

	"github.com/miekg/dns"
)

// streamIdle is how many idle connections a TCP or TLS upstream keeps, so
// that DNS-over-TLS does not pay a handshake per query (RFC 7858 3.4).
const streamIdle = 8

// streamTransport sends queries over TCP or TLS, one query at a time per
// connection, keeping idle connections for reuse.
type streamTransport struct {
	name string
	dial func(ctx context.Context) (net.Conn, error)
	idle chan *dns.Conn
}

func newStreamTransport(name string, dial func(ctx context.Context) (net.Conn, error)) *streamTransport {
	return &streamTransport{name: name, dial: dial, idle: make(chan *dns.Conn, streamIdle)}
}

func (t *streamTransport) String() string { return t.name }

func (t *streamTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	q.Id = uint16(rand.Uint32())
	select {
	case c := <-t.idle:
		r, err := t.roundTrip(ctx, c, q)
		if err == nil || ctx.Err() != nil {
			return r, err
		}
		// The server may have closed an idle connection (RFC 7766 6.2.3):
		// that is no failure of the server, so try once on a fresh one.
	default:
	}
	nc, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	return t.roundTrip(ctx, &dns.Conn{Conn: nc}, q)
}

func (t *streamTransport) roundTrip(ctx context.Context, c *dns.Conn, q *dns.Msg) (*dns.Msg, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.WriteMsg(q); err != nil {
		c.Close()
		return nil, err
	}
	for {
		r, err := c.ReadMsg()
		if err != nil {
			c.Close()
			return nil, err
		}
		if checkReply(q, r) != nil {
			continue // an answer to nothing we asked: read past it
		}
		select {
		case t.idle <- c:
		default:
			c.Close()
		}
		return r, nil
	}
}

func (t *streamTransport) close() {
	for {
		select {
		case c := <-t.idle:
			c.Close()
		default:
			return
		}
	}
}

// plainDialer dials TCP to addr.
func plainDialer(addr string) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// tlsDialer dials TLS to one of the addresses addrs returns, checking the
// certificate against serverName (RFC 7858 with the authentication of
// RFC 8310).
func tlsDialer(addrs func(ctx context.Context) ([]string, error), cfg *tls.Config) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		list, err := addrs(ctx)
		if err != nil {
			return nil, err
		}
		return dialFirst(ctx, &tls.Dialer{Config: cfg}, "tcp", list)
	}
}
