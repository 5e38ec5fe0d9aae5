package resolver

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Handler answers DNS queries. It is the hot path of DESIGN.md: admit,
// parse, decide, cache, upstream, write; the listeners in server.go only
// move bytes in and out of it.
type Handler struct {
	log      *slog.Logger
	now      func() time.Time
	cache    *Cache
	settings atomic.Pointer[settings]        // never nil after New
	policy   atomic.Pointer[policy.Snapshot] // never nil after New
	limiter  *rateLimiter
	flight   singleflight.Group
	inflight atomic.Int64       // queries waiting for an upstream, prefetches included
	shares   *missShares        // inflight divided among devices; never nil after New
	bg       sync.WaitGroup     // prefetches
	uses     chan<- policy.Use  // budgeted answers, to the usage accounting; nil: none
	hits     chan<- reports.Hit // watch-list and mandatory hits, to the report counter; nil: none

	events *activity.Ring // every answer, to the activity log; nil: none

	// Stats counts what the handler did; read it with Stats.Snapshot.
	Stats Stats
}

var _ dns.Handler = (*Handler)(nil)

// New compiles cfg and returns a handler that allows every name until
// SetPolicy gives it a policy. now is the clock; nil means time.Now.
func New(cfg Config, log *slog.Logger, now func() time.Time) (*Handler, error) {
	s, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	h := &Handler{
		log: log, now: now, limiter: newRateLimiter(),
		cache: NewCache(cfg.Cache.Entries, int(cfg.Cache.Memory)),
	}
	h.shares = newMissShares(&h.inflight)
	h.settings.Store(s)
	h.policy.Store(policy.Allowing())
	return h, nil
}

// Reload compiles cfg and swaps it in whole; on error the running
// configuration stays. Listen addresses are the server's, not the
// handler's: a change to them takes a restart.
func (h *Handler) Reload(cfg Config) error {
	s, err := Compile(cfg)
	if err != nil {
		return err
	}
	h.Apply(s)
	return nil
}

// RecordUses sends every answer that spends budgeted time to ch, without
// ever waiting: a full channel drops the use and counts it. Call it before
// serving.
func (h *Handler) RecordUses(ch chan<- policy.Use) { h.uses = ch }

// RecordHits sends every lookup of a name on a helpline watch list, and
// every attempt to reach a mandatory category, to ch, on the same terms
// as RecordUses. Call it before serving.
func (h *Handler) RecordHits(ch chan<- reports.Hit) { h.hits = ch }

// noteHits sends q's hits, if any. Only hits allocate (the name is copied
// out of the reused buffer); every other query costs a nil check or one
// lookup in the small watch set.
func (h *Handler) noteHits(q *query, now time.Time) {
	if q.decision.Mandatory {
		h.sendHit(reports.Hit{Kind: reports.Mandatory, Name: strings.Clone(q.name),
			Categories: q.decision.Categories, AgeBand: q.pol.AgeBand(q.client), At: now})
	}
	if cats := q.pol.Watched(q.name); cats != 0 {
		h.sendHit(reports.Hit{Kind: reports.Watch, Name: strings.Clone(q.name),
			Categories: cats, AgeBand: q.pol.AgeBand(q.client), At: now})
	}
}

func (h *Handler) sendHit(hit reports.Hit) {
	select {
	case h.hits <- hit:
	default:
		h.Stats.HitsDropped.Add(1)
	}
}

// RecordEvents puts one activity.Event for every answer the policy
// decided in r, on the same terms as RecordUses. Call it before serving.
func (h *Handler) RecordEvents(r *activity.Ring) { h.events = r }

// noteEvent puts q's answer in the activity ring. It writes the event in
// its slot, field by field and the name's bytes only: no lock, no copy of
// the whole event, nothing allocated. When the writer is a whole ring
// behind, the event is dropped and counted. Queries refused or dropped
// before the policy saw them send none.
func (h *Handler) noteEvent(q *query, out []byte, now time.Time, upstream time.Duration) {
	if q.pol == nil || len(out) < headerLen || out[3]&0xF == dns.RcodeRefused {
		return
	}
	ev, t := h.events.Reserve()
	if ev == nil {
		h.Stats.EventsDropped.Add(1)
		return
	}
	d := &q.decision
	ev.At, ev.Client, ev.Policy, ev.Upstream = now, q.client, q.pol, upstream
	ev.Categories, ev.QType, ev.Action, ev.Why = d.Categories, q.req.qtype, d.Action, d.Why
	ev.Mandatory, ev.Service = d.Mandatory, d.Service
	ev.Cached = upstream == 0 && d.Action == policy.Allow && q.route <= routeRouter
	ev.SetName(q.name)
	h.events.Commit(t)
}

