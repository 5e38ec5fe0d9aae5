package resolver

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// Extended DNS Error codes for blocked names (RFC 8914 4.16, 4.18): Blocked
// is the operator's rule (a mandatory category), Filtered the family's or
// school's choice.
const (
	edeBlocked  = 15
	edeFiltered = 17
)

// blockedSOA is the SOA rdata of a synthesized negative answer, so that a
// client may cache it for the block TTL (RFC 2308 3): MNAME and RNAME under
// .invalid (RFC 6761), which can never be looked up.
var blockedSOA = []byte("\x05amane\x07invalid\x00\x0ahostmaster\x05amane\x07invalid\x00")

// appendBlocked appends the answer to a blocked query, built byte by byte:
// the question echoed; an A or AAAA record with the block address when the
// mode has one for this type; otherwise no answer (NXDOMAIN or NODATA) and
// an SOA whose minimum is the block TTL; an OPT with Extended DNS Error 15
// or 17 whose text names the categories, when the client sent EDNS.
func (q *query) appendBlocked(dst []byte, a policy.BlockAnswer, d policy.Decision) []byte {
	if d.Why == policy.ByBypass {
		a.Mode = policy.BlockNXDomain // an address would read as "go ahead" (see policy.bypassNames)
	}
	var addr netip.Addr
	switch {
	case a.Mode == policy.BlockNXDomain:
	case q.req.qtype == dns.TypeA:
		addr = a.V4
	case q.req.qtype == dns.TypeAAAA:
		addr = a.V6
	}
	rcode := dns.RcodeSuccess
	if a.Mode == policy.BlockNXDomain {
		rcode = dns.RcodeNameError
	}
	ttl := min(a.TTL, q.ttlCap())
	start := len(dst)
	dst = q.appendRcode(dst, rcode, 0)
	dst = dst[:start+headerLen+len(q.req.qname)+4] // the header and question; records follow
	if addr.IsValid() {
		binary.BigEndian.PutUint16(dst[start+6:], 1) // ANCOUNT
		dst = appendRRHeader(dst, q.req.qtype, ttl)
		dst = appendAddr(dst, addr)
	} else {
		binary.BigEndian.PutUint16(dst[start+8:], 1) // NSCOUNT
		dst = appendRRHeader(dst, dns.TypeSOA, ttl)
		rdata := len(dst)
		dst = append(dst, blockedSOA...)
		for _, v := range [5]uint32{1, 3600, 600, 86400, ttl} { // serial, refresh, retry, expire, minimum
			dst = binary.BigEndian.AppendUint32(dst, v)
		}
		binary.BigEndian.PutUint16(dst[rdata-2:], uint16(len(dst)-rdata))
	}
	if q.req.edns {
		dst = q.appendBlockOPT(dst, d)
	}
	return q.truncate(dst, start)
}

// appendRRHeader appends the fixed part of a record owned by the question's
// name (a compression pointer to offset 12), RDLENGTH left zero.
func appendRRHeader(dst []byte, rrtype uint16, ttl uint32) []byte {
	dst = append(dst, 0xC0, headerLen)
	dst = binary.BigEndian.AppendUint16(dst, rrtype)
	dst = binary.BigEndian.AppendUint16(dst, dns.ClassINET)
	dst = binary.BigEndian.AppendUint32(dst, ttl)
	return append(dst, 0, 0)
}

// appendAddr appends an address as RDATA, setting the RDLENGTH before it.
func appendAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		binary.BigEndian.PutUint16(dst[len(dst)-2:], 4)
		return append(dst, b[:]...)
	}
	b := a.As16()
	binary.BigEndian.PutUint16(dst[len(dst)-2:], 16)
	return append(dst, b[:]...)
}

// appendBlockOPT appends the OPT record of a blocked answer (appendRcode
// already counted it in ARCOUNT): EDE 15 or 17, and a text saying why:
// "blocked: CATEGORY,...", "blocked: schedule", "blocked: denied for this profile".
func (q *query) appendBlockOPT(dst []byte, d policy.Decision) []byte {
	code := uint16(edeFiltered)
	if d.Mandatory {
		code = edeBlocked
	}
	size := q.set.ednsSize
	var do byte
	if q.req.do {
		do = 0x80
	}
	dst = append(dst, 0, 0, typeOPT, byte(size>>8), byte(size), 0, 0, do, 0)
	rdlenAt := len(dst)
	dst = append(dst, 0, 0, 0, 15, 0, 0) // RDLENGTH, option 15, option length (filled below)
	optStart := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, code)
	switch {
	case d.Why == policy.ByDeny:
		dst = append(dst, "blocked: denied for this profile"...)
	case d.Why == policy.BySchedule:
		dst = append(dst, "blocked: schedule"...)
	case d.Why == policy.ByBypass:
		dst = append(dst, "blocked: bypass of the filter"...)
	case d.Why == policy.ByPause:
		dst = append(dst, "blocked: paused"...)
	case d.Why == policy.ByService:
		dst = append(dst, "blocked: app "...)
		dst = append(dst, d.ServiceID()...)
	case d.Why == policy.ByBudget:
		dst = append(dst, "blocked: today's time for "...)
		dst = appendCategories(dst, d.Categories)
		dst = append(dst, " is used up"...)
	default:
		dst = append(dst, "blocked: "...)
		dst = appendCategories(dst, d.Categories)
	}
	binary.BigEndian.PutUint16(dst[optStart-2:], uint16(len(dst)-optStart))
	binary.BigEndian.PutUint16(dst[rdlenAt:], uint16(len(dst)-rdlenAt-2))
	return dst
}

// appendCategories appends the category ids, comma-separated, without
// allocating: Category.String returns constants.
func appendCategories(dst []byte, cs blocklist.Categories) []byte {
	first := true
	for c := blocklist.Category(0); c < 32; c++ {
		if !cs.Has(c) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, c.String()...)
		first = false
	}
	return dst
}

// cloaked re-checks the CNAME targets of an upstream answer against the
// policy, so that a blocked name cannot be reached through an alias that
// points at it (CNAME cloaking, used by trackers and by evasive sites).
func (q *query) cloaked(pol *policy.Snapshot, e *entry, now time.Time) (policy.Decision, bool) {
	for _, target := range e.cnames {
		if d := pol.Decide(q.client, target, q.req.qtype, now); d.Action == policy.Block {
			return d, true
		}
	}
	return policy.Decision{}, false
}
