package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
	"github.com/amane-dns/amane/packaging/doctor"
)

// runDoctor runs `amane doctor [-config FILE]`: it checks what usually
// goes wrong on an installed appliance (port 53 taken, clock, upstreams,
// lists, state directory, leases file, configuration) and prints each
// check as OK, WARN or FAIL with a one-line fix. The checks themselves
// are in packaging/doctor; this adds the helpline feeds, which only this
// command knows how to find on disk. Any FAIL makes it exit non-zero.
func runDoctor(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("doctor", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	timeout := fl.Duration("timeout", 3*time.Second, "how long each network probe may take")
	if rest, err := cliflag.ParseInterleaved(fl, args); err != nil || len(rest) > 0 {
		return errors.Join(err, errors.New("usage: amane doctor [-config FILE] [-timeout 3s]"))
	}
	d := &doctor.Doctor{ConfigPath: *path, Timeout: *timeout, Extra: func(cfg *configs.File) []doctor.Result {
		return append(checkFeeds(cfg), checkReports(cfg, time.Now())...)
	}}
	fmt.Fprintf(w, "amane doctor: %s, %s\n\n", *path, versionString())
	switch failed := doctor.Write(w, d.Run(context.Background())); failed {
	case 0:
		return nil
	case 1:
		return errors.New("1 check failed")
	default:
		return fmt.Errorf("%d checks failed", failed)
	}
}

// checkFeeds loads each feed's verified copy from disk, as amane does at
// boot, and says whether it is there, current, or past its expiry.
func checkFeeds(cfg *configs.File) []doctor.Result {
	fcs, _ := appliance.Subscriptions(cfg)
	if cfg.StateDir == "" || len(fcs) == 0 {
		return nil // nothing on disk to look at; the state check says why
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	subs, snaps := appliance.LoadFeeds(quiet, cfg)
	var out []doctor.Result
	for i, fc := range fcs {
		r := doctor.Result{Check: "feed", Status: doctor.OK}
		snap, ok := snaps[i]
		switch {
		case subs[i] == nil:
			r.Status, r.Msg = doctor.Fail, "feed "+fc.URL+" cannot be subscribed to"
			r.Fix = "amane check-config " + cfg.Path + " says what is wrong with it"
		case !ok:
			r.Status, r.Msg = doctor.Warn, "feed "+subs[i].Name()+" has no verified copy on disk yet"
			r.Fix = "amane downloads it after it starts; if it stays so: journalctl -u amane | grep feed"
		case snap.Stale:
			r.Status = doctor.Warn
			r.Msg = fmt.Sprintf("feed %s version %d expired on %s: the helpline could not be reached since; the last copy stays in use",
				subs[i].Name(), snap.Manifest.Version, snap.Manifest.Expires.Format(time.DateOnly))
			r.Fix = "check this machine's internet link and the clock; curl -sSI " + fc.URL + "manifest.json"
		default:
			r.Msg = fmt.Sprintf("feed %s version %d, %d lists, valid until %s",
				subs[i].Name(), snap.Manifest.Version, len(snap.Manifest.Lists), snap.Manifest.Expires.Format(time.DateOnly))
		}
		out = append(out, r)
	}
	return out
}

// checkReports asks the running daemon how its reports to the helpline
// fare: a batch failing for a day, or one the helpline refused, is worth
// the operator's look.
func checkReports(cfg *configs.File, now time.Time) []doctor.Result {
	if !cfg.Helpline.Enabled() || cfg.StateDir == "" {
		return nil
	}
	r := doctor.Result{Check: "reports", Status: doctor.OK}
	rep, err := ask(cfg.Path, controlRequest{Cmd: "report-status"})
	if err != nil || rep.Outbox == nil {
		r.Status, r.Msg = doctor.Warn, "could not ask the running amane about its reports to the helpline"
		r.Fix = "start amane (systemctl start amane), then amane report --status"
		return []doctor.Result{r}
	}
	st := rep.Outbox
	r.Msg = fmt.Sprintf("%d reports acknowledged by the helpline; %d by hand and %d daily counts waiting",
		st.AckedReports, len(st.Manual), st.Counts)
	for _, b := range st.Batches {
		if b.Attempts > 0 && now.Sub(b.Sealed) > 24*time.Hour {
			r.Status = doctor.Warn
			r.Msg = fmt.Sprintf("a batch of %d reports has not reached the helpline for %s: %s",
				b.Reports, now.Sub(b.Sealed).Round(time.Hour), b.LastError)
			r.Fix = "check the internet link and [helpline] url: curl -sSI " + cfg.Helpline.URL
		}
	}
	if n := len(st.Refused); n > 0 && r.Status == doctor.OK {
		r.Status = doctor.Warn
		r.Msg = fmt.Sprintf("the helpline refused %d batches; the last: %s", n, st.Refused[n-1].LastError)
		r.Fix = "amane report --status shows them; tell the helpline, with the batch id"
	}
	return []doctor.Result{r}
}
