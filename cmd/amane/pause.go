package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/internal/cliflag"
)

// pause runs `amane pause [-config FILE] [TARGET [DURATION]]`: TARGET (a
// device or a profile) gets nothing but the always-allowed names until
// DURATION has passed, or until `amane resume`. Without TARGET it lists the
// pauses in force.
func pause(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("pause", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	req := controlRequest{Cmd: "pauses"}
	switch len(names) {
	case 0:
	case 1, 2:
		d := appliance.Forever
		if len(names) == 2 {
			var err error
			if d, err = time.ParseDuration(names[1]); err != nil || d <= 0 {
				return fmt.Errorf("%q is not a duration such as 30m or 2h", names[1])
			}
		}
		req = controlRequest{Cmd: "pause", Target: names[0], Until: time.Now().Add(d)}
	default:
		return errors.New("usage: amane pause [-config FILE] [DEVICE|PROFILE [DURATION]]")
	}
	rep, err := ask(*path, req)
	if err != nil {
		return err
	}
	if len(rep.Pauses) == 0 {
		fmt.Fprintln(w, "nothing is paused")
	}
	for _, p := range rep.Pauses {
		if time.Until(p.Until) > appliance.Forever/2 {
			fmt.Fprintf(w, "%s: paused until amane resume\n", p.Target)
			continue
		}
		fmt.Fprintf(w, "%s: paused until %s (%s from now)\n", p.Target, p.Until.Local().Format("Mon 15:04"), time.Until(p.Until).Round(time.Minute))
	}
	return nil
}

// resume runs `amane resume [-config FILE] TARGET`.
func resume(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("resume", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return errors.New("usage: amane resume [-config FILE] DEVICE|PROFILE")
	}
	if _, err := ask(*path, controlRequest{Cmd: "resume", Target: names[0]}); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: resumed\n", names[0])
	return nil
}

// grant runs `amane grant [-config FILE] DEVICE CATEGORY MINUTES`: bonus
// minutes for today in the budget that covers CATEGORY.
func grant(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("grant", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) != 3 {
		return errors.New("usage: amane grant [-config FILE] DEVICE CATEGORY MINUTES")
	}
	minutes, err := strconv.Atoi(names[2])
	if err != nil || minutes <= 0 || minutes > 24*60 {
		return fmt.Errorf("%q is not a number of minutes (1 to 1440)", names[2])
	}
	rep, err := ask(*path, controlRequest{Cmd: "grant", Target: names[0], Category: names[1], Minutes: minutes})
	if err != nil {
		return err
	}
	writeUsage(w, rep.Usage)
	return nil
}

// usageCommand runs `amane usage [-config FILE] [DEVICE]`: today's use of
// every budget, and what is left.
func usageCommand(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("usage", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return errors.New("usage: amane usage [-config FILE] [DEVICE]")
	}
	target := ""
	if len(names) == 1 {
		target = names[0]
	}
	rep, err := ask(*path, controlRequest{Cmd: "usage", Target: target})
	if err != nil {
		return err
	}
	writeUsage(w, rep.Usage)
	return nil
}

func writeUsage(w io.Writer, lines []appliance.UsageLine) {
	if len(lines) == 0 {
		fmt.Fprintln(w, "no budgeted time used today")
	}
	for _, l := range lines {
		left := l.Left()
		extra := ""
		if l.Granted > 0 {
			extra = fmt.Sprintf(" + %d granted", l.Granted)
		}
		fmt.Fprintf(w, "%s (%s): %s %d of %d minutes%s used, %d left today\n", l.Device, l.Profile, l.Categories, l.Used, l.Allowance, extra, left)
	}
}

// devicesCommand runs `amane devices [-config FILE]`: every device the
// network knows (leases, neighbour table), named or not yet, so that a
// parent can name them in the configuration.
func devicesCommand(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("devices", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return errors.New("usage: amane devices [-config FILE]")
	}
	rep, err := ask(*path, controlRequest{Cmd: "devices"})
	if err != nil {
		return err
	}
	if len(rep.Devices) == 0 {
		fmt.Fprintln(w, "no device known yet: set identify.leases and identify.neighbours")
	}
	for _, d := range rep.Devices {
		name := d.Name
		if name == "" {
			name = "(not named)"
		}
		fmt.Fprintf(w, "%-16s %-17s %-20s %-24s profile %s\n", d.Addr, d.MAC, d.Hostname, name, d.Profile)
	}
	return nil
}
