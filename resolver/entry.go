package resolver

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

const (
	// servfailTTL is how long a resolution failure is remembered, so a
	// failing name is not hammered (RFC 9520 3.2 asks for at least 1 s and
	// at most 5 min).
	servfailTTL = 5

	// maxNegativeTTL caps negative answers (RFC 2308 5: "one to three hours").
	maxNegativeTTL = 3 * 3600

	// staleTTL is the TTL of an answer served stale (RFC 8767 4).
	staleTTL = 30
)

// ttlBounds are the cache's TTL limits, in seconds.
type ttlBounds struct{ min, max uint32 }

// newEntry builds the immutable entry for reply, which answers the question
// in k; it takes ownership of reply and rewrites its TTLs. Every reply gets
// an entry, since the waiting clients must be answered, but cacheable is
// false for truncated answers, rcodes that say nothing about the name,
// negative answers without an SOA, and zero TTLs.
func newEntry(k *cacheKey, reply *dns.Msg, now time.Time, b ttlBounds) (e *entry, cacheable bool, err error) {
	if len(reply.Question) != 1 {
		return nil, false, errors.New("reply without its question")
	}
	// The OPT pseudo-record's TTL field holds flags, not a TTL (RFC 6891
	// 6.1.3): it must be gone before TTLs are read or clamped.
	reply.Extra = withoutOPT(reply.Extra)
	ttl, ok := answerTTL(reply, b)
	cacheable = ok && ttl > 0 && !reply.Truncated
	if !cacheable {
		ttl = 0
	}
	reply.Id = 0
	reply.Response, reply.RecursionAvailable, reply.Authoritative = true, true, false
	reply.Question[0].Name = strings.ToLower(reply.Question[0].Name)
	reply.Compress = true
	msg, err := reply.Pack()
	if err != nil {
		return nil, false, err
	}
	// What amane packs from an upstream's records must parse again: a
	// record with empty data, say, unpacks but packs into bytes that do
	// not (found by FuzzUpstreamReply). This is the miss path; a client
	// must never receive what amane itself could not read.
	if err := new(dns.Msg).Unpack(msg); err != nil {
		return nil, false, fmt.Errorf("upstream answer does not survive repacking: %w", err)
	}
	offs, err := recordTTLOffsets(msg, nil)
	if err != nil {
		return nil, false, err
	}
	if !questionIs(msg, k.name) {
		return nil, false, errors.New("reply question does not pack to the asked name")
	}
	return &entry{
		name: string(k.name), qtype: k.qtype, qclass: k.qclass, do: k.do, cd: k.cd,
		msg: msg, ttls: offs, rcode: reply.Rcode, cnames: cnameTargets(reply),
		stored: now, expires: now.Add(time.Duration(ttl) * time.Second), ttl: ttl,
	}, cacheable, nil
}

// answerTTL clamps every record's TTL to the bounds and returns how long the
// whole answer may be cached: the smallest TTL of a positive answer, the SOA
// rule for a negative one (RFC 2308 5), a few seconds for SERVFAIL.
func answerTTL(reply *dns.Msg, b ttlBounds) (uint32, bool) {
	switch reply.Rcode {
	case dns.RcodeServerFailure:
		setTTLs(reply, servfailTTL)
		return servfailTTL, true
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return 0, false
	}
	if reply.Rcode == dns.RcodeSuccess && len(reply.Answer) > 0 {
		ttl := ^uint32(0)
		for _, sec := range [][]dns.RR{reply.Answer, reply.Ns, reply.Extra} {
			for _, rr := range sec {
				h := rr.Header()
				h.Ttl = min(max(h.Ttl, b.min), b.max)
				ttl = min(ttl, h.Ttl)
			}
		}
		return ttl, true
	}
	for _, rr := range reply.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			ttl := min(soa.Hdr.Ttl, soa.Minttl, maxNegativeTTL, b.max)
			ttl = max(ttl, b.min)
			setTTLs(reply, ttl)
			return ttl, true
		}
	}
	return 0, false // RFC 2308 5: no SOA, no negative caching
}

func setTTLs(reply *dns.Msg, ttl uint32) {
	for _, sec := range [][]dns.RR{reply.Answer, reply.Ns, reply.Extra} {
		for _, rr := range sec {
			rr.Header().Ttl = min(rr.Header().Ttl, ttl)
		}
	}
}

func withoutOPT(rrs []dns.RR) []dns.RR {
	out := rrs[:0]
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

// questionIs reports whether msg's one question has exactly the wire name
// name: appendAnswer copies the client's spelling over it, which is only
// right when the two have the same length and labels.
func questionIs(msg, name []byte) bool {
	return len(msg) >= headerLen+len(name) && msg[5] == 1 && msg[4] == 0 &&
		string(msg[headerLen:headerLen+len(name)]) == string(name)
}

// cnameTargets lists the CNAME targets of an answer in the form the policy
// reads, for the cloaking re-check on every answer given from it.
func cnameTargets(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		if c, ok := rr.(*dns.CNAME); ok {
			out = append(out, strings.TrimSuffix(strings.ToLower(c.Target), "."))
		}
	}
	return out
}
