package resolver

import (
	"time"

	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// resolveRewrite answers a query the policy rewrote (safe search): a CNAME
// from the asked name to the target, then the target's own records of the
// asked type, from the cache or the upstreams like any other question. It
// is the slow path by design: it runs for search engines' names only.
func (h *Handler) resolveRewrite(q *query, dst []byte) []byte {
	t, err := q.targetQuery()
	if err != nil {
		return q.appendRcode(dst, dns.RcodeServerFailure, 0)
	}
	now := h.now()
	h.cache.hashKey(&t.key)
	e := h.cache.get(&t.key)
	if e == nil || !now.Before(e.expires) {
		if e, err = h.lookup(t); err != nil {
			h.Stats.ServFail.Add(1)
			return q.appendRcode(dst, dns.RcodeServerFailure, edeNoReachableAuthory)
		}
	}
	return q.appendRewritten(dst, e, now)
}

// targetQuery is q asked for the rewrite target instead, as a query of its
// own (same type, class and DNSSEC bits) that the cache and upstreams know.
func (q *query) targetQuery() (*query, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(q.decision.Target), q.req.qtype)
	m.Question[0].Qclass = q.req.qclass
	m.CheckingDisabled = q.req.cd()
	if q.req.edns {
		m.SetEdns0(q.req.udpSize, q.req.do)
	}
	pkt, err := m.Pack()
	if err != nil {
		return nil, err
	}
	t := &query{client: q.client, tcp: q.tcp, pkt: pkt, set: q.set, pol: q.pol, route: routePublic}
	if err := t.parse(); err != nil {
		return nil, err
	}
	t.decision = policy.Decision{Action: policy.Allow, TTLCap: q.decision.TTLCap}
	return t, nil
}

// appendRewritten builds the rewritten answer from the target's entry.
func (q *query) appendRewritten(dst []byte, e *entry, now time.Time) []byte {
	target := new(dns.Msg)
	if err := target.Unpack(e.msg); err != nil {
		return q.appendRcode(dst, dns.RcodeServerFailure, 0)
	}
	m, err := q.replyMsg()
	if err != nil {
		return q.appendRcode(dst, dns.RcodeServerFailure, 0)
	}
	name := m.Question[0].Name
	age := uint32(max(now.Sub(e.stored), 0) / time.Second)
	ttl := min(e.ttl-min(e.ttl, age), q.ttlCap())
	m.Rcode = target.Rcode
	m.Answer = append([]dns.RR{&dns.CNAME{
		Hdr:    dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl},
		Target: dns.Fqdn(q.decision.Target),
	}}, target.Answer...)
	for _, rr := range target.Answer {
		rr.Header().Ttl = min(rr.Header().Ttl-min(rr.Header().Ttl, age), q.ttlCap())
	}
	return q.appendMsg(dst, m)
}
