package appliance

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/reports"
)

// ErrNoHelpline is returned by the report operations when there is no
// helpline to report to.
var ErrNoHelpline = errors.New("no helpline to report to: set [helpline] url and public_key (and state_dir) in the configuration")

// ReportRequest is what a parent or a teacher tells the helpline about a
// site. Nothing in it identifies them.
type ReportRequest struct {
	Domain   string // the registrable domain, reports.DomainOf
	Category string // a category id
	Note     string // in their own words, sent as written
	AgeBand  string // "" or an age band; sent only if share_age_band
}

// Report keeps a report for the helpline until it acknowledges it, and
// says so in words for the person who made it.
func (a *Appliance) Report(req ReportRequest) (string, error) {
	outbox, cfg, now := a.outbox, a.Config(), a.now()
	if outbox == nil {
		return "", ErrNoHelpline
	}
	r := reports.Report{Kind: reports.Manual, Domain: req.Domain, Category: req.Category, Count: 1,
		Day: now.In(Location(cfg)).Format(time.DateOnly), Note: req.Note}
	var kept string
	if req.AgeBand != "" {
		if cfg.Helpline.ShareAgeBand {
			r.AgeBand = req.AgeBand
		} else {
			kept = " The age band was not included: share_age_band is false in [helpline]."
		}
	}
	if err := outbox.Add(r); err != nil {
		return "", err
	}
	a.log.Info("report saved for the helpline", "domain", r.Domain, "category", r.Category)
	return fmt.Sprintf("Saved: %s (%s) will be sent to the helpline, without anything that identifies you or your family.%s", r.Domain, r.Category, kept), nil
}

// ReportStatus is what waits in the outbox, what was sent and what the
// helpline acknowledged.
func (a *Appliance) ReportStatus() (reports.OutboxStatus, error) {
	if a.outbox == nil {
		return reports.OutboxStatus{}, ErrNoHelpline
	}
	return a.outbox.Status()
}

// RotateKey makes a new report key, so that later reports cannot be
// linked to earlier ones; it returns the new public key.
func (a *Appliance) RotateKey() (string, error) {
	if a.outbox == nil {
		return "", ErrNoHelpline
	}
	pub, err := a.outbox.RotateKey(a.now())
	if err == nil {
		a.log.Info("report key rotated")
	}
	return pub, err
}

// OpenForReports opens, while no amane runs, what the report operations
// (Report, ReportStatus, RotateKey) need: the state file, which a running
// daemon holds locked. A report kept this way is sent once amane starts.
// Only those operations and Close may be called on what it returns.
func OpenForReports(cfg *configs.File) (*Appliance, error) {
	db, err := OpenState(cfg)
	if err != nil {
		return nil, err
	}
	a := &Appliance{log: slog.New(slog.DiscardHandler), now: time.Now, db: db, cfg: cfg}
	if db != nil && cfg.Helpline.Enabled() {
		if a.outbox, err = reports.OpenOutbox(db, nil, reports.Limits{}); err != nil {
			db.Close()
			return nil, err
		}
	}
	return a, nil
}

// reportsAcknowledged tells the parents that the helpline received the
// reports they made by hand (an alert, which stays in the family).
func (a *Appliance) reportsAcknowledged(manual []reports.Report) {
	if a.alerts == nil {
		return
	}
	for _, r := range manual {
		a.alerts.Raise(alert.Alert{Kind: alert.ReportAcknowledged, Device: "helpline", Site: r.Domain, Category: r.Category})
	}
}
