package resolver

import (
	"bytes"
	"encoding/binary"
	"net"
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
// fixed question. If amane accepts them, the answer it builds from them,
// fresh from the cache or served stale, must parse; and a reply that the
// miss path takes as it came (entryFromWire) must be one that the
// unpacking path accepts too, and must answer exactly as it does, with
// rebinding protection on and off.
func FuzzUpstreamReply(f *testing.F) {
	q := newQuery("www.example.com", dns.TypeA)
	q.SetEdns0(1232, false)
	for _, r := range upstreamReplySeeds(q) {
		for _, compress := range []bool{false, true} {
			r.Compress = compress
			b, _ := r.Pack()
			f.Add(b)
		}
	}
	var cq query
	cq.pkt, _ = q.Pack()
	if err := cq.parse(); err != nil {
		f.Fatal(err)
	}
	cq.set = &settings{ednsSize: 1232}
	f.Fuzz(func(t *testing.T, reply []byte) {
		now := time.Now()
		for _, c := range []struct {
			strip  bool
			bounds ttlBounds
		}{{false, ttlBounds{0, 86400}}, {true, ttlBounds{30, 3600}}} {
			strip := c.strip
			u, uc := unpackedEntry(q, &cq.key, reply, now, c.bounds, strip)
			wire := bytes.Clone(reply)
			if len(wire) >= 2 {
				binary.BigEndian.PutUint16(wire, q.Id)
			}
			sent := bytes.Clone(wire)
			w, wc, ok := entryFromWire(&cq.key, wire, now, c.bounds, strip)
			switch {
			case ok && u == nil:
				t.Fatalf("taken from the wire, refused unpacked: %x", reply)
			case ok:
				sameEntry(t, &cq, w, u, wc, uc)
			case !bytes.Equal(wire, sent):
				t.Fatalf("a reply left to unpacking was changed:\n%x\n%x", sent, wire)
			}
			for _, e := range []*entry{u, w} {
				if e == nil {
					continue // refused: nothing is sent from it
				}
				for _, stale := range []bool{false, true} {
					for _, size := range []uint16{0, 512, 1232} {
						cq.req.edns, cq.req.udpSize = size > 0, size
						out := cq.fromEntry(e, nil, now.Add(time.Minute), stale)
						checkSent(t, cq.pkt, out)
						if len(out) > max(512, int(size)) {
							t.Fatalf("%d bytes for a %d-byte client", len(out), size)
						}
					}
				}
			}
		}
	})
}

// upstreamReplySeeds are replies to q of the shapes upstreams send.
func upstreamReplySeeds(q *dns.Msg) []*dns.Msg {
	name := q.Question[0].Name
	a := func(owner, ip string, ttl uint32) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.ParseIP(ip).To4()}
	}
	cname := func(owner, target string, ttl uint32) dns.RR {
		return &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: target}
	}
	reply := func(rcode int, answer, ns, extra []dns.RR) *dns.Msg {
		r := new(dns.Msg)
		r.SetRcode(q, rcode)
		r.RecursionAvailable = true
		r.Answer, r.Ns, r.Extra = answer, ns, extra
		r.SetEdns0(1232, false)
		return r
	}
	return []*dns.Msg{
		answerA(q, "93.184.215.14", 300),
		reply(dns.RcodeNameError, nil, []dns.RR{soa(60, 60)}, nil),
		reply(dns.RcodeSuccess, nil, []dns.RR{soa(3600, 300)}, nil),
		reply(dns.RcodeSuccess, []dns.RR{
			cname(name, "edge.example.net.", 300), cname("edge.example.net.", "a1.cdn.example.", 20),
			a("a1.cdn.example.", "93.184.215.14", 60), a("a1.cdn.example.", "10.0.0.1", 0),
		}, nil, nil),
		reply(dns.RcodeSuccess, []dns.RR{a(name, "93.184.215.14", 300)},
			[]dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 86400}, Ns: "ns1.example.com."}},
			[]dns.RR{a("ns1.example.com.", "192.0.2.53", 86400)}),
		reply(dns.RcodeServerFailure, nil, nil, nil),
	}
}
