package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RestQuiet and RestLimit are how the load test finds a server at rest
// before it reads its idle RSS: no CPU used for RestQuiet, waited for at
// most RestLimit after the first answer. A server answers before it has
// finished starting (amane builds its console after its DNS listeners are
// up), so a reading at the first answer was taken at a moment that said
// little: sometimes before the console existed.
const (
	RestQuiet = 300 * time.Millisecond
	RestLimit = 10 * time.Second
)

// ErrBusy is WaitAtRest's error for a process still at work at the limit.
var ErrBusy = errors.New("not at rest")

// WaitAtRest waits until process pid is at rest: it has used no CPU time
// (utime+stime, as CPUTime reads it, in 10 ms ticks) for quiet, and none of
// its threads is running, runnable or in uninterruptible sleep at any
// sample meanwhile, so that a busy process the scheduler left waiting on a
// shared CPU, or one waiting for a page of a file, is not taken for an
// idle one. It returns how long it waited; after limit, an error wrapping
// ErrBusy. It polls: a process gives no signal of being idle.
func WaitAtRest(ctx context.Context, pid int, quiet, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(max(quiet/6, time.Millisecond))
	defer tick.Stop()
	last, err := CPUTime(pid)
	if err != nil {
		return 0, err
	}
	quietSince := start
	for {
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-deadline.C:
			return time.Since(start), fmt.Errorf("process %d %w after %v: it was still using CPU", pid, ErrBusy, limit)
		case now := <-tick.C:
			cpu, err := CPUTime(pid)
			if err != nil {
				return time.Since(start), err
			}
			busy, err := threadsBusy(pid)
			if err != nil {
				return time.Since(start), err
			}
			if cpu != last || busy {
				last, quietSince = cpu, now
			} else if now.Sub(quietSince) >= quiet {
				return now.Sub(start), nil
			}
		}
	}
}

// threadsBusy reports whether a thread of pid is running or runnable (R)
// or in uninterruptible sleep (D), from /proc/PID/task/TID/stat.
func threadsBusy(pid int) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tids, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, tid := range tids {
		b, err := os.ReadFile(filepath.Join(dir, tid.Name(), "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// The state, field 3, follows the parenthesized command name.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			return false, errors.New("malformed /proc task stat")
		}
		if st := s[i+2]; st == 'R' || st == 'D' {
			return true, nil
		}
	}
	return false, nil
}