// SetPolicy publishes a new policy snapshot; queries that already loaded
// the old one finish with it.
func (h *Handler) SetPolicy(p *policy.Snapshot) { h.policy.Store(p) }

// Close waits for prefetches and closes the upstream connections.
func (h *Handler) Close() {
	h.bg.Wait()
	h.settings.Load().close()
}

// Answer handles one query in wire format from client and appends the reply
// to dst. It returns nil when the query deserves no answer (a response, or
// a client over its rate limit on UDP). It never returns an error: whatever
// fails is answered SERVFAIL and counted. It waits at most the configured
// upstream timeout.
func (h *Handler) Answer(client netip.Addr, tcp bool, pkt, dst []byte) []byte {
	q := &query{client: policy.Client{Addr: client}, tcp: tcp, pkt: pkt}
	if out, done := h.prepare(q, dst, h.now()); done {
		return out
	}
	return h.resolve(q, dst)
}

// ServeDNS lets the handler serve through a miekg/dns server or a test
// recorder. amane's own listeners call Answer with the raw packet instead.
func (h *Handler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	pkt, err := r.Pack()
	if err != nil {
		return
	}
	var client netip.Addr
	tcp := false
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		client = a.AddrPort().Addr()
	case *net.TCPAddr:
		client, tcp = a.AddrPort().Addr(), true
	}
	if out := h.Answer(client, tcp, pkt, nil); out != nil {
		w.Write(out)
	}
}

// prepare runs every step that never waits: admission, parsing, policy,
// local names and the cache. It reports done=false when the query needs an
// upstream; the caller then runs resolve, on another goroutine if it must
// not block. now is the handler's clock, read by the caller: a read loop
// reads it once for a whole batch (the clock was 1% of a cached answer's
// CPU, perf), since the datagrams of a batch arrived together.
func (h *Handler) prepare(q *query, dst []byte, now time.Time) (out []byte, done bool) {
	q.pol = nil // set once the policy decides: what never reaches it is no activity
	out, done = h.prepareAt(q, dst, now)
	if done && h.events != nil {
		h.noteEvent(q, out, now, 0)
	}
	return out, done
}

