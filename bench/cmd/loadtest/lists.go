package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// lists is the block list of -list in each server's format, and the queries
// of the blocked phase. A nil *lists means no list: no blocked phase.
type lists struct {
	all     []string // every listed name, lower case, no trailing dot
	queries string   // dnsperf data file of the blocked phase
	hosts   string   // dnsmasq --addn-hosts file: "0.0.0.0 name"
	zones   string   // unbound include file: local-zone: "name." always_nxdomain
	domains string   // amane's list when -amane-config does not load one: a name a line
}

// prepareLists reads -list and writes it in each server's format, or returns
// nil when there is no -list. amane reads it as a domains list, unless
// -amane-config loads the list its own way.
func prepareLists(cfg config) (*lists, error) {
	if cfg.list == "" {
		return nil, nil
	}
	names, err := readNames(cfg.list, 0)
	if err != nil {
		return nil, fmt.Errorf("reading list: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("list %s has no names", cfg.list)
	}
	l := &lists{
		all:     names,
		queries: filepath.Join(cfg.out, "blocked.txt"),
		hosts:   filepath.Join(cfg.out, "list.hosts"),
		zones:   filepath.Join(cfg.out, "list.unbound.conf"),
		domains: filepath.Join(cfg.out, "list.domains"),
	}
	if err := writeQueries(l.queries, spread(names, cfg.names), "A"); err != nil {
		return nil, err
	}
	if err := writeLines(l.hosts, names, "0.0.0.0 %s\n"); err != nil {
		return nil, err
	}
	if err := writeLines(l.domains, names, "%s\n"); err != nil {
		return nil, err
	}
	// always_nxdomain blocks the name and every name below it, as amane's
	// lists do; dnsmasq's hosts file blocks the exact name only.
	if err := writeLines(l.zones, names, "local-zone: \"%s.\" always_nxdomain\n"); err != nil {
		return nil, err
	}
	return l, nil
}

func writeLines(path string, names []string, format string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for _, n := range names {
		fmt.Fprintf(w, format, n)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// first is the name probed to tell that a server has loaded the list.
func (l *lists) first() string {
	if l == nil {
		return ""
	}
	return l.all[0]
}

func (l *lists) names() []string {
	if l == nil {
		return nil
	}
	return l.all
}

func (l *lists) dnsmasqFile() string {
	if l == nil {
		return ""
	}
	return l.hosts
}

func (l *lists) unboundFile() string {
	if l == nil {
		return ""
	}
	return l.zones
}

func (l *lists) amaneFile() string {
	if l == nil {
		return ""
	}
	return l.domains
}
