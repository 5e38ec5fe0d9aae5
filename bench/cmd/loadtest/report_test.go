package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeSample is one repetition with the given server CPU per query at the
// fixed rate, p99 at the fixed rate, and qps at full load.
func fakeSample(cpuPerQuery, p99 time.Duration, qps float64) sample {
	return sample{
		fixed: perf{sent: 1000, completed: 1000, p99Latency: p99}, fixedCPU: 1000 * cpuPerQuery,
		full: perf{sent: 1000, completed: 1000, qps: qps}, fullCPU: 1000 * cpuPerQuery,
		fixedWall: time.Second, fullWall: time.Second,
	}
}

// fakeBench is a finished run of amane and unbound with a list of names,
// dnsmasq not installed.
func fakeBench(names int) (*bench, []phase) {
	cfg := config{runs: 1, delay: 20 * time.Millisecond, serverCPU: "0", clientCPU: "1", list: "list.domains"}
	b := &bench{cfg: cfg, listNames: names, results: map[string]*results{},
		peers: []*peer{{name: "amane", lists: true}, {name: "dnsmasq", missing: "not installed"}, {name: "unbound", lists: true}}}
	phases := []phase{{name: "cached", fixedQPS: 40000, outstanding: 100}, {name: "blocked", fixedQPS: 40000, outstanding: 100},
		{name: "miss", fixedQPS: 5000, outstanding: 500}}
	b.results["amane"] = &results{ready: 150 * time.Millisecond, hwmCompiling: 40 * mb, rssIdle: 19 * mb, anonIdle: 6 * mb,
		rssAfter: map[string]int64{"miss": 90 * mb},
		samples: map[string][]sample{
			"cached":  {fakeSample(7*time.Microsecond, 2*time.Millisecond, 90000)},
			"blocked": {fakeSample(9*time.Microsecond, 900*time.Microsecond, 90000)},
			"miss":    {fakeSample(50*time.Microsecond, 22*time.Millisecond, 12000)},
		}}
	b.results["unbound"] = &results{ready: 5 * time.Second, rssIdle: 400 * mb, anonIdle: 10 * mb, rssAfter: map[string]int64{"miss": 400 * mb},
		samples: map[string][]sample{
			"cached":  {fakeSample(10*time.Microsecond, 500*time.Microsecond, 100000)},
			"blocked": {fakeSample(10*time.Microsecond, 500*time.Microsecond, 100000)},
			"miss":    {fakeSample(60*time.Microsecond, 21*time.Millisecond, 13000)},
		}}
	return b, phases
}

// tableRow returns the cells of the row of the table of all figures whose
// figure starts with label.
func tableRow(t *testing.T, table, label string) []string {
	t.Helper()
	_, all, ok := strings.Cut(table, "All figures:")
	if !ok {
		t.Fatalf("no table of all figures in:\n%s", table)
	}
	for _, line := range strings.Split(all, "\n") {
		if strings.HasPrefix(line, "| "+label) {
			return strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ")
		}
	}
	t.Fatalf("no row %q in:\n%s", label, table)
	return nil
}