func (h *Handler) prepareAt(q *query, dst []byte, now time.Time) (out []byte, done bool) {
	s := h.settings.Load()
	q.set = s
	h.Stats.Queries.Add(1)

	// The policy is read once, here: it says which forwarders speak for
	// the devices behind them, and it decides below.
	pol := h.policy.Load()
	forwarder := pol.TrustsForwarder(q.client.Addr)

	// 1. Admit. Strangers are refused before anything costs us, and a
	// client over its rate is not answered on UDP, so that neither can be
	// used to reflect traffic at a spoofed address. A trusted forwarder is
	// never limited as a whole: each device behind it is, below, once the
	// MAC it carries is read.
	limited := !forwarder && !h.limiter.allow(device{addr: q.client.Addr}, now, s.rateLimit, s.rateBurst)
	if limited {
		h.Stats.RateLimited.Add(1)
		if !q.tcp {
			return nil, true
		}
	}
	if err := q.parse(); err != nil {
		h.Stats.Malformed.Add(1)
		var pe *parseError
		errors.As(err, &pe)
		return appendParseError(dst, q.pkt, pe, s.ednsSize), true
	}
	q.dev = deviceOf(q.client, forwarder)
	// A forwarder's query without a MAC (the router's own, or one from a
	// forwarder not set to add-mac) is not limited: its address stands
	// for the whole home.
	if q.dev.hasMAC && !h.limiter.allow(q.dev, now, s.rateLimit, s.rateBurst) {
		// Refused, not dropped: a forwarder waits for every query it
		// forwards (dnsmasq holds at most dns-forward-max, 150 by
		// default), so silence would fill it and stall the whole home.
		h.Stats.RateLimited.Add(1)
		limited = true
	}
	switch {
	case !s.allowed(q.client.Addr):
		// No Extended DNS Error: a stranger gets no byte more than it sent.
		h.Stats.Refused.Add(1)
		return q.appendRcode(dst, dns.RcodeRefused, 0), true
	case limited: // over TCP, or from a forwarder: say no rather than time out
		return q.appendRcode(dst, dns.RcodeRefused, 0), true
	case q.req.qclass != dns.ClassINET:
		return q.appendRcode(dst, dns.RcodeRefused, 0), true
	case q.req.qtype == dns.TypeAXFR || q.req.qtype == dns.TypeIXFR:
		return q.appendRcode(dst, dns.RcodeRefused, 0), true
	case q.req.qtype == dns.TypeANY: // RFC 8482 4.2: a small synthesized HINFO
		return q.appendRecords(dst, []dns.RR{&dns.HINFO{
			Hdr: dns.RR_Header{Name: dns.Fqdn(q.name), Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: 3600},
			Cpu: "RFC8482"}}), true
	}

	// 2-4. Who is asking, and what their policy says, before the cache:
	// the cache holds only upstream answers, so nothing leaks between
	// profiles through it. q.pol is set only now: what was refused above
	// never reaches the activity log (a stranger's flood must not push a
	// family's devices out of it).
	q.pol = pol
	q.decision = pol.Decide(q.client, q.name, q.req.qtype, now)
	if q.decision.Budgeted && !q.decision.Counted && h.uses != nil {
		select {
		case h.uses <- policy.Use{Key: q.decision.Use, At: now}:
		default:
			h.Stats.UsesDropped.Add(1)
		}
	}
	if h.hits != nil {
		h.noteHits(q, now)
	}
	switch q.decision.Action {
	case policy.Block:
		h.Stats.Blocked.Add(1)
		return q.appendBlocked(dst, pol.BlockAnswer(), q.decision), true
	case policy.Rewrite: // safe search: resolved as the target name, on the slow path
		return h.admitMiss(q, dst)
	}

	// Local names never reach a public upstream.
	switch q.route = s.local.route(q.name, q.req.qtype); q.route {
	case routeStatic:
		return q.appendRecords(dst, s.local.static(q.name, q.req.qtype)), true
	case routeNXDomain:
		return q.appendRcode(dst, dns.RcodeNameError, 0), true
	}

	// 5. The cache.
	h.cache.hashKey(&q.key)
	if e := h.cache.get(&q.key); e != nil {
		if now.Before(e.expires) {
			h.Stats.CacheHits.Add(1)
			h.maybePrefetch(q, e, now)
			return h.answerFrom(q, e, dst, now, false), true
		}
		if s.staleFor > 0 && now.Sub(e.expires) < s.staleFor {
			q.stale = e
			if now.UnixNano() < e.retryAfter.Load() { // RFC 8767 4: upstreams failed moments ago
				h.Stats.Stale.Add(1)
				return h.answerFrom(q, e, dst, now, true), true
			}
		} else {
			h.cache.remove(&q.key, e)
		}
	}
	h.Stats.CacheMisses.Add(1)
	return h.admitMiss(q, dst)
}

// admitMiss lets a query wait for an upstream, unless too many already do
// or its device holds more than its share (fairshare.go): then it is
// refused at once, rather than queued without end. REFUSED, as for the
// rate limit: dropping would leave the stub, or the forwarder in front of
// it, waiting seconds with a slot held; SERVFAIL could be cached as a
// failure of the name by a resolver in front (RFC 9520), and makes some
// stubs (systemd-resolved) retry with fewer EDNS features. A stub told
// REFUSED tries its next server or reports a temporary failure.
func (h *Handler) admitMiss(q *query, dst []byte) ([]byte, bool) {
	if !h.shares.admit(q.dev, q.set.cfg.Server.MaxConcurrent) {
		h.Stats.Refused.Add(1)
		h.Stats.OverShare.Add(1)
		return q.appendRcode(dst, dns.RcodeRefused, 0), true
	}
	return nil, false
}

// resolve finishes a query that prepare could not: one upstream exchange
// shared by identical queries, then the reply from its entry; a stale
// entry when every upstream fails (RFC 8767); SERVFAIL, never silence,
// when there is none.
func (h *Handler) resolve(q *query, dst []byte) []byte {
	if h.events == nil {
		return h.resolveUpstream(q, dst)
	}
	start := h.now()
	out := h.resolveUpstream(q, dst)
	now := h.now()
	h.noteEvent(q, out, now, max(now.Sub(start), 1)) // 1ns at least: not from the cache
	return out
}

func (h *Handler) resolveUpstream(q *query, dst []byte) []byte {
	defer h.shares.done(q.dev)
	if q.decision.Action == policy.Rewrite {
		return h.resolveRewrite(q, dst)
	}
	e, err := h.lookup(q)
	now := h.now()
	if (err != nil || e.rcode == dns.RcodeServerFailure) && q.stale != nil {
		q.stale.retryAfter.Store(now.Add(staleTTL * time.Second).UnixNano())
		h.Stats.Stale.Add(1)
		return h.answerFrom(q, q.stale, dst, now, true)
	}
	if err != nil {
		h.Stats.ServFail.Add(1)
		h.log.Debug("no upstream answer", "name", q.name, "type", dns.Type(q.req.qtype), "err", err)
		return q.appendRcode(dst, dns.RcodeServerFailure, edeNoReachableAuthory)
	}
	return h.answerFrom(q, e, dst, now, false)
}

