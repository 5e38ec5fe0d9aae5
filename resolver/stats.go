package resolver

import "sync/atomic"

// Stats counts what the handler did since it started.
type Stats struct {
	Queries     atomic.Uint64
	Blocked     atomic.Uint64 // by the policy, directly or through a CNAME
	CacheHits   atomic.Uint64
	CacheMisses atomic.Uint64
	Refused     atomic.Uint64 // clients outside allow, over their TCP rate, or too many misses at once
	RateLimited atomic.Uint64 // over their device's rate (the MAC a trusted forwarder carries, else the address)
	OverShare   atomic.Uint64 // misses refused: over the device's share of the upstreams, or over max_concurrent
	Malformed   atomic.Uint64
	ServFail    atomic.Uint64 // no upstream answered and nothing stale was left
	Stale       atomic.Uint64 // answers served stale (RFC 8767)
	Prefetches  atomic.Uint64
	Rebinding   atomic.Uint64 // private addresses removed from public answers
	UsesDropped atomic.Uint64 // budgeted answers not counted: the accounting fell behind
	HitsDropped atomic.Uint64 // watch and mandatory hits not counted for the helpline
	// EventsDropped are answers missing from the activity log: it fell behind.
	EventsDropped atomic.Uint64
}

// Snapshot returns the counters by name, for logs and the status command.
func (s *Stats) Snapshot() map[string]uint64 {
	return map[string]uint64{
		"queries": s.Queries.Load(), "blocked": s.Blocked.Load(), "cache_hits": s.CacheHits.Load(), "cache_misses": s.CacheMisses.Load(),
		"refused": s.Refused.Load(), "rate_limited": s.RateLimited.Load(), "over_share": s.OverShare.Load(), "malformed": s.Malformed.Load(),
		"servfail": s.ServFail.Load(), "stale": s.Stale.Load(), "prefetches": s.Prefetches.Load(),
		"rebinding_stripped": s.Rebinding.Load(), "uses_dropped": s.UsesDropped.Load(),
		"hits_dropped": s.HitsDropped.Load(), "events_dropped": s.EventsDropped.Load(),
	}
}
