package resolver

import (
	"encoding/binary"
	"sync"
	"unsafe"

	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// query is one client query on its way through the hot path. The UDP loop
// reuses one per packet slot, so nothing here may outlive the packet unless
// detach copies it first.
type query struct {
	client policy.Client
	dev    device // whose rate and share of the upstreams this is; set by prepare
	tcp    bool
	pkt    []byte // the query as received, or its canonical form
	req    request
	name   string // presentation name: a view of nameBuf, valid while q is
	key    cacheKey

	set      *settings
	pol      *policy.Snapshot // the policy this query was decided with
	decision policy.Decision
	route    route
	stale    *entry // an expired entry that may be served if upstreams fail

	keyBuf  [maxNameWire]byte
	nameBuf [4 * maxNameWire]byte
}

// parseError is a query that cannot be answered normally; rcode says how to
// answer it, and drop that it gets no answer at all.
type parseError struct {
	rcode int
	drop  bool
	msg   *dns.Msg // the unpacked query, when it unpacked
}

func (e *parseError) Error() string { return dns.RcodeToString[e.rcode] }

// parse reads q.pkt. Ordinary queries take the allocation-free path; the
// rest are unpacked, checked, and rewritten into the canonical form (one
// question, an OPT with only what amane uses) so that everything after this
// point sees one shape of query.
func (q *query) parse() error {
	if parseRequest(q.pkt, &q.req) == nil {
		q.derive()
		return nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(q.pkt); err != nil {
		return &parseError{rcode: dns.RcodeFormatError, drop: len(q.pkt) < headerLen}
	}
	opt := m.IsEdns0()
	switch {
	case m.Response:
		return &parseError{drop: true} // never answer an answer: that is how loops and reflection start
	case m.Opcode != dns.OpcodeQuery:
		return &parseError{rcode: dns.RcodeNotImplemented, msg: m}
	case len(m.Question) != 1:
		return &parseError{rcode: dns.RcodeFormatError, msg: m}
	case opt != nil && opt.Version() != 0:
		return &parseError{rcode: dns.RcodeBadVers, msg: m} // RFC 6891 6.1.3
	}
	c := new(dns.Msg)
	c.Id, c.RecursionDesired, c.CheckingDisabled = m.Id, m.RecursionDesired, m.CheckingDisabled
	c.Question = m.Question
	if opt != nil {
		c.SetEdns0(opt.UDPSize(), opt.Do())
		for _, o := range opt.Option {
			if local, ok := o.(*dns.EDNS0_LOCAL); ok && local.Code == optionMAC {
				c.IsEdns0().Option = append(c.IsEdns0().Option, local)
			}
		}
	}
	pkt, err := c.Pack()
	if err != nil || parseRequest(pkt, &q.req) != nil {
		return &parseError{rcode: dns.RcodeFormatError, msg: m}
	}
	q.pkt = pkt
	q.derive()
	return nil
}

// derive fills the presentation name, the client's MAC and the cache key
// from the parsed request, without allocating.
func (q *query) derive() {
	n := appendPresentation(q.nameBuf[:0], q.req.qname)
	q.name = unsafe.String(unsafe.SliceData(n), len(n))
	if len(n) == 0 {
		q.name = ""
	}
	q.client.MAC, q.client.HasMAC = q.req.mac, q.req.hasMAC
	q.key = cacheKey{
		name: appendLower(q.keyBuf[:0], q.req.qname), qtype: q.req.qtype, qclass: q.req.qclass,
		do: q.req.do, cd: q.req.cd(),
	}
}

// detach returns a copy of q that owns its packet, for work that outlives
// the receive buffer: an upstream exchange, a prefetch. Give it back with
// release once that work is done: a miss then allocates no query (issue 14).
func (q *query) detach() *query {
	d := detachedQueries.Get().(*query)
	pkt := append(d.pkt[:0], q.pkt...)
	*d = query{
		client: q.client, dev: q.dev, tcp: q.tcp, pkt: pkt,
		set: q.set, pol: q.pol, decision: q.decision, route: q.route, stale: q.stale,
	}
	parseRequest(d.pkt, &d.req) // q.pkt parsed already, so this cannot fail
	d.derive()
	d.key.hash = q.key.hash
	return d
}

// release gives back a query from detach. Nothing may use it afterwards:
// what outlives the query (an activity event, a report hit, a cache entry)
// copies what it keeps.
func (q *query) release() {
	q.set, q.pol, q.stale = nil, nil, nil // keep no settings, policy or entry alive from the pool
	detachedQueries.Put(q)
}

var detachedQueries = sync.Pool{New: func() any { return new(query) }}

// flightKey names the upstream exchange that identical queries share.
// It is built in one buffer and copied once: a string concatenation was
// two allocations a miss.
func (q *query) flightKey() string {
	var buf [maxNameWire + 5]byte
	k := append(buf[:0], q.key.name...)
	k = binary.BigEndian.AppendUint16(k, q.key.qtype)
	k = binary.BigEndian.AppendUint16(k, q.key.qclass)
	k = append(k, b2u8(q.key.do)|b2u8(q.key.cd)<<1|uint8(q.route)<<2)
	return string(k)
}

// maxSize is the largest reply the client can take: 512 bytes without
// EDNS, its advertised size (capped by ours) with it, 64 KiB over TCP.
func (q *query) maxSize() int {
	switch {
	case q.tcp:
		return dns.MaxMsgSize
	case q.req.edns:
		return int(min(max(q.req.udpSize, 512), q.set.ednsSize))
	}
	return 512
}