// answerFrom answers q from an upstream entry, unless one of the entry's
// CNAME targets is blocked for this client: the re-check runs on every
// answer, since the cache is shared by every device and profile.
func (h *Handler) answerFrom(q *query, e *entry, dst []byte, now time.Time, stale bool) []byte {
	if d, blocked := q.cloaked(q.pol, e, now); blocked {
		q.decision = d // what the activity log records
		h.Stats.Blocked.Add(1)
		return q.appendBlocked(dst, q.pol.BlockAnswer(), d)
	}
	return q.fromEntry(e, dst, now, stale)
}

// lookup returns a fresh entry for q from the upstreams. Concurrent
// lookups of one question share one exchange, run on the first asker's
// goroutine, whose time budget is the configured timeout.
func (h *Handler) lookup(q *query) (*entry, error) {
	v, err, _ := h.flight.Do(q.flightKey(), func() (any, error) {
		return h.exchange(q, time.Now().Add(q.set.cfg.Upstream.Timeout))
	})
	if err != nil {
		return nil, err
	}
	return v.(*entry), nil
}

// exchange asks the upstreams, giving up at until, checks the answer, and
// caches it. A lone UDP upstream's reply of the usual shape becomes the
// entry as it came (entryFromWire); every other reply is unpacked.
func (h *Handler) exchange(q *query, until time.Time) (*entry, error) {
	s := q.set
	set := s.public
	if q.route == routeRouter {
		set = s.router
	}
	strip := !s.local.rebindExempt(q.name)
	var r *dns.Msg
	if t, ok := set.loneUDP(); ok {
		uq := upstreamQuestion{name: q.key.name, qtype: q.req.qtype, qclass: q.req.qclass,
			cd: q.req.cd(), do: q.req.do, ednsSize: uint16(s.cfg.Server.EDNSSize)}
		rep, err := set.exchangeWire(t, &uq, until)
		if err != nil {
			return nil, err
		}
		if r = rep.msg; rep.wire != nil {
			if e, cacheable, ok := entryFromWire(&q.key, rep.wire, h.now(), s.bounds, strip); ok {
				return h.cached(q, e, cacheable), nil
			}
			r = new(dns.Msg)
			if err := r.Unpack(rep.wire); err != nil {
				return nil, err
			}
		}
	} else {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(q.name), q.req.qtype)
		m.Question[0].Qclass = q.req.qclass
		m.CheckingDisabled = q.req.cd()
		m.SetEdns0(uint16(s.cfg.Server.EDNSSize), q.req.do)
		var err error
		if r, err = set.exchangeUntil(m, until); err != nil {
			return nil, err
		}
	}
	if strip {
		if n := stripPrivate(r); n > 0 {
			h.Stats.Rebinding.Add(uint64(n))
			h.log.Debug("removed private addresses from a public answer", "name", q.name, "records", n)
		}
	}
	e, cacheable, err := newEntry(&q.key, r, h.now(), s.bounds)
	if err != nil {
		return nil, err
	}
	return h.cached(q, e, cacheable), nil
}

// cached adds e to the cache if it may be, and returns it.
func (h *Handler) cached(q *query, e *entry, cacheable bool) *entry {
	if cacheable {
		h.cache.add(&q.key, e)
	}
	return e
}

// maybePrefetch refreshes an entry that is still asked for in the last
// tenth of its life, once, so popular names never expire in front of a
// client. It leaves half the upstream capacity to real misses.
func (h *Handler) maybePrefetch(q *query, e *entry, now time.Time) {
	s := q.set
	if !s.cfg.Cache.Prefetch || e.ttl < 10 || e.expires.Sub(now) > time.Duration(e.ttl)*time.Second/10 {
		return
	}
	if !e.prefetching.CompareAndSwap(false, true) {
		return
	}
	if h.inflight.Add(1) > int64(s.cfg.Server.MaxConcurrent/2) {
		// Declined, not done: a later hit may try again once the
		// upstreams are less busy.
		h.inflight.Add(-1)
		e.prefetching.Store(false)
		return
	}
	h.Stats.Prefetches.Add(1)
	p := q.detach()
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		defer h.inflight.Add(-1)
		h.lookup(p)
		p.release()
	}()
}
