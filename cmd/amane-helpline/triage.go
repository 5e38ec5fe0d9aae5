package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amane-dns/amane/reports"
)

// reportsCommand runs `reports list|show|confirm|reject|retract|export`.
func reportsCommand(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("reports: want list, show, confirm, reject, retract or export: %w", errUsage)
	}
	cmd, args := args[0], args[1:]
	var f reports.Filter
	var format, category, reason, as string
	actor := func(fl *flag.FlagSet) {
		fl.StringVar(&reason, "reason", "", "why, for the other operators and the audit log")
		fl.StringVar(&as, "as", "", "who decides, in the audit log (default: the OS user)")
	}
	filters := func(fl *flag.FlagSet) {
		fl.StringVar(&f.Category, "category", "", "only reports of this category")
		fl.StringVar(&f.Since, "since", "", "only reports of this day (YYYY-MM-DD) or later")
		fl.StringVar(&f.Until, "until", "", "only reports of this day or earlier")
		fl.Func("status", "only domains in this triage state (new, confirmed, rejected, retracted)", func(s string) error {
			f.Status = reports.TriageStatus(s)
			return nil
		})
		fl.Func("kind", "only reports of this kind (manual, watch, mandatory)", func(s string) error {
			f.Kind = reports.Kind(s)
			return nil
		})
	}
	want, flags := 1, func(*flag.FlagSet) {}
	switch cmd {
	case "list":
		want, flags = 0, filters
	case "export":
		want, flags = 0, func(fl *flag.FlagSet) {
			filters(fl)
			fl.StringVar(&format, "format", "csv", "csv or xarf")
		}
	case "confirm":
		flags = func(fl *flag.FlagSet) {
			actor(fl)
			fl.StringVar(&category, "category", "", "the category the domain is abuse of (required)")
		}
	case "reject", "retract":
		flags = actor
	case "show":
	default:
		return fmt.Errorf("reports: unknown command %q: %w", cmd, errUsage)
	}
	c, pos, err := configFlags("reports "+cmd, args, want, flags)
	if err != nil {
		return err
	}
	a, err := openAdmin(c, now)
	if err != nil {
		return err
	}
	defer a.close()
	var t reports.Triage
	switch cmd {
	case "list":
		return listDomains(a, f, stdout)
	case "export":
		return export(a, f, format, c.Reporter, stdout)
	case "show":
		return showDomain(a, pos[0], stdout)
	case "confirm", "reject", "retract":
		if cmd == "confirm" && category == "" {
			return errors.New("reports confirm: want --category C")
		}
		if as == "" {
			if as, err = osUser(); err != nil {
				return fmt.Errorf("reports %s: %w", cmd, err)
			}
		}
		err = a.call("/triage", reports.TriageRequest{Action: cmd, Name: pos[0], Category: category, Reason: reason, By: as}, &t)
	}
	if err != nil {
		return fmt.Errorf("reports %s: %w", cmd, err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", pos[0], describe(t))
	if cmd != "reject" {
		fmt.Fprintln(stdout, "the next `amane-helpline feed publish` carries the change")
	}
	return nil
}

func describe(t reports.Triage) string {
	s := string(t.Status)
	if t.Category != "" {
		s += " (" + t.Category + ")"
	}
	if t.Reason != "" {
		s += ": " + t.Reason
	}
	if !t.At.IsZero() {
		s += ", " + t.At.Format(time.RFC3339)
	}
	return s
}

func listDomains(a *adminClient, f reports.Filter, stdout io.Writer) error {
	var aggs []reports.Aggregate
	if err := a.call("/domains", f, &aggs); err != nil {
		return fmt.Errorf("reports list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tAPPLIANCES\tCOUNT\tCATEGORIES\tFIRST\tLAST\tAGE BANDS\tSTATUS")
	for _, g := range aggs {
		status := string(g.Triage.Status)
		if g.Triage.Category != "" {
			status += " " + g.Triage.Category
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", g.Domain, g.Appliances, g.Count,
			reports.Pairs(g.Categories), g.First, g.Last, reports.Pairs(g.AgeBands), status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d domains\n", len(aggs))
	return nil
}

func showDomain(a *adminClient, name string, stdout io.Writer) error {
	var g reports.Aggregate
	if err := a.call("/domain?name="+url.QueryEscape(name), nil, &g); err != nil {
		return fmt.Errorf("reports show: %w", err)
	}
	kinds := map[string]uint64{}
	for k, n := range g.Kinds {
		kinds[string(k)] = n
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	for _, row := range [][2]string{
		{"domain", g.Domain}, {"status", describe(g.Triage)},
		{"appliances", fmt.Sprint(g.Appliances)}, {"reports", fmt.Sprint(g.Reports)}, {"count", fmt.Sprint(g.Count)},
		{"kinds", reports.Pairs(kinds)}, {"categories", reports.Pairs(g.Categories)},
		{"age bands", reports.Pairs(g.AgeBands)}, {"first seen", g.First}, {"last seen", g.Last},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(g.Notes) > 0 {
		fmt.Fprintln(stdout, "notes:")
		for _, n := range g.Notes {
			fmt.Fprintf(stdout, "  %s\n", strings.ReplaceAll(n, "\n", "\n    "))
		}
	}
	var log []reports.AuditEntry
	if err := a.call("/audit?domain="+url.QueryEscape(name), nil, &log); err != nil {
		return fmt.Errorf("reports show: %w", err)
	}
	if len(log) > 0 {
		fmt.Fprintln(stdout, "history:")
		for _, e := range log {
			line := e.At.Format(time.RFC3339) + " " + e.By + " " + e.Action
			if e.Category != "" {
				line += " (" + e.Category + ")"
			}
			if e.Reason != "" {
				line += ": " + e.Reason
			}
			fmt.Fprintf(stdout, "  %s\n", line)
		}
	}
	return nil
}

func export(a *adminClient, f reports.Filter, format string, rep reports.Reporter, stdout io.Writer) error {
	if format != "csv" && format != "xarf" {
		return fmt.Errorf("reports export: --format %q: want csv or xarf", format)
	}
	if format == "xarf" && (rep.Org == "" || rep.Contact == "" || rep.Domain == "") {
		return errors.New("reports export: XARF names the reporter: set [reporter] org, contact and domain in the configuration")
	}
	var aggs []reports.Aggregate
	if err := a.call("/domains", f, &aggs); err != nil {
		return fmt.Errorf("reports export: %w", err)
	}
	if format == "xarf" {
		return reports.WriteXARF(stdout, aggs, rep)
	}
	return reports.WriteCSV(stdout, aggs)
}

// statsCommand prints the tables the helpline publishes.
func statsCommand(args []string, stdout io.Writer, now func() time.Time) error {
	c, _, err := configFlags("stats", args, 0)
	if err != nil {
		return err
	}
	a, err := openAdmin(c, now)
	if err != nil {
		return err
	}
	defer a.close()
	var s reports.Stats
	if err := a.call("/stats", nil, &s); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	for i, t := range []struct {
		title string
		rows  []reports.StatRow
	}{{"CATEGORY", s.ByCategory}, {"AGE BAND", s.ByAgeBand}, {"MONTH", s.ByMonth}} {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tREPORTS\tMANUAL\tCOUNT\tDOMAINS\n", t.title)
		for _, r := range t.rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", r.Key, r.Reports, r.Manual, r.Count, r.Domains)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
