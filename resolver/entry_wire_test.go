package resolver

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// unpackedEntry is the entry the unpacking path builds from reply, an
// upstream's answer to q: unpacked, matched (RFC 5452), stripped of private
// addresses when strip is set, then newEntry. nil when it refuses reply.
func unpackedEntry(q *dns.Msg, k *cacheKey, reply []byte, now time.Time, b ttlBounds, strip bool) (*entry, bool) {
	r := new(dns.Msg)
	if r.Unpack(reply) != nil {
		return nil, false
	}
	r.Id = q.Id
	if checkReply(q, r) != nil {
		return nil, false
	}
	if strip {
		stripPrivate(r)
	}
	e, cacheable, err := newEntry(k, r, now, b)
	if err != nil {
		return nil, false
	}
	return e, cacheable
}

// sameEntry fails t unless the entry built from the wire, w, answers
// exactly as u, built by unpacking: same fields, same records with the same
// TTLs in every reply. Names are compared without regard to case (RFC 4343):
// a name the upstream spelt out in full, the unpacking path compresses
// into a pointer to the question, which takes the client's spelling.
func sameEntry(t *testing.T, cq *query, w, u *entry, wc, uc bool) {
	t.Helper()
	if wc != uc || w.name != u.name || w.rcode != u.rcode || w.ttl != u.ttl || !w.stored.Equal(u.stored) ||
		!w.expires.Equal(u.expires) || !slices.Equal(w.cnames, u.cnames) || len(w.ttls) != len(u.ttls) {
		t.Fatalf("entry from the wire %+v (cacheable %v)\nunpacked %+v (cacheable %v)", w, wc, u, uc)
	}
	if offs, err := recordTTLOffsets(w.msg, nil); err != nil || !slices.Equal(offs, w.ttls) {
		t.Fatalf("TTL offsets %v, the message has %v (%v)", w.ttls, offs, err)
	}
	tcp := cq.tcp
	defer func() { cq.tcp = tcp }()
	cq.tcp = true // nothing truncated: the whole answer compared
	for _, at := range []time.Duration{0, 90 * time.Second} {
		for _, stale := range []bool{false, true} {
			a := cq.fromEntry(w, nil, w.stored.Add(at), stale)
			b := cq.fromEntry(u, nil, u.stored.Add(at), stale)
			if x, y := answerText(t, a), answerText(t, b); x != y {
				t.Fatalf("answered from the wire:\n%s\nunpacked:\n%s", x, y)
			}
		}
	}
}

// answerText is a reply in dig's form, lower-cased, for comparing two.
func answerText(t *testing.T, out []byte) string {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(out); err != nil {
		t.Fatalf("reply %x does not parse: %v", out, err)
	}
	return strings.ToLower(m.String())
}

