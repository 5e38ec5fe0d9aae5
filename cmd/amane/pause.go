package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// forever is how long a pause without a duration lasts: until resumed.
const forever = 100 * 365 * 24 * time.Hour

// pause runs `amane pause [-config FILE] [TARGET [DURATION]]`: TARGET (a
// device or a profile) gets nothing but the always-allowed names until
// DURATION has passed, or until `amane resume`. Without TARGET it lists the
// pauses in force.
func pause(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("pause", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	req := controlRequest{Cmd: "pauses"}
	switch fl.NArg() {
	case 0:
	case 1, 2:
		d := forever
		if fl.NArg() == 2 {
			var err error
			if d, err = time.ParseDuration(fl.Arg(1)); err != nil || d <= 0 {
				return fmt.Errorf("%q is not a duration such as 30m or 2h", fl.Arg(1))
			}
		}
		req = controlRequest{Cmd: "pause", Target: fl.Arg(0), Until: time.Now().Add(d)}
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
		if time.Until(p.Until) > forever/2 {
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
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return errors.New("usage: amane resume [-config FILE] DEVICE|PROFILE")
	}
	if _, err := ask(*path, controlRequest{Cmd: "resume", Target: fl.Arg(0)}); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: resumed\n", fl.Arg(0))
	return nil
}
