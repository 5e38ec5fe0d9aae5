package resolver

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"
)

// tcpQueryTimeout bounds the time a client may take to send one whole
// message once it has started (a slow-loris defence).
const tcpQueryTimeout = 5 * time.Second

func (s *Server) serveTCP(l net.Listener) {
	defer s.loops.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and friends: let descriptors free up
			continue
		}
		select {
		case s.tcpSlots <- struct{}{}:
		default:
			c.Close() // at the connection bound: new clients fall back or retry
			continue
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.work.Add(1)
		go s.serveConn(c)
	}
}

// serveConn answers the queries of one connection in order (RFC 7766 6.2.1
// allows pipelined queries; answering them in order is always correct).
func (s *Server) serveConn(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		<-s.tcpSlots
		s.work.Done()
	}()
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return
	}
	client := ta.AddrPort().Addr().Unmap()
	var lenBuf [2]byte
	out := make([]byte, 0, 4096)
	for !s.stopping.Load() {
		cfg := s.h.settings.Load().cfg
		c.SetReadDeadline(time.Now().Add(cfg.Server.TCPIdleTimeout))
		if _, err := io.ReadFull(c, lenBuf[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:]))
		if n < headerLen {
			return
		}
		c.SetReadDeadline(time.Now().Add(tcpQueryTimeout))
		pkt := make([]byte, n)
		if _, err := io.ReadFull(c, pkt); err != nil {
			return
		}
		reply := s.h.Answer(client, true, pkt, out[:2])
		if len(reply) <= 2 {
			continue
		}
		binary.BigEndian.PutUint16(reply, uint16(len(reply)-2))
		c.SetWriteDeadline(time.Now().Add(tcpQueryTimeout))
		if _, err := c.Write(reply); err != nil {
			return
		}
		out = reply[:0]
	}
}
