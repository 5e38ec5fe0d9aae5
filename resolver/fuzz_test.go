package resolver

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// checkSent is the property both fuzz targets hold amane to: whatever it
// sends a client parses as a DNS response to that client's query.
func checkSent(t *testing.T, in, out []byte) {
	t.Helper()
	if out == nil {
		return
	}
	r := new(dns.Msg)
	if err := r.Unpack(out); err != nil {
		t.Fatalf("sent a reply that does not parse: %v\nquery %x\nreply %x", err, in, out)
	}
	if !r.Response {
		t.Fatalf("sent a reply without QR: %v", r)
	}
	if len(in) >= 2 && r.Id != binary.BigEndian.Uint16(in) {
		t.Fatalf("reply ID %d for query ID %d", r.Id, binary.BigEndian.Uint16(in))
	}
}

func FuzzClientQuery(f *testing.F) {
	for _, m := range []*dns.Msg{
		newQuery("example.com", dns.TypeA), newQuery("example.com", dns.TypeANY),
		newQuery("1.1.168.192.in-addr.arpa", dns.TypePTR), newQuery("nas", dns.TypeA),
	} {
		b, _ := m.Pack()
		f.Add(b)
		m.SetEdns0(1232, true)
		b, _ = m.Pack()
		f.Add(b)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 4, 0xfd, 0xe9, 0, 6})
	up := startUpstream(f, func(q *dns.Msg, _ bool) [][]byte {
		b, _ := answerA(q, "93.184.215.14", 300).Pack()
		return [][]byte{b}
	})
	cfg := testConfig(up.addr())
	cfg.Upstream.Timeout = 200 * time.Millisecond
	cfg.Local.Hosts = []string{"192.168.1.10 nas"}
	h := newTestHandler(f, cfg, nil)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, tcp := range []bool{false, true} {
			out := h.Answer(loopback, tcp, pkt, nil)
			checkSent(t, pkt, out)
			if !tcp && out != nil && len(out) > 512 && !hasOPT(pkt) {
				t.Fatalf("%d bytes over UDP to a client without EDNS", len(out))
			}
		}
	})
}

func hasOPT(pkt []byte) bool {
	m := new(dns.Msg)
	return m.Unpack(pkt) == nil && m.IsEdns0() != nil
}

// FuzzUpstreamReply feeds arbitrary bytes as the upstream's reply to a
// fixed question: if amane accepts them, the answer it builds from them,
// fresh from the cache or served stale, must parse.
func FuzzUpstreamReply(f *testing.F) {
	q := newQuery("www.example.com", dns.TypeA)
	q.SetEdns0(1232, false)
	for _, r := range []*dns.Msg{answerA(q, "93.184.215.14", 300), func() *dns.Msg {
		r := new(dns.Msg)
		r.SetRcode(q, dns.RcodeNameError)
		r.Ns = []dns.RR{soa(60, 60)}
		return r
	}()} {
		b, _ := r.Pack()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		r := new(dns.Msg)
		if r.Unpack(reply) != nil {
			return
		}
		r.Id = q.Id
		if checkReply(q, r) != nil {
			return
		}
		var cq query
		cq.pkt, _ = q.Pack()
		if err := cq.parse(); err != nil {
			t.Fatal(err)
		}
		cq.set = &settings{ednsSize: 1232}
		e, _, err := newEntry(&cq.key, r, time.Now(), ttlBounds{0, 86400})
		if err != nil {
			return // refused: nothing is sent from it
		}
		for _, stale := range []bool{false, true} {
			for _, size := range []uint16{0, 512, 1232} {
				cq.req.edns, cq.req.udpSize = size > 0, size
				out := cq.fromEntry(e, nil, time.Now().Add(time.Minute), stale)
				checkSent(t, cq.pkt, out)
				if len(out) > max(512, int(size)) {
					t.Fatalf("%d bytes for a %d-byte client", len(out), size)
				}
			}
		}
	})
}
