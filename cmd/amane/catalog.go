package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
)

// catalogCommand runs `amane catalog [-config FILE] [-json]`: every
// category with its public sources (defaults first), their licences and
// sizes, and what this configuration fetches: a parent sees what "no adult
// sites" will use, and which categories no public list can fill.
func catalogCommand(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("catalog", flag.ContinueOnError)
	path := fl.String("config", "", "configuration file (default: the embedded one)")
	asJSON := fl.Bool("json", false, "print the catalog's sources as JSON")
	if rest, err := cliflag.ParseInterleaved(fl, args); err != nil || len(rest) > 0 {
		return errors.Join(err, errors.New("usage: amane catalog [-config FILE] [-json]"))
	}
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(catalog.Entries())
	}
	cfg := configs.Default()
	if *path != "" {
		var err error
		if cfg, err = configs.Load(*path); err != nil {
			return err
		}
	}
	_, feeds := appliance.LoadFeeds(slog.New(slog.DiscardHandler), cfg)
	sel := appliance.CatalogSelection(cfg, feeds)
	fetched := map[string]bool{}
	for _, f := range sel.Fetch {
		fetched[f.Source.ID] = true
	}
	state := map[string]string{}
	if all, err := blocklist.ReadStatus(appliance.ListsDir(cfg)); err == nil && cfg.StateDir != "" {
		now := time.Now()
		for _, st := range all {
			id, ok := strings.CutPrefix(st.Name, "catalog.")
			switch {
			case !ok:
			case st.Err != "":
				state[id] = fmt.Sprintf("FAILING since %s: %s", st.ErrorSince.Local().Format("2006-01-02 15:04"), st.Err)
			case !st.Updated.IsZero():
				state[id] = fmt.Sprintf("%d names, fetched %s ago", st.Names, now.Sub(st.Updated).Round(time.Minute))
			}
		}
	}
	unfilled := map[string]string{}
	for _, u := range sel.Unfilled {
		unfilled[u.Category.String()] = u.Reason
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, e := range catalog.Entries() {
		fmt.Fprintf(tw, "%s\n", e.Category)
		if why, ok := unfilled[e.Category.String()]; ok {
			fmt.Fprintf(tw, "  BLOCKS NOTHING: %s\n", why)
		} else if e.NoDefault != "" {
			fmt.Fprintf(tw, "  no default: %s\n", e.NoDefault)
		}
		for _, s := range e.Sources {
			mark := " "
			switch {
			case fetched[s.ID]:
				mark = "*"
			case s.Default:
				mark = "d"
			}
			window := ""
			if s.Window != (catalog.Window{}) {
				window = "fetched " + s.Window.String()
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%d names\t%s\t%s\t%s\n", mark, s.ID, s.License, s.Size, s.Name, window, state[s.ID])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n* fetched for this configuration (%d sources, about %d names); d: a default, fetched when a profile blocks its category\n", len(sel.Fetch), sel.Names())
	if cfg.Catalog.Mirror != "" {
		fmt.Fprintf(w, "asked at %s/SOURCE_ID first\n", cfg.Catalog.Mirror)
	}
	return nil
}
