package appliance

import (
	"context"
	"net/netip"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/policy"
)

// activityFlush is how often the activity aggregates are written: an SD
// card takes one write of a few kilobytes every five minutes for years.
const activityFlush = 5 * time.Minute

// newActivity makes the activity log and the alerter the configuration
// asks for (either may be nil). Changes to [activity], [[alert]] and
// [smtp] take a restart.
func (a *Appliance) newActivity() error {
	cfg := a.cfg
	loc := Location(cfg)
	if len(cfg.Alerts) > 0 {
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
	if cfg.Activity.Log == activity.LogOff && a.alerts == nil {
		return nil
	}
	opts := activity.Options{Log: a.log, Location: loc, Now: a.now}
	if a.alerts != nil {
		opts.Observe = a.alerts.Observe
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
	a.events = make(chan activity.Event, 4096) // DrainEvery's worth at 200k queries a second
	a.eventsDone = make(chan struct{})
	go func() { a.activity.Run(a.events, activityFlush); close(a.eventsDone) }()
	a.h.RecordEvents(a.events)
}

// closeActivity writes what the log holds; no query may be answered any
// more.
func (a *Appliance) closeActivity() {
	if a.events != nil {
		close(a.events)
		<-a.eventsDone
	}
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
// client, which asks for site, with the child's note. It reports false
// when no [[alert]] would carry it.
func (a *Appliance) AskParent(client netip.Addr, site, note string) bool {
	if a.alerts == nil {
		return false
	}
	id := a.Policy().Identify(policy.Client{Addr: client.Unmap()})
	who := id.Device
	if who == "" {
		who = client.Unmap().String()
	}
	if len(note) > 200 {
		note = note[:200]
	}
	a.alerts.AskParent(who, id.Profile, site, note)
	return true
}