func TestTableGivesEachTargetAndWhetherAmaneMeetsIt(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	table := b.table(phases, "dnsperf 2.10.0")
	// Columns: figure, better, amane, dnsmasq, unbound, ÷ dnsmasq, ÷ unbound, target.
	for _, tc := range []struct {
		label, amane, ratio, target string
	}{
		{"server CPU per cached answer, at 40,000 qps", "7.0 µs", "0.70×", "≤ 0.8× unbound: met"},
		{"server CPU per blocked answer, at 40,000 qps", "9.0 µs", "0.90×", "≤ 0.8× unbound: **not met**"},
		{"server CPU per miss answer, at 5,000 qps", "50.0 µs", "0.83×", "≤ 0.9× unbound: met"},
		{"miss qps, full load", "12,000", "0.92×", "≥ 1.1× unbound: **not met**"},
		{"cached latency p99, at 40,000 qps", "2.00 ms", "4.00×", "≤ 1 ms: **not met**"},
		{"blocked latency p99, at 40,000 qps", "0.90 ms", "1.80×", "≤ 1 ms: met"},
		{"miss latency p99, at 5,000 qps", "22.00 ms", "1.05×", "≤ delay + 3 ms = 23.00 ms: met"},
		{"RSS idle, 1,000,000 names loaded", "19.0 MB", "0.05×", "≤ 20 MB with 1M names: met"},
		{"peak RSS while compiling", "40.0 MB", "—", "≤ 35 MB with 1M names: **not met**"},
		{"start to first blocked answer (list loaded", "0.150 s", "0.03×", "≤ 0.2 s with 1M names: met"},
		{"RSS after the miss phase", "90.0 MB", "0.23×", "≤ 100 MB after 1M unique names: not checked: amane was sent 2,000 unique names"},
		{"server CPU per cached answer, at full load", "7.0 µs", "0.70×", ""},
		{"of which anonymous (RssAnon", "6.0 MB", "0.60×", ""},
	} {
		t.Run(tc.label, func(t *testing.T) {
			cells := tableRow(t, table, tc.label)
			if len(cells) != 8 {
				t.Fatalf("%d cells, want 8: %q", len(cells), cells)
			}
			if cells[2] != tc.amane || cells[3] != "not installed" || cells[6] != tc.ratio || cells[7] != tc.target {
				t.Errorf("got amane %q, dnsmasq %q, ratio %q, target %q; want %q, \"not installed\", %q, %q",
					cells[2], cells[3], cells[6], cells[7], tc.amane, tc.ratio, tc.target)
			}
		})
	}
	summary, _, _ := strings.Cut(table, "All figures:")
	for _, want := range []string{
		"| server CPU per blocked answer, at 40,000 qps | 9.0 µs | 10.0 µs | 0.90× | ≤ 0.8× unbound: **not met** |\n",
		"| RSS idle, 1,000,000 names loaded (VmRSS at rest after start) | 19.0 MB | 400.0 MB | 0.05× | ≤ 20 MB with 1M names: met |\n",
		"amane meets 6 of the 10 targets this run could check.",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the targets table lacks %q:\n%s", want, summary)
		}
	}
	if n := strings.Count(summary, "\n| "); n != 11+1 {
		t.Errorf("the targets table has %d lines, want a header and 11 targets:\n%s", n, summary)
	}
}

func TestNotesSayWhenAServerWasNotAtRestForItsIdleRSS(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	if table := b.table(phases, "dnsperf 2.10.0"); strings.Contains(table, "not at rest") {
		t.Errorf("a note says a server was not at rest, and none was:\n%s", table)
	}
	b.results["unbound"].restless = true
	if table := b.table(phases, "dnsperf 2.10.0"); !strings.Contains(table, "unbound was still using CPU 10s after its first answer: its idle RSS was read then, not at rest") {
		t.Errorf("no note says unbound's idle RSS was read while it was busy:\n%s", table)
	}
}

func TestTableChecksNoListTargetOnAnotherListSize(t *testing.T) {
	b, phases := fakeBench(10_000)
	table := b.table(phases, "dnsperf 2.10.0")
	cells := tableRow(t, table, "RSS idle, 10,000 names loaded")
	if want := "≤ 20 MB with 1M names: not checked: the target is for 1,000,000 names, this list has 10,000"; cells[7] != want {
		t.Errorf("target cell %q, want %q", cells[7], want)
	}
}

func TestTableWithoutUnboundChecksOnlyAbsoluteTargets(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	b.peers[2].missing = "not installed"
	table := b.table(phases, "dnsperf 2.10.0")
	if cells := tableRow(t, table, "server CPU per cached answer, at 40,000 qps"); cells[7] != "≤ 0.8× unbound: not checked: no unbound figure" {
		t.Errorf("target cell %q: a ratio to a server not measured cannot be checked", cells[7])
	}
	if cells := tableRow(t, table, "cached latency p99, at 40,000 qps"); cells[7] != "≤ 1 ms: **not met**" {
		t.Errorf("target cell %q: an absolute target needs no peer", cells[7])
	}
}

func TestFairVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		victim perf
		want   string
	}{
		{"a victim answered fast with one blocked name meets it",
			perf{sent: 500, completed: 500, rcodes: "NOERROR 499 (99.80%), NXDOMAIN 1 (0.20%)", p99Latency: 30 * time.Millisecond}, "met"},
		{"a lost query misses it",
			perf{sent: 500, completed: 499, lost: 1, rcodes: "NOERROR 499 (100.00%)", p99Latency: 30 * time.Millisecond}, "**not met**: 1 lost"},
		{"a SERVFAIL and a slow p99 miss it",
			perf{sent: 500, completed: 500, rcodes: "NOERROR 490 (98.00%), SERVFAIL 10 (2.00%)", p99Latency: 60 * time.Millisecond},
			"**not met**: SERVFAIL, p99 over 50.00 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fairVerdict(tc.victim); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestARatioRoundedOntoItsBoundSaysWhichSide(t *testing.T) {
	qps := &target{text: "≥ 1.1× unbound", bound: 1.1, peer: "unbound"}
	if got, o := qps.check(9970, true, 9085, true); got != "**not met** (1.0974×)" || o != notMet {
		t.Errorf("9,970 / 9,085: got %q, %v; want not met, with the ratio that the table rounds to 1.10×", got, o)
	}
	if got, o := qps.check(12000, true, 9000, true); got != "met" || o != met {
		t.Errorf("12,000 / 9,000: got %q, %v; want met", got, o)
	}
}

func TestTheTableGivesTheHarnessFloorBesideTheMissTarget(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	if table := b.table(phases, "dnsperf 2.10.0"); strings.Contains(table, "floor") {
		t.Errorf("a run that did not measure the upstream alone claims a floor:\n%s", table)
	}
	b.floor = []perf{{avgLatency: 20 * time.Millisecond, p99Latency: 22 * time.Millisecond},
		{avgLatency: 21 * time.Millisecond, p99Latency: 26 * time.Millisecond},
		{avgLatency: 20 * time.Millisecond, p99Latency: 21 * time.Millisecond}}
	table := b.table(phases, "dnsperf 2.10.0")
	summary, _, _ := strings.Cut(table, "All figures:")
	if want := "latency avg 20.00 ms, p99 22.00 ms (median of 3)"; !strings.Contains(summary, want) {
		t.Errorf("the targets part lacks the floor %q:\n%s", want, summary)
	}
}

func TestTheFloodChecksRSSAfterAMillionUniqueNames(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	b.cfg.floodTotal = targetFlood
	// The fake samples sent 2,000 unique names each in the miss phase.
	b.results["amane"].flood = flood{ran: true, miss: 2000, p: perf{sent: 998_000, completed: 998_000}, rss: 95 * mb}
	b.results["unbound"].flood = flood{ran: true, miss: 2000, p: perf{sent: 600_000, completed: 590_000, lost: 10_000}, rss: 600 * mb}
	table := b.table(phases, "dnsperf 2.10.0")
	if cells := tableRow(t, table, "RSS after the flood"); cells[2] != "95.0 MB" || cells[4] != "600.0 MB" || cells[7] != "≤ 100 MB after 1,000,000 unique names: met" {
		t.Errorf("flood RSS row %q: want amane 95.0 MB, unbound 600.0 MB, met", cells)
	}
	if cells := tableRow(t, table, "unique names sent in all"); cells[2] != "1,000,000" || cells[4] != "602,000" || cells[6] != "—" {
		t.Errorf("unique names row %q: want amane 1,000,000 and unbound 602,000, no ratio", cells)
	}
	if cells := tableRow(t, table, "RSS after the miss phase"); cells[7] != "" {
		t.Errorf("the miss phase's RSS still claims the flood target: %q", cells[7])
	}
	if !strings.Contains(table, "unbound flood: 10000 of 600000 queries lost") {
		t.Errorf("no note says unbound lost flood queries:\n%s", table)
	}
	summary, _, _ := strings.Cut(table, "All figures:")
	if want := "amane meets 7 of the 11 targets this run could check."; !strings.Contains(summary, want) {
		t.Errorf("the targets table lacks %q:\n%s", want, summary)
	}

	// Short of a million, the figure says nothing of the target.
	b.results["amane"].flood.p.sent = 500_000
	table = b.table(phases, "dnsperf 2.10.0")
	if cells := tableRow(t, table, "RSS after the flood"); cells[7] != "≤ 100 MB after 1,000,000 unique names: not checked: amane was sent 502,000 unique names in all" {
		t.Errorf("target cell %q: a flood short of 1M names cannot check the target", cells[7])
	}
}

func TestSocialNamesAreEveryTenthCachedName(t *testing.T) {
	var cached []string
	for i := range 25 {
		cached = append(cached, fmt.Sprintf("n%d.example", i))
	}
	if got := socialNames(cached); !slices.Equal(got, []string{"n0.example", "n10.example", "n20.example"}) {
		t.Errorf("got %q", got)
	}
}
