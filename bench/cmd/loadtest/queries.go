package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// readNames reads domain names from path, at most limit of them (0: all).
// It takes plain-domain lines and hosts lines ("0.0.0.0 a.example b.example"),
// skips comments, blank lines and names that are not valid, and returns each
// name once, lower case, without the trailing dot.
func readNames(path string, limit int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	seen := make(map[string]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) > 1 {
			if _, err := netip.ParseAddr(fields[0]); err == nil {
				fields = fields[1:]
			}
		}
		for _, name := range fields {
			name = strings.ToLower(strings.TrimSuffix(name, "."))
			if _, ok := dns.IsDomainName(name); !ok || name == "" || !strings.Contains(name, ".") || seen[name] || specialUse(name) {
				continue
			}
			seen[name] = true
			names = append(names, name)
			if limit > 0 && len(names) == limit {
				return names, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return names, nil
}

// specialUse reports names under special-use zones (RFC 6761, RFC 7686,
// RFC 8375, the .arpa infrastructure zone) that unbound answers itself by
// default, so the servers would not all forward them.
func specialUse(name string) bool {
	for _, zone := range []string{"localhost", "local", "test", "invalid", "onion", "example", "arpa"} {
		if name == zone || strings.HasSuffix(name, "."+zone) {
			return true
		}
	}
	return false
}

// writeQueries writes a dnsperf data file: one "name type" line per name.
func writeQueries(path string, names []string, qtype string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for _, n := range names {
		fmt.Fprintf(w, "%s %s\n", n, qtype)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeMissQueries writes count A queries for names no server has seen: a
// label unique to this file (token) under a popular name, so each is a cache
// miss with a realistic shape.
func writeMissQueries(path string, parents []string, token string, count int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for i := range count {
		// parents holds names of at most maxParentLen, so this stays within
		// the 253 characters of a name.
		fmt.Fprintf(w, "m%d-%s.%s A\n", i, token, parents[i%len(parents)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// maxParentLen bounds the parents of miss names, leaving room for the
// unique label.
const maxParentLen = 200

// missParents returns the names of popular that are short enough to take a
// unique label and neither are in list nor lie below a name in it, so that
// unique names under them are misses for every server, whatever its rule for
// subdomains of listed names.
func missParents(popular, list []string) []string {
	set := make(map[string]bool, len(list))
	for _, n := range list {
		set[n] = true
	}
	var out []string
	for _, n := range popular {
		if len(n) > maxParentLen {
			continue
		}
		blocked := false
		for s := n; s != ""; {
			if set[s] {
				blocked = true
				break
			}
			_, s, _ = strings.Cut(s, ".")
		}
		if !blocked {
			out = append(out, n)
		}
	}
	return out
}

// spread returns n names spread evenly over names.
func spread(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	out := make([]string, n)
	for i := range out {
		out[i] = names[i*len(names)/n]
	}
	return out
}

// socialShare is the share of the cached phase's names that amane's
// household counts as social media.
const socialShare = 10

// socialNames returns every socialShare-th of the cached phase's names.
// With the names below them (www.…, cdn.…), they are a fifth of the
// cached phase's answers (19% of the Umbrella top 10,000), and the misses
// under them spend a budget too: in a home, a child's apps are a good part
// of the traffic.
func socialNames(cached []string) []string {
	var out []string
	for i := 0; i < len(cached); i += socialShare {
		out = append(out, cached[i])
	}
	return out
}
