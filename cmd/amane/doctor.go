package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/amane-dns/amane/configs"
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
	if err := fl.Parse(args); err != nil {
		return err
	}
	d := &doctor.Doctor{ConfigPath: *path, Timeout: *timeout, Extra: checkFeeds}
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
	fcs, _ := subscriptions(cfg)
	if cfg.StateDir == "" || len(fcs) == 0 {
		return nil // nothing on disk to look at; the state check says why
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	subs, snaps := loadFeeds(quiet, cfg)
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
