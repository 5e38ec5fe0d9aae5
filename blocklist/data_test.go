package blocklist

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readmeRow is what shared/data/README.md says about one file.
type readmeRow struct {
	format   string // the README's format column: hosts, adguard-regex, ut1-domains...
	distinct int    // its "distinct domains" column; -1 for "0 (allow/regex/IP-only)"
}

// readmeRows reads the file table of shared/data/README.md, so the counts
// tests compare with are the ones the data's README states.
func readmeRows(t *testing.T) map[string]readmeRow {
	f, err := os.Open(filepath.Join(dataDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]readmeRow{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 11 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
			continue
		}
		path := strings.Trim(strings.TrimSpace(cols[1]), "`")
		d := strings.TrimSpace(cols[9])
		n, err := strconv.Atoi(d)
		if strings.HasPrefix(d, "0 (") {
			n, err = -1, nil
		}
		if err == nil {
			rows[path] = readmeRow{format: strings.TrimSpace(cols[2]), distinct: n}
		}
	}
	return rows
}

// listFiles returns every file of the shared data that is a list.
func listFiles(t *testing.T) []string {
	var out []string
	for _, pattern := range []string{"hosts/*", "domains/*", "wildcard/*", "adguard/*", "dnsmasq/*",
		"unbound/*", "rpz/*", "ut1/*/domains", "safesearch/*.txt", "safesearch/adguardhome/*.txt"} {
		m, err := filepath.Glob(filepath.Join(dataDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			rel, _ := filepath.Rel(dataDir, p)
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out
}

// wantFormat maps the README's format column to what DetectFormat must say.
func wantFormat(readme string) Format {
	switch {
	case strings.HasPrefix(readme, "hosts"):
		return FormatHosts
	case strings.HasPrefix(readme, "adguard"):
		return FormatAdblock
	case strings.HasPrefix(readme, "dnsmasq"):
		return FormatDnsmasq
	case readme == "wildcard":
		return FormatWildcard
	case readme == "rpz":
		return FormatRPZ
	case readme == "unbound":
		return FormatUnbound
	}
	return FormatDomains
}

func TestEverySharedListParses(t *testing.T) {
	dataFile(t, "README.md")
	rows := readmeRows(t)
	files := listFiles(t)
	if len(files) < 60 {
		t.Fatalf("found only %d list files", len(files))
	}
	for _, rel := range files {
		row, ok := rows[rel]
		if !ok {
			t.Errorf("%s is not in the README table", rel)
			continue
		}
		t.Run(rel+" parses into about the README's distinct names", func(t *testing.T) {
			checkSharedList(t, rel, row)
		})
	}
}

// checkSharedList parses one file with format detection and compares the
// distinct names it accepted with the README's count.
func checkSharedList(t *testing.T, rel string, row readmeRow) {
	blocks, exceptions := map[string]bool{}, 0
	f, err := os.Open(dataFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := Parse(f, FormatAuto, func(r Rule) {
		if r.Kind == Exception {
			exceptions++
			return
		}
		blocks[string(r.Name)] = true
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := wantFormat(row.format); st.Format != want {
		t.Errorf("detected %s, want %s", st.Format, want)
	}
	got := len(blocks)
	switch {
	case row.format == "adguard-dnsrewrite":
		// Safe-search rewrites are not blocks: the policy applies them.
		if st.Accepted != 0 || st.Skipped(ReasonRewrite) != row.distinct {
			t.Errorf("accepted %d, rewrites %d; want 0 and %d", st.Accepted, st.Skipped(ReasonRewrite), row.distinct)
		}
	case row.distinct < 0:
		if got != 0 {
			t.Errorf("an allow/regex/IP-only list blocked %d names", got)
		}
	default:
		// Loosely: the README counted names syntactically, before dropping
		// IPs, globs, preambles and the like.
		if diff := got - row.distinct; diff > row.distinct/100+2 || -diff > row.distinct/50+5 {
			t.Errorf("accepted %d distinct blocked names, README says %d", got, row.distinct)
		}
	}
	t.Logf("%s: %d lines, %d distinct blocks, %d exceptions, %d skipped", st.Format, st.Lines, got, exceptions, st.SkippedTotal())
}

func TestCheckFile(t *testing.T) {
	t.Run("a real list is checked and named", func(t *testing.T) {
		p := dataFile(t, "hosts/stevenblack-unified.hosts")
		st, err := CheckFile(p, FormatAuto)
		if err != nil || st.Name != p || st.Format != FormatHosts || st.Accepted < 88000 {
			t.Fatalf("CheckFile = %+v, %v", st, err)
		}
		var b strings.Builder
		if err := st.Write(&b); err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"format hosts", "names accepted", "local name", "e.g. line 15: 127.0.0.1 localhost"} {
			if !strings.Contains(b.String(), part) {
				t.Errorf("report lacks %q:\n%s", part, b.String())
			}
		}
	})
	t.Run("a missing file is an error", func(t *testing.T) {
		if _, err := CheckFile(filepath.Join(t.TempDir(), "none.txt"), FormatAuto); err == nil {
			t.Error("no error")
		}
	})
	t.Run("stats of several files add up", func(t *testing.T) {
		var total Stats
		for _, rel := range []string{"ut1/chat/domains", "ut1/hacking/domains"} {
			st, err := CheckFile(dataFile(t, rel), FormatDomains)
			if err != nil {
				t.Fatal(err)
			}
			total.Add(st)
		}
		if total.Accepted != 195+197 || total.Skipped(ReasonIP) != 73+77 {
			t.Errorf("total accepted %d, IPs %d", total.Accepted, total.Skipped(ReasonIP))
		}
	})
}
