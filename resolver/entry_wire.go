package resolver

import (
	"encoding/binary"
	"net/netip"
	"time"
	"unsafe"

	"github.com/miekg/dns"
)

// A miss's entry is built from the upstream's datagram as it came, without
// unpacking it into a dns.Msg and packing it again (issue 14: that was a
// third of a miss's allocations and of its Go CPU). Only replies of the
// usual shape take this way, and each of them is one that the unpacking
// path accepts and answers alike (FuzzUpstreamReply checks both on every
// input); any other reply is unpacked as before.

// maxWireRecords bounds the records of a reply built from its bytes; a
// longer one is unpacked.
const maxWireRecords = 48

// maxWirePointers bounds the compression pointers one name may follow: a
// real name follows one or two, and miekg/dns gives up after 126.
const maxWirePointers = 16

// maxWireReply bounds the length of a reply built from its bytes: amane
// offers the upstream 1,232 bytes (RFC 9715), and the bitmap of label
// starts that scanReply keeps on the stack is one bit a byte of it.
const maxWireReply = 4096

// wireSection is the section a record of a reply is in.
type wireSection uint8

const (
	sectionAnswer wireSection = iota
	sectionAuthority
	sectionAdditional
)

// wireRecord is one record of a reply, by offsets into it.
type wireRecord struct {
	rtype   uint16
	section wireSection
	ttl     uint16 // offset of the TTL field; the data length follows it, then the data
	rdlen   uint16
}

func (r *wireRecord) rdata() int { return int(r.ttl) + 6 }

// replyScan is what scanReply learned of a reply of the usual shape.
type replyScan struct {
	n    int // records other than the OPT
	end  int // where the OPT starts, or the reply's length without one
	opt  bool
	recs [maxWireRecords]wireRecord
	// labels has a bit set for every offset where a label of a name read so
	// far starts: the only places a compression pointer may point to.
	labels [maxWireReply / 64]uint64
}

func (s *replyScan) label(off int) { s.labels[off/64] |= 1 << (off % 64) }

func (s *replyScan) isLabel(off int) bool { return s.labels[off/64]&(1<<(off%64)) != 0 }

