package blocklist

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/amane-dns/amane/internal/watch"
)

// Start compiles the lists from disk and keeps them current until ctx
// ends: it fetches every URL list at once and then every Refresh, watches
// local files, and calls onSet with a newly compiled Set whenever a list
// changed. The watch is in place before the first compile, so no change is
// missed. Compiling happens here, off the hot path; the caller publishes.
func (s *Sources) Start(ctx context.Context, onSet func(*Set)) (*Set, error) {
	var local []string
	for _, c := range s.cfgs {
		if c.Path != "" {
			local = append(local, c.Path)
		}
	}
	var w *watch.Watcher
	if len(local) > 0 {
		var err error
		if w, err = watch.Open(local); err != nil {
			s.log.Warn("local lists are not watched; changes show at the next restart", "err", err)
		}
	}
	set, err := s.Build()
	if err != nil {
		return nil, err
	}
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default: // a rebuild is already due
		}
	}
	if w != nil {
		s.running.Go(func() { w.Run(ctx, time.Second, notify) })
	}
	for _, c := range s.cfgs {
		if c.remote() {
			s.running.Go(func() { s.poll(ctx, c, notify) })
		}
	}
	s.running.Go(func() { s.rebuildOnChange(ctx, changed, onSet) })
	return set, nil
}

func (s *Sources) rebuildOnChange(ctx context.Context, changed <-chan struct{}, onSet func(*Set)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			set, err := s.Build()
			if err != nil {
				s.log.Error("lists not rebuilt; the previous ones stay in use", "err", err)
				continue
			}
			onSet(set)
			s.log.Info("lists rebuilt", "names", set.Len())
		}
	}
}

// poll fetches one URL list now and then every Refresh, give or take a
// tenth so that a helpline's thousands of appliances do not all ask at the
// same second. After a failure it tries again sooner, backing off.
func (s *Sources) poll(ctx context.Context, c SourceConfig, notify func()) {
	fails := 0
	var last time.Time // the last success
	for {
		changed, err := s.Fetch(ctx, c)
		wait := c.refresh()
		if err == nil {
			last = s.now()
		}
		if c.NextAt != nil {
			wait = max(c.NextAt(last, s.now()).Sub(s.now()), time.Minute)
		}
		switch {
		case errors.Is(err, errNotNow): // the window opens at NextAt
		case err != nil:
			fails++
			wait = min(wait, time.Minute<<min(fails, 8))
			s.log.Warn("list not updated; the last good copy stays in use", "list", c.Name, "err", err, "retry_in", wait)
		case changed:
			fails = 0
			notify()
		default:
			fails = 0
		}
		wait += time.Duration(rand.Int64N(int64(wait)/5+1)) - wait/10
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
