package resolver

import (
	"encoding/binary"
	"time"

	"github.com/miekg/dns"
)

// Extended DNS Error codes amane sends (RFC 8914 4).
const (
	edeStaleAnswer        = 3
	edeNoReachableAuthory = 22
)

// ttlCap turns the policy's cap into seconds for appendAnswer.
func (q *query) ttlCap() uint32 {
	if q.decision.TTLCap <= 0 {
		return ttlUnknown
	}
	return uint32(max(q.decision.TTLCap/time.Second, 1))
}

// fromEntry answers q from a cached entry, stale or fresh, truncating it to
// what the client can take.
func (q *query) fromEntry(e *entry, dst []byte, now time.Time, stale bool) []byte {
	cap, ede := q.ttlCap(), uint16(0)
	if stale {
		// The policy's cap holds for stale answers too, so that a
		// bedtime starts on time even when the upstreams are down.
		cap, ede = min(cap, staleTTL), edeStaleAnswer
	}
	start := len(dst)
	dst = e.appendAnswer(dst, &q.req, now, cap, stale, q.set.ednsSize, ede)
	return q.truncate(dst, start)
}

// truncate cuts the reply that starts at dst[start:] to the client's size,
// dropping whole records and setting TC (RFC 1035 4.2.1, RFC 6891 7). It
// only unpacks when the reply is too large, which a cache hit rarely is.
func (q *query) truncate(dst []byte, start int) []byte {
	limit := q.maxSize()
	if len(dst)-start <= limit {
		return dst
	}
	m := new(dns.Msg)
	if err := m.Unpack(dst[start:]); err != nil {
		return q.appendRcode(dst[:start], dns.RcodeServerFailure, 0)
	}
	m.Truncate(limit)
	out, err := m.PackBuffer(dst[start:cap(dst)])
	if err != nil {
		return q.appendRcode(dst[:start], dns.RcodeServerFailure, 0)
	}
	return append(dst[:start], out...)
}

// appendRcode appends an answer with no records and the given rcode, built
// byte by byte: the client's header and question echoed, an OPT if the
// client sent one, carrying the Extended DNS Error ede if not zero.
func (q *query) appendRcode(dst []byte, rcode int, ede uint16) []byte {
	flags := flagQR | flagRA | q.req.flags&(flagRD|flagCD) | uint16(rcode&0xF)
	var arcount uint16
	if q.req.edns {
		arcount = 1
	}
	dst = binary.BigEndian.AppendUint16(dst, q.req.id)
	dst = binary.BigEndian.AppendUint16(dst, flags)
	dst = append(dst, 0, 1, 0, 0, 0, 0, byte(arcount>>8), byte(arcount))
	dst = append(dst, q.req.qname...)
	dst = binary.BigEndian.AppendUint16(dst, q.req.qtype)
	dst = binary.BigEndian.AppendUint16(dst, q.req.qclass)
	if !q.req.edns {
		return dst
	}
	size := uint16(512)
	if q.set != nil {
		size = q.set.ednsSize
	}
	dst = append(dst, 0, 0, typeOPT, byte(size>>8), byte(size), 0, 0, byte(b2u8(q.req.do)<<7), 0)
	if ede == 0 {
		return append(dst, 0, 0)
	}
	return append(dst, 0, 6, 0, 15, 0, 2, byte(ede>>8), byte(ede))
}

// appendRecords appends an answer carrying the given records, for the rare
// answers amane makes itself (static LAN names, RFC 8482 for ANY).
func (q *query) appendRecords(dst []byte, answer []dns.RR) []byte {
	m, err := q.replyMsg()
	if err != nil {
		return q.appendRcode(dst, dns.RcodeServerFailure, 0)
	}
	m.Answer = answer
	return q.appendMsg(dst, m)
}

// replyMsg starts a reply to q as a dns.Msg: the client's ID, flags and
// question, spelled as the client spelled it.
func (q *query) replyMsg() (*dns.Msg, error) {
	name, _, err := dns.UnpackDomainName(q.pkt, headerLen)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.Id, m.Response, m.RecursionAvailable = q.req.id, true, true
	m.RecursionDesired, m.CheckingDisabled = q.req.flags&flagRD != 0, q.req.cd()
	m.Question = []dns.Question{{Name: name, Qtype: q.req.qtype, Qclass: q.req.qclass}}
	return m, nil
}

// appendMsg packs m as the reply to q: with an OPT record when the client
// sent one, and cut to what the client can take.
func (q *query) appendMsg(dst []byte, m *dns.Msg) []byte {
	if q.req.edns {
		m.SetEdns0(q.set.ednsSize, q.req.do)
	}
	start := len(dst)
	out, err := m.PackBuffer(dst[len(dst):cap(dst)])
	if err != nil {
		return q.appendRcode(dst, dns.RcodeServerFailure, 0)
	}
	return q.truncate(append(dst, out...), start)
}

// appendParseError answers a query that parse refused.
func appendParseError(dst []byte, pkt []byte, pe *parseError, ednsSize uint16) []byte {
	if pe.drop {
		return nil
	}
	if pe.msg == nil { // not even the question could be read: echo the header only
		flags := binary.BigEndian.Uint16(pkt[2:])&(flagRD|0x7800) | flagQR | uint16(pe.rcode)
		dst = append(dst, pkt[0], pkt[1], byte(flags>>8), byte(flags))
		return append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	m := new(dns.Msg)
	m.SetReply(pe.msg)
	m.RecursionAvailable = true
	if opt := pe.msg.IsEdns0(); opt != nil {
		m.SetEdns0(ednsSize, opt.Do())
	}
	m.Rcode = pe.rcode // Pack moves the high bits of BADVERS into the OPT record
	out, err := m.PackBuffer(dst[len(dst):cap(dst)])
	if err != nil {
		return nil
	}
	return append(dst, out...)
}