// scanReply reports whether msg is a reply of the usual shape to the
// question (qname, lower-case wire format, qtype, qclass), and records
// where its records are:
//
//   - a response to a standard query, not truncated;
//   - one question, byte for byte the one asked (an upstream that echoes
//     the name in another case, DNS 0x20, is unpacked);
//   - at most maxWireRecords records of class IN, each of type A, AAAA,
//     CNAME, NS, PTR or SOA, with data of exactly the length its type
//     needs, counts exact and no byte after the last record;
//   - names of at most 255 bytes whose compression pointers each point to
//     a label of a name read before (so none loops, and none points into a
//     header, a TTL or any other field that the entry or a hit rewrites);
//   - at most one OPT, the last record of the additional section, owned by
//     the root, with no extended rcode and no options, so that cutting it
//     off leaves exactly the message the unpacking path would pack.
//
// It reads msg and never changes it.
func scanReply(msg, qname []byte, qtype, qclass uint16, s *replyScan) bool {
	if len(msg) < headerLen || len(msg) > maxWireReply {
		return false
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&flagQR == 0 || flags&flagTC != 0 || (flags>>11)&0xF != 0 || binary.BigEndian.Uint16(msg[4:]) != 1 {
		return false
	}
	off := headerLen + len(qname)
	if off+4 > len(msg) || string(msg[headerLen:off]) != string(qname) ||
		binary.BigEndian.Uint16(msg[off:]) != qtype || binary.BigEndian.Uint16(msg[off+2:]) != qclass {
		return false
	}
	s.labels = [maxWireReply / 64]uint64{}
	if _, ok := wireName(msg, headerLen, off, s); !ok {
		return false
	}
	off += 4
	an, ns := int(binary.BigEndian.Uint16(msg[6:])), int(binary.BigEndian.Uint16(msg[8:]))
	total := an + ns + int(binary.BigEndian.Uint16(msg[10:]))
	s.n, s.opt = 0, false
	for i := range total {
		sec := sectionAdditional
		if i < an {
			sec = sectionAnswer
		} else if i < an+ns {
			sec = sectionAuthority
		}
		end, ok := wireName(msg, off, len(msg), s)
		if !ok || end+10 > len(msg) {
			return false
		}
		rtype, class := binary.BigEndian.Uint16(msg[end:]), binary.BigEndian.Uint16(msg[end+2:])
		rdlen := int(binary.BigEndian.Uint16(msg[end+8:]))
		rd := end + 10
		if rd+rdlen > len(msg) {
			return false
		}
		if rtype == typeOPT {
			// RFC 6891 6.1.1: one OPT, in the additional section. The
			// extended rcode is in its TTL's top byte (6.1.3).
			if sec != sectionAdditional || i != total-1 || end != off+1 || msg[off] != 0 || msg[end+4] != 0 || rdlen != 0 {
				return false
			}
			s.opt, s.end = true, off
			off = rd
			continue
		}
		if class != classIN || s.n == maxWireRecords || !rdataOK(msg, rtype, rd, rd+rdlen, s) {
			return false
		}
		s.recs[s.n] = wireRecord{rtype: rtype, section: sec, ttl: uint16(end + 4), rdlen: uint16(rdlen)}
		s.n++
		off = rd + rdlen
	}
	if off != len(msg) {
		return false
	}
	if !s.opt {
		s.end = len(msg)
	}
	return true
}

// rdataOK reports whether msg[rd:end] is well-formed data of a record of
// type rtype, one of the types scanReply takes. Names in it may point back
// to the labels of s, but not past end, as miekg/dns reads them.
func rdataOK(msg []byte, rtype uint16, rd, end int, s *replyScan) bool {
	switch rtype {
	case dns.TypeA:
		return end-rd == 4
	case dns.TypeAAAA:
		return end-rd == 16
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR:
		e, ok := wireName(msg, rd, end, s)
		return ok && e == end
	case dns.TypeSOA: // MNAME, RNAME, then serial, refresh, retry, expire, minimum
		e, ok := wireName(msg, rd, end, s)
		if ok {
			e, ok = wireName(msg, e, end, s)
		}
		return ok && e+20 == end
	}
	return false
}

// wireName checks the name at off, reading no byte at or past limit, and
// returns the offset just past it where it stands in msg; it marks in s
// where each of its own labels starts. It is stricter than a DNS library
// need be: every compression pointer must point to a label already marked
// (a name's suffix read before, as a compressing server writes them), and
// before the start of the labels it ends, which rules loops out; never
// into the header, a TTL or any other field, which entryFromWire and the
// hit path rewrite and which would change the name under them. The name,
// pointers followed, must fit in 255 bytes (RFC 1035 3.1).
func wireName(msg []byte, off, limit int, s *replyScan) (int, bool) {
	end, seg, size, hops := -1, off, 0, 0
	for {
		if off >= limit {
			return 0, false
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return end, true
		case l&0xC0 == 0xC0:
			if off+1 >= limit || hops == maxWirePointers {
				return 0, false
			}
			ptr := (l&0x3F)<<8 | int(msg[off+1])
			if ptr >= seg || !s.isLabel(ptr) {
				return 0, false
			}
			if end < 0 {
				end = off + 2
			}
			hops++
			seg, off = ptr, ptr
		case l&0xC0 != 0: // the obsolete 0x40 and 0x80 label types
			return 0, false
		default:
			if size += l + 1; size >= maxNameWire { // with the root's byte, over 255
				return 0, false
			}
			if end < 0 { // labels behind a pointer were marked when first read
				s.label(off)
			}
			off += 1 + l
		}
	}
}

// appendTarget appends the name at off (checked by wireName) in the form
// cnameTargets gives: lower case, no trailing dot, bytes escaped as
// miekg/dns writes them.
func appendTarget(dst, msg []byte, off int) []byte {
	start := len(dst)
	for {
		l := int(msg[off])
		switch {
		case l == 0:
			return dst
		case l&0xC0 == 0xC0:
			off = (l&0x3F)<<8 | int(msg[off+1])
			continue
		}
		if len(dst) > start {
			dst = append(dst, '.')
		}
		for _, c := range msg[off+1 : off+1+l] {
			switch {
			case c == '.' || c == ' ' || c == '\'' || c == '@' || c == ';' || c == '(' || c == ')' || c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < ' ' || c > '~':
				dst = append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			default:
				dst = append(dst, c)
			}
		}
		off += 1 + l
	}
}

// entryFromWire builds the entry for the upstream's reply msg to the
// question in k, as newEntry would from msg unpacked, when msg has the
// usual shape (scanReply) and, with strip set, no private address in its
// answer for stripPrivate to remove. It takes msg over and rewrites it in
// place: ID 0, QR and RA set, AA clear, TTLs clamped, OPT cut off. When ok
// is false msg is untouched, for the caller to unpack.
func entryFromWire(k *cacheKey, msg []byte, now time.Time, b ttlBounds, strip bool) (e *entry, cacheable, ok bool) {
	var s replyScan
	if !scanReply(msg, k.name, k.qtype, k.qclass, &s) || strip && privateAnswer(msg, &s) {
		return nil, false, false
	}
	rcode := int(msg[3] & 0xF)
	var cnames []string
	var target [4 * maxNameWire]byte // each byte escaped as \DDD at worst
	for i := range s.n {
		if r := &s.recs[i]; r.section == sectionAnswer && r.rtype == dns.TypeCNAME {
			cnames = append(cnames, string(appendTarget(target[:0], msg, r.rdata())))
		}
	}
	ttl, known := wireTTLs(msg, &s, rcode, b)
	cacheable = known && ttl > 0
	if !cacheable {
		ttl = 0
	}
	binary.BigEndian.PutUint16(msg, 0)
	flags := binary.BigEndian.Uint16(msg[2:])&^flagAA | flagQR | flagRA
	binary.BigEndian.PutUint16(msg[2:], flags)
	if s.opt {
		binary.BigEndian.PutUint16(msg[10:], binary.BigEndian.Uint16(msg[10:])-1)
	}
	msg = msg[:s.end]
	ttls := make([]uint16, s.n)
	for i := range ttls {
		ttls[i] = s.recs[i].ttl
	}
	return &entry{
		// The question is k.name byte for byte (scanReply), and msg is
		// never changed once the entry holds it: the name is a view.
		name: unsafe.String(&msg[headerLen], len(k.name)), qtype: k.qtype, qclass: k.qclass, do: k.do, cd: k.cd,
		msg: msg, ttls: ttls, rcode: rcode, cnames: cnames,
		stored: now, expires: now.Add(time.Duration(ttl) * time.Second), ttl: ttl,
	}, cacheable, true
}

// privateAnswer reports whether an A or AAAA record of the answer section
// points into private space, as stripPrivate would find.
func privateAnswer(msg []byte, s *replyScan) bool {
	for i := range s.n {
		r := &s.recs[i]
		if r.section != sectionAnswer || (r.rtype != dns.TypeA && r.rtype != dns.TypeAAAA) {
			continue
		}
		a, _ := netip.AddrFromSlice(msg[r.rdata() : r.rdata()+int(r.rdlen)])
		if isPrivate(a.Unmap()) {
			return true
		}
	}
	return false
}

// wireTTLs is answerTTL on msg's bytes: it clamps the TTLs in place and
// returns how long the answer may be cached, and whether it may be.
func wireTTLs(msg []byte, s *replyScan, rcode int, b ttlBounds) (uint32, bool) {
	switch rcode {
	case dns.RcodeServerFailure:
		capWireTTLs(msg, s, servfailTTL)
		return servfailTTL, true
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return 0, false
	}
	if rcode == dns.RcodeSuccess && binary.BigEndian.Uint16(msg[6:]) > 0 {
		ttl := ^uint32(0)
		for i := range s.n {
			off := s.recs[i].ttl
			t := min(max(binary.BigEndian.Uint32(msg[off:]), b.min), b.max)
			binary.BigEndian.PutUint32(msg[off:], t)
			ttl = min(ttl, t)
		}
		return ttl, true
	}
	for i := range s.n {
		r := &s.recs[i]
		if r.section != sectionAuthority || r.rtype != dns.TypeSOA {
			continue
		}
		minimum := binary.BigEndian.Uint32(msg[r.rdata()+int(r.rdlen)-4:]) // RFC 1035 3.3.13: the last field
		ttl := min(binary.BigEndian.Uint32(msg[r.ttl:]), minimum, maxNegativeTTL, b.max)
		ttl = max(ttl, b.min)
		capWireTTLs(msg, s, ttl)
		return ttl, true
	}
	return 0, false // RFC 2308 5: no SOA, no negative caching
}

func capWireTTLs(msg []byte, s *replyScan, ttl uint32) {
	for i := range s.n {
		off := s.recs[i].ttl
		binary.BigEndian.PutUint32(msg[off:], min(binary.BigEndian.Uint32(msg[off:]), ttl))
	}
}
