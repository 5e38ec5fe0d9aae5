package resolver

import (
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds of the upstream latency histogram:
// a LAN router answers in a millisecond, DoH across the sea in 100.
var LatencyBuckets = [...]time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
}

// upstreamStats counts one upstream's answers by latency, and its errors,
// with atomics only: it is updated from every exchange.
type upstreamStats struct {
	buckets [len(LatencyBuckets) + 1]atomic.Uint64 // the last: slower than every bound
	sum     atomic.Int64                           // nanoseconds
	errors  atomic.Uint64
}

func (s *upstreamStats) observe(d time.Duration) {
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.sum.Add(int64(d))
}

// UpstreamStat is what one upstream did since the configuration that
// named it was applied (a reload starts again from zero).
type UpstreamStat struct {
	Upstream string // as configured
	Router   bool   // the [local] router, not a public upstream
	// Buckets count answers by LatencyBuckets (not cumulative); the last
	// counts those slower than every bound.
	Buckets [len(LatencyBuckets) + 1]uint64
	Sum     time.Duration
	Errors  uint64
}

// UpstreamStats returns every upstream's counts, for /metrics.
func (h *Handler) UpstreamStats() []UpstreamStat {
	s := h.settings.Load()
	var out []UpstreamStat
	for _, set := range []*upstreamSet{s.public, s.router} {
		if set == nil {
			continue
		}
		for _, u := range set.ups {
			st := UpstreamStat{Upstream: u.t.String(), Router: set == s.router,
				Sum: time.Duration(u.stats.sum.Load()), Errors: u.stats.errors.Load()}
			for i := range st.Buckets {
				st.Buckets[i] = u.stats.buckets[i].Load()
			}
			out = append(out, st)
		}
	}
	return out
}
