package reports

import (
	"log/slog"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// Hit is the event the resolver sends for a lookup worth counting: a name
// on a helpline watch list, or an attempt to reach a mandatory category.
// It lives here so that the resolver depends on this package for the type
// only (DESIGN.md). It never leaves the appliance as it is: the Counter
// keeps the day, the kind, the listed domain, the category and — when the
// owner opted in — the age band, and nothing else.
type Hit struct {
	Kind       Kind // Watch or Mandatory
	Name       string
	Categories blocklist.Categories
	AgeBand    string // of the profile that asked; dropped unless shared
	At         time.Time
}

// Counter turns hits into daily counts in the outbox. It adds up in
// memory and writes once per flush interval (an SD card lasts longer), so
// a power cut loses at most that much of the day's counts; manual reports
// do not wait for it.
type Counter struct {
	Outbox *Outbox
	// Listed returns the domain a hit is reported as: the listed name the
	// query fell under, not the query itself, whose extra labels could
	// carry anything; "" drops the hit.
	Listed       func(Hit) string
	ShareAgeBand bool
	Location     *time.Location // where a day begins; default time.Local
	Log          *slog.Logger
}

// Run counts hits until the channel is closed, then writes what it holds.
func (c *Counter) Run(hits <-chan Hit, flush time.Duration) {
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	counts := map[Report]uint32{}
	write := func() {
		if len(counts) == 0 {
			return
		}
		rs := make([]Report, 0, len(counts))
		for r, n := range counts {
			r.Count = min(n, MaxCount)
			rs = append(rs, r)
		}
		if err := c.Outbox.AddCounts(rs, time.Now()); err != nil {
			c.Log.Error("counts for the helpline not saved", "err", err)
		}
		clear(counts)
	}
	t := time.NewTicker(flush)
	defer t.Stop()
	for {
		select {
		case h, ok := <-hits:
			if !ok {
				write()
				return
			}
			c.add(counts, h)
		case <-t.C:
			write()
		}
	}
}

func (c *Counter) add(counts map[Report]uint32, h Hit) {
	domain := c.Listed(h)
	if domain == "" || CheckDomain(domain) != nil {
		return
	}
	r := Report{Kind: h.Kind, Domain: domain, Day: h.At.In(c.Location).Format(time.DateOnly)}
	if c.ShareAgeBand && validAgeBand(h.AgeBand) {
		r.AgeBand = h.AgeBand
	}
	for _, cat := range h.Categories.List() {
		r.Category = cat.String()
		counts[r]++
	}
}
