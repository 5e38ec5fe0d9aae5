package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/internal/cliflag"
)

// activityCommand prints the running daemon's recent answers: `amane
// activity [DEVICE] [-blocked] [-since 1h]`.
func activityCommand(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("activity", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	blocked := fl.Bool("blocked", false, "blocked answers only")
	since := fl.Duration("since", time.Hour, "how far back")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return errors.New("usage: amane activity [-config FILE] [DEVICE] [-blocked] [-since 1h]")
	}
	req := controlRequest{Cmd: "activity", Blocked: *blocked, Until: time.Now().Add(-*since)}
	if len(names) == 1 {
		req.Target = names[0]
	}
	rep, err := ask(*path, req)
	if err != nil {
		return err
	}
	writeActivity(w, rep.Activity)
	return nil
}

func writeActivity(w io.Writer, es []activity.Entry) {
	if len(es) == 0 {
		fmt.Fprintln(w, "nothing kept in that time (amane logs children's profiles by name; see [activity] log)")
	}
	for _, e := range es {
		what := "allowed"
		if e.Blocked {
			what = "BLOCKED " + e.Reason
			if len(e.Categories) > 0 {
				what += " (" + strings.Join(e.Categories, ",") + ")"
			}
		}
		fmt.Fprintf(w, "%s  %-20s %-5s %-40s %s\n", e.At.Local().Format("15:04:05"), e.Device, e.Type, e.Name, what)
	}
}
