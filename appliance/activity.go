package appliance

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/metrics"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/resolver"
)

// activityFlush is how often the activity aggregates are written: an SD
// card takes one write of a few kilobytes every five minutes for years.
const activityFlush = 5 * time.Minute

// newActivity makes the activity log, the metrics, and the alerter. The
// alerter is made without an [[alert]] too: the console lists its alerts
// (an "ask a parent" from the block page among them), and it delivers
// none. Changes to [activity], [[alert]] and [smtp] take a restart.
func (a *Appliance) newActivity() error {
	cfg := a.cfg
	loc := Location(cfg)
	{
		opts := alert.Options{Rules: cfg.Alerts, SMTP: cfg.SMTP, Language: cfg.Activity.Language,
			Location: loc, Now: a.now, Log: a.log}
		if a.db != nil {
			seen, err := alert.NewBoltSeen(a.db, a.now)
			if err != nil {
				return err
			}
			opts.Seen = seen
		}
		a.alerts = alert.New(opts)
	}
	// The writer runs even with log = "off": the alerts and /metrics
	// read the events on its goroutine.
	a.metrics = a.newMetrics()
	opts := activity.Options{Log: a.log, Location: loc, Now: a.now}
	al := a.alerts
	opts.Observe = func(ev *activity.Event, id policy.Identity) {
		a.metrics.Observe(ev, id)
		a.clients.see(ev.Client, id, ev.At)
		if al != nil {
			al.Observe(ev, id)
		}
	}
	var err error
	a.activity, err = activity.New(a.db, cfg.Activity, opts)
	return err
}

// startActivity connects the resolver to the activity log and starts the
// writer and the alerts' delivery.
func (a *Appliance) startActivity(ctx context.Context) {
	if a.alerts != nil {
		go a.alerts.Run(ctx)
	}
	if a.activity == nil {
		return
	}
	a.events = activity.NewRing(4096) // DrainEvery's worth at 200k queries a second
	a.eventsDone = make(chan struct{})
	go func() { a.activity.Run(a.events, activityFlush); close(a.eventsDone) }()
	a.h.RecordEvents(a.events)
}

// closeActivity writes what the log holds; no query may be answered any
// more.
func (a *Appliance) closeActivity() {
	if a.events != nil {
		a.events.Close()
		<-a.eventsDone
	}
}

// Metrics is the /metrics handler (Prometheus text format).
func (a *Appliance) Metrics() http.Handler { return a.metrics }

// newMetrics reads the appliance's figures at each scrape.
func (a *Appliance) newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Sources{
		Version:  a.version,
		Counters: a.h.Stats.Snapshot,
		Upstreams: func() []metrics.Upstream {
			var out []metrics.Upstream
			for _, u := range a.h.UpstreamStats() {
				out = append(out, metrics.Upstream{Name: u.Upstream, Bounds: resolver.LatencyBuckets[:],
					Buckets: u.Buckets[:], Sum: u.Sum, Errors: u.Errors})
			}
			return out
		},
		Lists: func() []metrics.List {
			var out []metrics.List
			for _, s := range a.ListStatus() {
				out = append(out, metrics.List{Name: s.Name, Names: s.Stats.Accepted, Updated: s.Updated, Failing: s.Err != ""})
			}
			return out
		},
		Feeds: func() []metrics.Feed {
			a.mu.Lock()
			defer a.mu.Unlock()
			var out []metrics.Feed
			for _, f := range a.feeds {
				out = append(out, metrics.Feed{Name: f.Manifest.Name, Version: f.Manifest.Version})
			}
			return out
		},
		Outbox: func() (int, bool) {
			if a.outbox == nil {
				return 0, false
			}
			st, err := a.outbox.Status()
			if err != nil {
				return 0, false
			}
			return len(st.Manual) + st.Counts + len(st.Batches), true
		},
	})
}

// Activity returns device's recent answers ("" for every device; an
// unnamed device is "@ADDRESS"), newest first. Nil when activity is off.
func (a *Appliance) Activity(device string, f activity.Filter) []activity.Entry {
	if a.activity == nil {
		return nil
	}
	return a.activity.Recent(device, f)
}

// ActivityTotals returns the aggregates of who between from and to, by
// day or week.
func (a *Appliance) ActivityTotals(who activity.Who, from, to time.Time, by activity.Period) ([]activity.Total, error) {
	if a.activity == nil {
		return nil, nil
	}
	return a.activity.Totals(who, from, to, by)
}

// ActivityToday is the home page's line for each profile: "12 blocked
// attempts today, 2 adult".
func (a *Appliance) ActivityToday() ([]activity.Today, error) {
	if a.activity == nil {
		return nil, nil
	}
	var out []activity.Today
	names := []string{"default"}
	for _, p := range a.Config().Profiles {
		names = append(names, p.Name)
	}
	for _, n := range names {
		t, err := a.activity.TodayOf(n)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Alerts returns the latest alerts, newest first.
func (a *Appliance) Alerts() []alert.Alert {
	if a.alerts == nil {
		return nil
	}
	return a.alerts.Recent()
}

// AskParent raises the block page's "ask a parent" for the device at
// client, which asks for site, with the child's note: it shows in the
// console's alerts, and goes to the parents' phones when an [[alert]]
// carries ask-parent, which notified reports.
func (a *Appliance) AskParent(client netip.Addr, site, note string) (notified bool) {
	id := a.Policy().Identify(policy.Client{Addr: client.Unmap()})
	who := id.Device
	if who == "" {
		who = client.Unmap().String()
	}
	if len(note) > 200 {
		note = note[:200]
	}
	a.alerts.AskParent(who, id.Profile, site, note)
	for _, r := range a.Config().Alerts {
		if len(r.Events) == 0 || slices.Contains(r.Events, alert.AskParent) {
			return true
		}
	}
	return false
}