func TestEntryFromWire(t *testing.T) {
	q := newQuery("www.example.com", dns.TypeA)
	q.SetEdns0(1232, false)
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	reply := func(rcode int, answer, ns, extra []dns.RR, edit func(*dns.Msg)) []byte {
		r := new(dns.Msg)
		r.SetRcode(q, rcode)
		r.RecursionAvailable, r.Authoritative = true, true // AA must not survive: amane is no authority
		r.Answer, r.Ns, r.Extra = answer, ns, extra
		r.SetEdns0(1232, false)
		r.Compress = true
		if edit != nil {
			edit(r)
		}
		return pack(t, r)
	}
	chain := []dns.RR{
		rr("www.example.com. 300 IN CNAME a.Example.net."),
		rr("a.example.net. 60 IN CNAME b.cdn.example."),
		rr("b.cdn.example. 120 IN A 93.184.215.14"),
		rr("b.cdn.example. 120 IN A 93.184.215.15"),
	}
	nxSOA := rr("example.com. 3600 IN SOA ns.example.com. hostmaster.example.com. 1 7200 900 1209600 300")
	pointerAhead := func() []byte {
		// The answer's owner points ahead, at the authority record's.
		b := reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 IN A 93.184.215.14")},
			[]dns.RR{rr("www.example.com. 60 IN NS ns.example.")}, nil, func(r *dns.Msg) { r.Compress = false; r.Extra = nil })
		qEnd := headerLen + 17 + 4 // www.example.com. is 17 bytes
		ahead := qEnd + 2 + 10 + 4 // past the answer, its owner a pointer
		return slices.Concat(b[:qEnd], []byte{0xC0 | byte(ahead>>8), byte(ahead)}, b[qEnd+17:])
	}
	pointerInto := func(field string) []byte {
		// The second record's owner points into the first record's TTL, or
		// into the header: bytes that a hit rewrites, so the name would
		// change under the entry.
		b := reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 IN A 93.184.215.14"), rr("www.example.com. 60 IN A 93.184.215.15")},
			nil, nil, func(r *dns.Msg) { r.Compress = false; r.Extra = nil })
		qEnd := headerLen + 17 + 4
		second := qEnd + 17 + 10 + 4
		to := qEnd + 17 + 4 // the first record's TTL
		if field == "header" {
			to = 4
		}
		return slices.Concat(b[:second], []byte{0xC0, byte(to)}, b[second+17:])
	}
	for _, c := range []struct {
		name      string
		reply     []byte
		strip     bool
		ok        bool
		ttl       uint32
		cacheable bool
		cnames    []string
		bounds    ttlBounds // the zero value: 0 s to a day
	}{
		{"a CNAME chain with compressed names", reply(dns.RcodeSuccess, chain, nil, nil, nil), true, true, 60, true,
			[]string{"a.example.net", "b.cdn.example"}, ttlBounds{}},
		{"a CNAME chain spelt out in full", reply(dns.RcodeSuccess, chain, nil, nil, func(r *dns.Msg) { r.Compress = false }),
			true, true, 60, true, []string{"a.example.net", "b.cdn.example"}, ttlBounds{}},
		{"NXDOMAIN with the SOA", reply(dns.RcodeNameError, nil, []dns.RR{nxSOA}, nil, nil), true, true, 300, true, nil, ttlBounds{}},
		{"no data, an SOA whose TTL is below its minimum",
			reply(dns.RcodeSuccess, nil, []dns.RR{rr("example.com. 45 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300")}, nil, nil),
			true, true, 45, true, nil, ttlBounds{}},
		{"no data and no SOA", reply(dns.RcodeSuccess, nil, nil, nil, nil), true, true, 0, false, nil, ttlBounds{}},
		{"a glue record before the OPT", reply(dns.RcodeSuccess, chain[2:3],
			[]dns.RR{rr("cdn.example. 86400 IN NS ns1.cdn.example.")}, []dns.RR{rr("ns1.cdn.example. 86400 IN A 192.0.2.53")}, nil),
			true, true, 120, true, nil, ttlBounds{}},
		{"no OPT", reply(dns.RcodeSuccess, chain[2:], nil, nil, func(r *dns.Msg) { r.Extra = nil }), true, true, 120, true, nil, ttlBounds{}},
		{"TTL 0", reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 0 IN A 93.184.215.14")}, nil, nil, nil), true, true, 0, false, nil, ttlBounds{}},
		{"SERVFAIL", reply(dns.RcodeServerFailure, nil, nil, nil, nil), true, true, servfailTTL, true, nil, ttlBounds{}},
		{"REFUSED", reply(dns.RcodeRefused, nil, nil, nil, nil), true, true, 0, false, nil, ttlBounds{}},
		{"an AAAA answer", reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 600 IN AAAA 2a00:1450::1")}, nil, nil,
			func(r *dns.Msg) { r.Question[0].Qtype = dns.TypeA }), true, true, 600, true, nil, ttlBounds{}},
		{"a private address, kept where stripping is off", reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 IN A 192.168.1.1")}, nil, nil, nil),
			false, true, 60, true, nil, ttlBounds{}},

		{"a private address to strip", reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 IN A 192.168.1.1")}, nil, nil, nil),
			true, false, 0, false, nil, ttlBounds{}},
		{"truncated", reply(dns.RcodeSuccess, chain, nil, nil, func(r *dns.Msg) { r.Truncated = true }), true, false, 0, false, nil, ttlBounds{}},
		{"the question in another case (DNS 0x20)", reply(dns.RcodeSuccess, chain, nil, nil,
			func(r *dns.Msg) { r.Question[0].Name = "WWW.example.com." }), true, false, 0, false, nil, ttlBounds{}},
		{"an HTTPS record", reply(dns.RcodeSuccess, []dns.RR{rr(`www.example.com. 60 IN HTTPS 1 . alpn="h2"`)}, nil, nil, nil),
			true, false, 0, false, nil, ttlBounds{}},
		{"an OPT with an option (Extended DNS Error)", reply(dns.RcodeServerFailure, nil, nil, nil, func(r *dns.Msg) {
			r.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNetworkError}}
		}), true, false, 0, false, nil, ttlBounds{}},
		{"an extended rcode", reply(dns.RcodeBadVers, nil, nil, nil, nil), true, false, 0, false, nil, ttlBounds{}},
		{"an OPT before another record", reply(dns.RcodeSuccess, chain[2:3], nil, nil, func(r *dns.Msg) {
			r.Extra = append(r.Extra, rr("ns1.cdn.example. 86400 IN A 192.0.2.53"))
		}), true, false, 0, false, nil, ttlBounds{}},
		{"a compression pointer ahead", pointerAhead(), true, false, 0, false, nil, ttlBounds{}},
		{"a compression pointer into a TTL", pointerInto("TTL"), true, false, 0, false, nil, ttlBounds{}},
		{"a compression pointer into the header", pointerInto("header"), true, false, 0, false, nil, ttlBounds{}},
		{"TTLs beyond the bounds", reply(dns.RcodeSuccess, chain, nil, nil, nil), true, true, 100, true,
			[]string{"a.example.net", "b.cdn.example"}, ttlBounds{100, 200}},
		{"a CNAME target with bytes to escape", reply(dns.RcodeSuccess, []dns.RR{rr(`www.example.com. 60 IN CNAME a\\.b\ c\@\"\000\255Z.example.`)}, nil, nil, nil),
			true, true, 60, true, []string{`a\\.b\ c\@\"\000\255z.example`}, ttlBounds{}},
		{"an A record of 5 bytes", func() []byte {
			b := reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 IN A 93.184.215.14")}, nil, nil, func(r *dns.Msg) { r.Extra = nil })
			b[len(b)-5]++ // the data length
			return append(b, 1)
		}(), true, false, 0, false, nil, ttlBounds{}},
		{"a record of class CH", reply(dns.RcodeSuccess, []dns.RR{rr("www.example.com. 60 CH A 93.184.215.14")}, nil, nil, nil),
			true, false, 0, false, nil, ttlBounds{}},
		{"a byte after the last record", append(reply(dns.RcodeSuccess, chain, nil, nil, nil), 0), true, false, 0, false, nil, ttlBounds{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cq query
			cq.pkt = pack(t, q)
			if err := cq.parse(); err != nil {
				t.Fatal(err)
			}
			cq.set = &settings{ednsSize: 1232}
			now := time.Now()
			wire := bytes.Clone(c.reply)
			binary.BigEndian.PutUint16(wire, q.Id)
			sent := bytes.Clone(wire)
			if c.bounds == (ttlBounds{}) {
				c.bounds = ttlBounds{0, 86400}
			}
			w, wc, ok := entryFromWire(&cq.key, wire, now, c.bounds, c.strip)
			if ok != c.ok {
				t.Fatalf("taken from the wire: %v, want %v", ok, c.ok)
			}
			if !ok {
				if !bytes.Equal(wire, sent) {
					t.Fatalf("a reply left to unpacking was changed:\n%x\n%x", sent, wire)
				}
				return
			}
			if w.ttl != c.ttl || wc != c.cacheable || !slices.Equal(w.cnames, c.cnames) {
				t.Fatalf("TTL %d, cacheable %v, CNAME targets %q; want %d, %v, %q", w.ttl, wc, w.cnames, c.ttl, c.cacheable, c.cnames)
			}
			m := new(dns.Msg)
			if err := m.Unpack(w.msg); err != nil {
				t.Fatal(err)
			}
			if m.Id != 0 || !m.Response || !m.RecursionAvailable || m.Authoritative || m.IsEdns0() != nil {
				t.Fatalf("stored header or OPT not as the cache wants it:\n%v", m)
			}
			u, uc := unpackedEntry(q, &cq.key, c.reply, now, c.bounds, c.strip)
			if u == nil {
				t.Fatal("the unpacking path refuses a reply taken from the wire")
			}
			sameEntry(t, &cq, w, u, wc, uc)
		})
	}
}

