package resolver

import (
	"encoding/binary"
	"errors"
)

// DNS header flag bits and the record types the hot path must recognise
// without a DNS library (RFC 1035 section 4.1.1, RFC 6891).
const (
	headerLen = 12

	flagQR = 1 << 15
	flagAA = 1 << 10
	flagTC = 1 << 9
	flagRD = 1 << 8
	flagRA = 1 << 7
	flagAD = 1 << 5
	flagCD = 1 << 4

	typeOPT = 41
	classIN = 1

	// optionMAC is the EDNS option in which dnsmasq --add-mac (and OpenWrt)
	// carries the client's MAC address: a private-use code, not an RFC.
	optionMAC = 65001

	// maxNameWire is the longest a name may be on the wire (RFC 1035 3.1).
	maxNameWire = 255
)

// request is what the hot path needs to know about a client query, read
// straight from the packet. Its byte slices point into the packet and are
// valid only while the packet is.
type request struct {
	id      uint16
	flags   uint16
	qname   []byte // the question name in wire format, case as sent
	qtype   uint16
	qclass  uint16
	edns    bool   // the query carried an OPT record
	udpSize uint16 // the client's EDNS buffer size, 0 without EDNS
	do      bool   // DNSSEC OK (RFC 3225)
	mac     [6]byte
	hasMAC  bool
}

// cd reports whether the client set Checking Disabled (RFC 4035 3.2.2).
func (r *request) cd() bool { return r.flags&flagCD != 0 }

var errNotSimple = errors.New("not a simple query")

// parseRequest reads a query that has exactly one question, no answer or
// authority records and at most one additional record, an OPT. Anything else
// (including trailing bytes or a malformed OPT) returns errNotSimple and is
// left to the full decoder on the slow path, which answers FORMERR where due.
func parseRequest(pkt []byte, r *request) error {
	if len(pkt) < headerLen {
		return errNotSimple
	}
	r.id = binary.BigEndian.Uint16(pkt)
	r.flags = binary.BigEndian.Uint16(pkt[2:])
	if r.flags&flagQR != 0 || (r.flags>>11)&0xF != 0 { // a response, or an opcode other than QUERY
		return errNotSimple
	}
	qd, an, ns, ar := binary.BigEndian.Uint16(pkt[4:]), binary.BigEndian.Uint16(pkt[6:]),
		binary.BigEndian.Uint16(pkt[8:]), binary.BigEndian.Uint16(pkt[10:])
	if qd != 1 || an != 0 || ns != 0 || ar > 1 {
		return errNotSimple
	}
	end, ok := nameEnd(pkt, headerLen, false)
	if !ok || end+4 > len(pkt) {
		return errNotSimple
	}
	r.qname = pkt[headerLen:end]
	r.qtype = binary.BigEndian.Uint16(pkt[end:])
	r.qclass = binary.BigEndian.Uint16(pkt[end+2:])
	r.edns, r.udpSize, r.do, r.hasMAC = false, 0, false, false
	off := end + 4
	if ar == 1 {
		var err error
		if off, err = parseOPT(pkt, off, r); err != nil {
			return err
		}
	}
	if off != len(pkt) {
		return errNotSimple
	}
	return nil
}

// parseOPT reads the OPT pseudo-record at off (RFC 6891 6.1.2): root owner,
// type 41, the buffer size in the class field, the DO bit in the TTL field.
func parseOPT(pkt []byte, off int, r *request) (int, error) {
	if off+11 > len(pkt) || pkt[off] != 0 || binary.BigEndian.Uint16(pkt[off+1:]) != typeOPT {
		return 0, errNotSimple
	}
	r.edns = true
	r.udpSize = binary.BigEndian.Uint16(pkt[off+3:])
	ttl := binary.BigEndian.Uint32(pkt[off+5:])
	if ttl>>16&0xFF != 0 { // EDNS version other than 0: the slow path answers BADVERS
		return 0, errNotSimple
	}
	r.do = ttl&0x8000 != 0
	rdlen := int(binary.BigEndian.Uint16(pkt[off+9:]))
	off += 11
	if off+rdlen > len(pkt) {
		return 0, errNotSimple
	}
	for opts := pkt[off : off+rdlen]; len(opts) > 0; {
		if len(opts) < 4 {
			return 0, errNotSimple
		}
		code, n := binary.BigEndian.Uint16(opts), int(binary.BigEndian.Uint16(opts[2:]))
		if 4+n > len(opts) {
			return 0, errNotSimple
		}
		if code == optionMAC && n == 6 {
			copy(r.mac[:], opts[4:10])
			r.hasMAC = true
		}
		opts = opts[4+n:]
	}
	return off + rdlen, nil
}

// nameEnd returns the offset just past the name that starts at off. With
// pointers false a compression pointer is refused (a question from a client
// has no reason to use one); with pointers true the name ends at the first
// pointer, which is all a walker over records needs.
func nameEnd(msg []byte, off int, pointers bool) (int, bool) {
	start := off
	for off < len(msg) {
		l := int(msg[off])
		switch {
		case l == 0:
			if off+1-start > maxNameWire {
				return 0, false
			}
			return off + 1, true
		case l&0xC0 == 0xC0:
			if !pointers || off+2 > len(msg) {
				return 0, false
			}
			return off + 2, true
		case l&0xC0 != 0: // the obsolete 0x40 and 0x80 label types
			return 0, false
		}
		off += 1 + l
	}
	return 0, false
}

// appendLower appends the wire-format name in lower case: the cache and the
// policy see one spelling whatever case the client chose (DNS 0x20).
func appendLower(dst, name []byte) []byte {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendPresentation appends the wire-format name as a lower-case dotted
// name without the trailing dot, the form the policy and the lists use.
// Bytes that cannot appear in a host name are escaped as \DDD so that no
// wire name can masquerade as a different presentation name.
func appendPresentation(dst, name []byte) []byte {
	for i := 0; i < len(name) && name[i] != 0; {
		l := int(name[i])
		if i > 0 {
			dst = append(dst, '.')
		}
		for _, c := range name[i+1 : i+1+l] {
			switch {
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			case c == '.' || c == '\\' || c <= ' ' || c >= 0x7F:
				dst = append(dst, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
			default:
				dst = append(dst, c)
			}
		}
		i += 1 + l
	}
	return dst
}

// recordTTLOffsets walks a packed message and appends the offset of the TTL
// field of every record except OPT, so that a cached answer can have its
// TTLs counted down in place without being unpacked (RFC 1035 4.1.3).
func recordTTLOffsets(msg []byte, dst []uint16) ([]uint16, error) {
	if len(msg) < headerLen || len(msg) > 0xFFFF {
		return dst, errors.New("message too short or too long")
	}
	off := headerLen
	for i := binary.BigEndian.Uint16(msg[4:]); i > 0; i-- {
		end, ok := nameEnd(msg, off, true)
		if !ok || end+4 > len(msg) {
			return dst, errors.New("malformed question")
		}
		off = end + 4
	}
	records := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) +
		int(binary.BigEndian.Uint16(msg[10:]))
	for ; records > 0; records-- {
		end, ok := nameEnd(msg, off, true)
		if !ok || end+10 > len(msg) {
			return dst, errors.New("malformed record")
		}
		if binary.BigEndian.Uint16(msg[end:]) != typeOPT {
			dst = append(dst, uint16(end+4))
		}
		off = end + 10 + int(binary.BigEndian.Uint16(msg[end+8:]))
		if off > len(msg) {
			return dst, errors.New("record data past the end")
		}
	}
	if off != len(msg) {
		return dst, errors.New("trailing bytes")
	}
	return dst, nil
}
