package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/internal/cliflag"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// listsCommand runs `amane lists check [-format F] FILE...` (what each file
// holds, and what was skipped and why, before a parent trusts a list) and
// `amane lists status [-config FILE]` (how the running daemon's lists are).
func listsCommand(w io.Writer, args []string) error {
	if len(args) > 0 && args[0] == "status" {
		return listsStatus(w, args[1:])
	}
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: amane lists check [-format FORMAT] FILE... | amane lists status [-config FILE]")
	}
	fl := flag.NewFlagSet("lists check", flag.ContinueOnError)
	format := fl.String("format", "auto", "list format: auto, hosts, domains, wildcard, adblock, dnsmasq, unbound, rpz, hashed")
	files, err := cliflag.ParseInterleaved(fl, args[1:])
	if err != nil {
		return err
	}
	f, err := blocklist.ParseFormat(*format)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("lists check needs at least one file")
	}
	var failed int
	for _, path := range files {
		st, err := blocklist.CheckFile(path, f)
		if err != nil {
			failed++
			fmt.Fprintf(w, "%s: %v\n", path, err)
			continue
		}
		if err := st.Write(w); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read", failed, len(files))
	}
	return nil
}

func listsStatus(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("lists status", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	if rest, err := cliflag.ParseInterleaved(fl, args); err != nil || len(rest) > 0 {
		return errors.Join(err, errors.New("usage: amane lists status [-config FILE]"))
	}
	cfg, err := configs.Load(*path)
	if err != nil {
		return err
	}
	if cfg.StateDir == "" {
		return errors.New("state_dir is empty: the daemon keeps no list status")
	}
	return blocklist.WriteStatus(w, appliance.ListsDir(cfg), time.Now())
}

// explain runs `amane explain [-config FILE] NAME...`: whether each name is
// blocked for a device under the filter, and by which rule of which list
// at which line. It compiles the lists from disk as the daemon does at boot.
func explain(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("explain", flag.ContinueOnError)
	path := fl.String("config", "", "configuration file (default: the embedded one)")
	clientIP := fl.String("client", "", "answer for the device with this address (default: a device without a profile)")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("usage: amane explain [-config FILE] [-client IP] NAME...")
	}
	var client policy.Client
	if *clientIP != "" {
		a, err := netip.ParseAddr(*clientIP)
		if err != nil {
			return fmt.Errorf("-client: %w", err)
		}
		client.Addr = a.Unmap()
	}
	cfg := configs.Default()
	if *path != "" {
		var err error
		if cfg, err = configs.Load(*path); err != nil {
			return err
		}
	}
	o, err := appliance.Compile(cfg)
	if err != nil {
		return err
	}
	for _, st := range o.NotLoaded {
		fmt.Fprintf(w, "note: list %q is not loaded: %s\n", st.Name, st.Err)
	}
	for _, c := range o.Conflicts() {
		fmt.Fprintf(w, "error: %s\n", c)
	}
	for _, e := range o.Explain(client, time.Now(), names...) {
		writeExplanation(w, e)
	}
	return nil
}

// writeExplanation says in words what amane decides for one name.
func writeExplanation(w io.Writer, e appliance.Explanation) {
	if e.Invalid != "" {
		fmt.Fprintf(w, "%s: not a name amane would be asked (%s)\n", e.Asked, e.Invalid)
		return
	}
	d := e.Decision
	verdict := "answered"
	switch {
	case d.Exempt == policy.AlwaysAllow:
		verdict = "answered (always_allow: bedtime, pauses, budgets and categories do not apply; a mandatory list would)"
	case d.Exempt == policy.Contact:
		verdict = "answered (a helpline's contact domain: bedtime, pauses and budgets do not apply)"
	case d.Action == policy.Allow:
	case d.Mandatory:
		verdict = "BLOCKED (" + d.Categories.String() + ", mandatory: no allow list, exception or contact lifts it)"
	case d.Why == policy.ByDeny:
		verdict = "BLOCKED (the profile denies it)"
	case d.Why == policy.BySchedule:
		verdict = "BLOCKED (a schedule blocks everything now)"
	case d.Why == policy.ByPause:
		verdict = "BLOCKED (paused)"
	case d.Why == policy.ByBudget && d.Service != 0 && d.Categories == 0:
		verdict = "BLOCKED (" + d.ServiceID() + ": the day's time is used up)"
	case d.Why == policy.ByBudget:
		verdict = "BLOCKED (" + d.Categories.String() + ": the day's time is used up)"
	case d.Why == policy.ByService:
		verdict = "BLOCKED (the app " + d.ServiceID() + " is blocked for this profile)"
	case d.Why == policy.ByBypass:
		verdict = "BLOCKED (a way around the filter: encrypted DNS, VPN or proxy)"
	default:
		verdict = "BLOCKED (" + d.Categories.String() + ")"
	}
	if d.TTLCap > 0 && d.Exempt == policy.NotExempt {
		verdict += fmt.Sprintf("; the schedule changes in %s", d.TTLCap.Round(time.Minute))
	}
	fmt.Fprintf(w, "%s: %s for profile %q\n%s\n", e.Name, verdict, e.Profile, e.Lists)
	if e.Watched != nil {
		fmt.Fprintf(w, "  on a helpline watch list (counted for the helpline, never blocked for it):\n%s\n", *e.Watched)
	}
}