// TestUpstreamQueryWire checks that the query the miss path writes byte by
// byte is the one miekg/dns packed from the same question.
func TestUpstreamQueryWire(t *testing.T) {
	for _, c := range []struct {
		name     string
		qtype    uint16
		cd, do   bool
		ednsSize uint16
	}{
		{"www.example.com.", dns.TypeA, false, false, 1232},
		{"example.org.", dns.TypeAAAA, true, true, 4096},
		{".", dns.TypeNS, false, true, 512},
	} {
		m := new(dns.Msg)
		m.SetQuestion(c.name, c.qtype)
		m.CheckingDisabled = c.cd
		m.SetEdns0(c.ednsSize, c.do)
		m.Id = 0xBEEF
		want := pack(t, m)
		name := make([]byte, 255)
		n, err := dns.PackDomainName(c.name, name, 0, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		got := appendUpstreamQuery(nil, &upstreamQuestion{name: name[:n], qtype: c.qtype, qclass: dns.ClassINET,
			cd: c.cd, do: c.do, ednsSize: c.ednsSize}, 0xBEEF)
		if !bytes.Equal(got, want) {
			t.Errorf("%s %s: wrote %x, miekg/dns packs %x", c.name, dns.Type(c.qtype), got, want)
		}
	}
}

// BenchmarkEntryFromReply is the part of a miss that entryFromWire
// replaced: from the datagram received to the cache entry, for the usual
// reply (a CNAME and two addresses, with an OPT), by unpacking (match,
// unpack, newEntry's pack and check) and as the bytes came.
func BenchmarkEntryFromReply(b *testing.B) {
	q := newQuery("www.example.com", dns.TypeA)
	q.SetEdns0(1232, false)
	r := new(dns.Msg)
	r.SetReply(q)
	r.RecursionAvailable = true
	for _, s := range []string{"www.example.com. 300 IN CNAME edge.example.net.",
		"edge.example.net. 60 IN A 93.184.215.14", "edge.example.net. 60 IN A 93.184.215.15"} {
		rr, _ := dns.NewRR(s)
		r.Answer = append(r.Answer, rr)
	}
	r.SetEdns0(1232, false)
	r.Compress = true
	reply := pack(b, r)
	var cq query
	cq.pkt = pack(b, q)
	if err := cq.parse(); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.Run("unpacked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if e, _ := unpackedEntry(q, &cq.key, reply, now, ttlBounds{0, 86400}, true); e == nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := entryFromWire(&cq.key, bytes.Clone(reply), now, ttlBounds{0, 86400}, true); !ok {
				b.Fatal("refused")
			}
		}
	})
}
