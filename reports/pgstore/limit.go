package pgstore

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/amane-dns/amane/reports"
)

// KeyLimiter implements reports.Store with a limit that every server on
// the database shares: a fixed window per key, counted in key_windows by
// one atomic upsert (INSERT ... ON CONFLICT DO UPDATE SET batches =
// batches + 1 RETURNING batches), so concurrent servers never lose a
// count. The window is the time the token bucket of the same settings
// takes to refill its burst (burst/perHour hours, at least a minute), and
// a key may send burst batches in each: the same long-run rate, and at
// most twice the burst across a window's edge. That is not exact, and
// need not be: it stops an appliance stuck in a loop, at one round trip a
// batch. The windows follow the servers' clocks, which must agree (NTP)
// to the second; tracked is not needed (old windows are deleted).
func (s *Store) KeyLimiter(perHour, burst, tracked int) reports.KeyLimiter {
	w := time.Duration(float64(burst) / float64(perHour) * float64(time.Hour))
	return &keyLimiter{s: s, window: max(w, time.Minute), burst: burst}
}

type keyLimiter struct {
	s      *Store
	window time.Duration
	burst  int
	takes  atomic.Uint64 // counts Take, to prune every pruneEvery
}

// pruneEvery is how many takes pass between two deletions of the windows
// that ended: a few rows each time, from every server.
const pruneEvery = 1024

func (l *keyLimiter) Take(key string, now time.Time) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	start := now.UTC().Truncate(l.window)
	if l.takes.Add(1)%pruneEvery == 0 {
		if _, err := l.s.pool.Exec(ctx, `DELETE FROM key_windows WHERE window_start < $1`, start); err != nil {
			return false, 0, err
		}
	}
	var n int
	err := l.s.pool.QueryRow(ctx, `INSERT INTO key_windows (key, window_start, batches) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET batches = key_windows.batches + 1
		RETURNING batches`, key, start).Scan(&n)
	if err != nil {
		return false, 0, err
	}
	if n <= l.burst {
		return true, 0, nil
	}
	return false, max(start.Add(l.window).Sub(now), time.Second), nil
}
