package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
	"github.com/amane-dns/amane/reports"
)

// report is `amane report`: a parent or teacher tells the helpline about a
// site, anonymously; or looks at what waits to be sent; or changes the
// appliance's pseudonym.
func report(args []string, w io.Writer) error {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file of the running amane")
	category := fl.String("category", "", "what the site is: "+categoryIDs())
	note := fl.String("note", "", "what happened, in your own words (sent as written; do not name anyone)")
	ageBand := fl.String("age-band", "", "the age of the child concerned: under-9, 9-12, 13-17 or adult (sent only if share_age_band = true)")
	status := fl.Bool("status", false, "show the reports waiting, sent and acknowledged")
	rotate := fl.Bool("rotate-key", false, "make a new key: later reports cannot be linked to earlier ones")
	names, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	switch {
	case *status && len(names) == 0:
		rep, err := askReports(*path, controlRequest{Cmd: "report-status"})
		if err != nil {
			return err
		}
		printOutbox(w, rep.Outbox, time.Now())
		return nil
	case *rotate && len(names) == 0:
		rep, err := askReports(*path, controlRequest{Cmd: "rotate-key"})
		if err != nil {
			return err
		}
		fmt.Fprintln(w, rep.Message)
		return nil
	case len(names) != 1 || *status || *rotate:
		return errors.New("report: want NAME --category C [--note TEXT], or --status, or --rotate-key")
	}
	domain, err := reports.DomainOf(names[0])
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if *category == "" {
		return fmt.Errorf("report: --category is required: one of %s", categoryIDs())
	}
	if _, err := blocklist.ParseCategory(*category); err != nil {
		return fmt.Errorf("report: --category: %w (one of %s)", err, categoryIDs())
	}
	rep, err := askReports(*path, controlRequest{Cmd: "report", Target: domain, Category: strings.ToLower(strings.TrimSpace(*category)),
		Note: *note, AgeBand: *ageBand})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintln(w, rep.Message)
	return nil
}

// askReports asks the running daemon; when none runs, it opens the
// outbox itself, so that a report made while amane is stopped is kept
// too (and sent once it starts).
func askReports(path string, req controlRequest) (controlReply, error) {
	rep, err := ask(path, req)
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "dial" {
		return rep, err
	}
	cfg, cerr := configs.Load(path)
	if cerr != nil {
		return rep, cerr
	}
	a, oerr := appliance.OpenForReports(cfg)
	if oerr != nil {
		return rep, err // the daemon's error says more
	}
	defer a.Close()
	rep = reportControl(a, req)
	if !rep.OK {
		return rep, errors.New(rep.Message)
	}
	return rep, nil
}

func categoryIDs() string {
	var ids []string
	for c := range blocklist.NumCategories {
		ids = append(ids, c.String())
	}
	return strings.Join(ids, ", ")
}

// printOutbox shows what `amane report --status` says.
func printOutbox(w io.Writer, st *reports.OutboxStatus, now time.Time) {
	if st == nil {
		return
	}
	fmt.Fprintf(w, "report key: %s (since %s)\n", st.Key, st.KeyCreated)
	last := "never"
	if !st.LastAck.IsZero() {
		last = st.LastAck.Local().Format(time.DateTime)
	}
	fmt.Fprintf(w, "acknowledged by the helpline: %d reports (%d by hand) in %d batches; last %s\n",
		st.AckedReports, st.AckedManual, st.AckedBatches, last)
	fmt.Fprintf(w, "waiting: %d reports by hand, %d daily counts", len(st.Manual), st.Counts)
	if st.Dropped > 0 {
		fmt.Fprintf(w, " (%d older counts dropped when the outbox was full)", st.Dropped)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, r := range st.Manual {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Day, r.Domain, r.Category, oneLine(r.Note))
	}
	tw.Flush()
	for _, b := range st.Batches {
		fmt.Fprintf(w, "sending: batch %s, %d reports, sealed %s, %d tries", b.ID[:8], b.Reports, ago(now, b.Sealed), b.Attempts)
		if b.LastError != "" {
			fmt.Fprintf(w, "; last: %s", b.LastError)
		}
		fmt.Fprintln(w)
	}
	for _, b := range st.Refused {
		fmt.Fprintf(w, "refused by the helpline: batch %s, %d reports, %s: %s\n", b.ID[:8], b.Reports, ago(now, b.LastTry), b.LastError)
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

func ago(now, t time.Time) string {
	return now.Sub(t).Round(time.Second).String() + " ago"
}
