package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// row is one figure of the table: how to get it from one sample (the table
// gives the median over repetitions), or from the server's results.
type row struct {
	label   string
	lower   bool                             // lower is better
	noRatio bool                             // amane's ratio means nothing
	phase   string                           // "" for figures of the whole run
	each    func(s sample) float64           // per repetition; nil when whole
	whole   func(r *results) (float64, bool) // for the whole run
	format  func(float64) string
	target  *target // PERFORMANCE.md's target for amane's figure; nil when it sets none
}

func micros(v float64) string   { return fmt.Sprintf("%.1f µs", v/1e3) }
func millis(v float64) string   { return fmt.Sprintf("%.2f ms", v/1e6) }
func mbytes(v float64) string   { return fmt.Sprintf("%.1f MB", v/(1<<20)) }
func secs(v float64) string     { return fmt.Sprintf("%.3f s", v/1e9) }
func percent(v float64) string  { return fmt.Sprintf("%.0f%%", 100*v) }
func percent1(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Sizes of PERFORMANCE.md's targets.
const (
	mb            = 1 << 20
	targetNames   = 1_000_000 // the list size the memory and boot targets are for
	targetFlood   = 1_000_000 // unique names of the "RSS after a flood" target
	targetP99     = float64(time.Millisecond)
	targetMissP99 = 3 * time.Millisecond // above the upstream's delay
)

// rows lists the figures, in the order PERFORMANCE.md gives them.
func (b *bench) rows(phases []phase) []row {
	var rs []row
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("server CPU per %s answer, at %s qps", ph.name, count(float64(ph.fixedQPS))),
			lower: true, phase: ph.name, format: micros, target: cpuTarget(ph.name),
			each: func(s sample) float64 { return cpuPerQuery(s.fixedCPU, s.fixed) }})
	}
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("server CPU per %s answer, at full load", ph.name),
			lower: true, phase: ph.name, format: micros,
			each: func(s sample) float64 { return cpuPerQuery(s.fullCPU, s.full) }})
	}
	for _, ph := range phases {
		r := row{label: fmt.Sprintf("%s qps, full load (-q %d)", ph.name, ph.outstanding), phase: ph.name, format: count,
			each: func(s sample) float64 { return answeredQPS(s.full) }}
		if ph.name == "miss" {
			r.label = fmt.Sprintf("miss qps, full load (-q %d, upstream delay %v)", ph.outstanding, b.cfg.delay)
			r.target = &target{text: "≥ 1.1× unbound", bound: 1.1, peer: "unbound"}
		}
		rs = append(rs, r)
	}
	for _, ph := range phases {
		p99 := &target{text: "≤ 1 ms", bound: targetP99, atMost: true}
		if ph.name == "miss" {
			p99 = &target{text: fmt.Sprintf("≤ delay + 3 ms = %s", millis(float64(b.cfg.delay+targetMissP99))),
				bound: float64(b.cfg.delay + targetMissP99), atMost: true}
		}
		rs = append(rs,
			row{label: fmt.Sprintf("%s latency avg, full load", ph.name), lower: true, phase: ph.name, format: millis,
				each: func(s sample) float64 { return float64(s.full.avgLatency) }},
			row{label: fmt.Sprintf("%s latency avg, at %s qps", ph.name, count(float64(ph.fixedQPS))), lower: true, phase: ph.name, format: millis,
				each: func(s sample) float64 { return float64(s.fixed.avgLatency) }},
			row{label: fmt.Sprintf("%s latency p99, at %s qps", ph.name, count(float64(ph.fixedQPS))), lower: true, phase: ph.name, format: millis,
				target: p99, each: func(s sample) float64 { return float64(s.fixed.p99Latency) }})
	}
	rs = append(rs, b.memoryRows(phases)...)
	// Not a figure of the server: how much of its CPU other processes took
	// during its runs. Above a few percent, its figures are disturbed.
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("(others' share of CPU %s during the %s runs)", b.cfg.serverCPU, ph.name),
			lower: true, phase: ph.name, noRatio: true, format: percent,
			each: func(s sample) float64 {
				return float64(s.fixedOther+s.fullOther) / float64(max(1, s.fixedWall+s.fullWall))
			}})
	}
	// Nor this: how long the host stopped the servers' CPU or dnsperf's
	// (steal) during the fixed-rate runs, which give the latencies. A
	// stop of a few ms delays every query in flight, and 1% of the
	// queries is 50 ms of a 5 s run: above a few tenths of a percent,
	// a p99 is the host's, not the server's.
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("(host steal on CPUs %s and %s during the fixed-rate %s runs, both added, share of the run)", b.cfg.serverCPU, b.cfg.clientCPU, ph.name),
			lower: true, phase: ph.name, noRatio: true, format: percent1,
			each: stolen})
	}
	return rs
}

// cpuTarget is the target of CPU per answer at a fixed rate in phase.
func cpuTarget(phase string) *target {
	if phase == "miss" {
		return &target{text: "≤ 0.9× unbound", bound: 0.9, peer: "unbound", atMost: true}
	}
	return &target{text: "≤ 0.8× unbound", bound: 0.8, peer: "unbound", atMost: true}
}

// memoryRows are the figures of boot and memory.
func (b *bench) memoryRows(phases []phase) []row {
	// The list targets are for 1M names: a smaller list says nothing of
	// them, a larger one meets them a fortiori if it meets them at all.
	listSkip := ""
	if b.listNames < targetNames {
		listSkip = fmt.Sprintf("not checked: the target is for %s names, this list has %s", count(targetNames), count(float64(b.listNames)))
	}
	ready := "start to first answer"
	idle := &target{text: "≤ 12 MB", bound: 12 * mb, atMost: true}
	idleLabel := "RSS idle (VmRSS at rest after start)"
	if b.cfg.list != "" {
		ready = "start to first blocked answer (list loaded; amane: from the compiled copy on disk)"
		idle = &target{text: "≤ 20 MB with 1M names", bound: 20 * mb, atMost: true, skip: listSkip}
		idleLabel = fmt.Sprintf("RSS idle, %s names loaded (VmRSS at rest after start)", count(float64(b.listNames)))
	}
	var readyTarget, compileTarget *target
	if b.cfg.list != "" {
		readyTarget = &target{text: "≤ 0.2 s with 1M names", bound: 0.2e9, atMost: true, skip: listSkip}
		compileTarget = &target{text: "≤ 35 MB with 1M names", bound: 35 * mb, atMost: true, skip: listSkip}
	}
	rs := []row{
		{label: ready, lower: true, format: secs, target: readyTarget,
			whole: func(r *results) (float64, bool) { return float64(r.ready), r.ready > 0 }},
		{label: "start to first blocked answer, compiling the list (amane's first start)", lower: true, format: secs,
			whole: func(r *results) (float64, bool) { return float64(r.readyCompiling), r.readyCompiling > 0 }},
		{label: "peak RSS while compiling the list (VmHWM of amane's first start)", lower: true, format: mbytes, target: compileTarget,
			whole: func(r *results) (float64, bool) { return float64(r.hwmCompiling), r.hwmCompiling > 0 }},
		{label: idleLabel, lower: true, format: mbytes, target: idle,
			whole: func(r *results) (float64, bool) { return float64(r.rssIdle), r.rssIdle > 0 }},
		// No target: what the kernel cannot take back. The rest of the idle
		// RSS is the program's own file pages, which it can drop under
		// pressure and read again.
		{label: "of which anonymous (RssAnon: heap, stacks; the rest is the program's file pages)", lower: true, format: mbytes,
			whole: func(r *results) (float64, bool) { return float64(r.anonIdle), r.anonIdle > 0 }},
	}
	for _, ph := range phases {
		r := row{label: "RSS after the " + ph.name + " phase", lower: true, format: mbytes,
			whole: func(r *results) (float64, bool) { v, ok := r.rssAfter[ph.name]; return float64(v), ok }}
		if ph.name == "miss" && b.cfg.floodTotal == 0 {
			r.target = &target{text: "≤ 100 MB after 1M unique names", bound: 100 * mb, atMost: true}
			if sent := b.sent("amane", "miss"); sent < targetFlood {
				r.target.skip = fmt.Sprintf("not checked: amane was sent %s unique names", count(float64(sent)))
			}
		}
		rs = append(rs, r)
	}
	if b.cfg.floodTotal > 0 {
		rs = append(rs, b.floodRows()...)
	}
	return append(rs, row{label: "peak RSS (VmHWM at the end)", lower: true, format: mbytes,
		whole: func(r *results) (float64, bool) { return float64(r.hwm), r.hwm > 0 }})
}

// sent is how many queries server was sent in phase, over all its runs.
func (b *bench) sent(server, phase string) int {
	n := 0
	if r := b.results[server]; r != nil {
		for _, s := range r.samples[phase] {
			n += s.fixed.sent + s.full.sent
		}
		n += r.unkeptSent[phase]
	}
	return n
}

// target is a goal of PERFORMANCE.md for one of amane's figures: a bound
// on the figure itself, or on its ratio to a peer's in the same run.
type target struct {
	text   string  // the goal as the table words it, e.g. "≤ 0.8× unbound"
	bound  float64 // the limit, in the figure's unit, or a ratio when peer is set
	peer   string  // "" for a bound on the figure itself
	atMost bool    // met at or under bound; else at or over it
	skip   string  // why this run cannot tell, e.g. a list of another size
}

// outcome is what a run tells of a target.
type outcome int

const (
	unchecked outcome = iota // the run cannot tell
	met
	notMet
)

// check tells whether amane's figure meets t, given the peer's figure
// (havePeer false when there is none), and says so.
func (t *target) check(amane float64, haveAmane bool, peer float64, havePeer bool) (string, outcome) {
	if t.skip != "" {
		return t.skip, unchecked
	}
	v := amane
	if t.peer != "" {
		if !havePeer || peer == 0 {
			return "not checked: no " + t.peer + " figure", unchecked
		}
		v = amane / peer
	}
	if !haveAmane {
		return "not checked: no amane figure", unchecked
	}
	// The ratio column shows two decimals: when they equal the bound, the
	// verdict says on which side the ratio falls.
	exact := ""
	if t.peer != "" && fmt.Sprintf("%.2f", v) == fmt.Sprintf("%.2f", t.bound) {
		exact = fmt.Sprintf(" (%.4f×)", v)
	}
	if t.atMost && v <= t.bound || !t.atMost && v >= t.bound {
		return "met" + exact, met
	}
	return "**not met**" + exact, notMet
}

// value returns a row's figure for one server, or false.
func (rw row) value(r *results) (float64, bool) {
	if r == nil {
		return 0, false
	}
	if rw.whole != nil {
		return rw.whole(r)
	}
	ss := r.samples[rw.phase]
	if len(ss) == 0 {
		return 0, false
	}
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = rw.each(s)
	}
	return median(vs), true
}

func median(vs []float64) float64 {
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// table renders the results as one markdown table, amane's ratio to each
// peer and its targets in the last columns, then notes on anything that
// makes a figure doubtful.
func (b *bench) table(phases []phase, version string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "## Load: amane beside dnsmasq and unbound\n\n%s, %d runs each (median), full-load runs %v, fixed-rate runs %v, servers on CPU %s, dnsperf and upstream on CPU %s, %s, upstream delay %v, load average %s\n\n",
		time.Now().Format("2006-01-02 15:04"), b.cfg.runs, b.cfg.duration, b.cfg.fixedDuration, b.cfg.serverCPU, b.cfg.clientCPU, version, b.cfg.delay, loadAverage())
	if b.cfg.list != "" {
		fmt.Fprintf(&sb, "List: %s, %s names%s.\n\n", b.cfg.list, count(float64(b.listNames)), b.listOrigin)
	}
	rows := b.rows(phases)
	sb.WriteString(b.targets(rows))
	sb.WriteString(b.floorLine())
	sb.WriteString(b.remeasuredLine(phases))
	names := make([]string, len(b.peers))
	for i, p := range b.peers {
		names[i] = p.name
	}
	sb.WriteString("\nAll figures:\n\n| figure | better | " + strings.Join(names, " | ") + " | amane ÷ dnsmasq | amane ÷ unbound | amane's target |\n")
	sb.WriteString("|---|---|" + strings.Repeat("---:|", len(names)+2) + "---|\n")
	for _, rw := range rows {
		better := "higher"
		switch {
		case rw.noRatio:
			better = "—"
		case rw.lower:
			better = "lower"
		}
		cells := []string{rw.label, better}
		for _, p := range b.peers {
			cells = append(cells, b.cell(rw, p))
		}
		cells = append(cells, b.ratio(rw, "dnsmasq"), b.ratio(rw, "unbound"))
		verdict, _ := b.verdict(rw)
		cells = append(cells, verdict)
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	sb.WriteString(b.notes())
	return sb.String()
}

// targets is the short table of the figures PERFORMANCE.md sets a target
// for: amane's, unbound's, the ratio, and whether amane meets it.
func (b *bench) targets(rows []row) string {
	var sb strings.Builder
	sb.WriteString("Targets (../shared/PERFORMANCE.md):\n\n| figure | amane | unbound | amane ÷ unbound | target |\n|---|---:|---:|---:|---|\n")
	nMet, nChecked := 0, 0
	for _, rw := range rows {
		if rw.target == nil {
			continue
		}
		verdict, o := b.verdict(rw)
		if o != unchecked {
			nChecked++
		}
		if o == met {
			nMet++
		}
		unbound := "—"
		if p := b.peer("unbound"); p != nil {
			unbound = b.cell(rw, p)
		}
		amane := "—"
		if p := b.peer("amane"); p != nil {
			amane = b.cell(rw, p)
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n", rw.label, amane, unbound, b.ratio(rw, "unbound"), verdict)
	}
	fmt.Fprintf(&sb, "\namane meets %d of the %d targets this run could check.\n", nMet, nChecked)
	return sb.String()
}

// floorLine says what the miss latency is with no server at all: dnsperf
// asking the fake upstream directly, the floor under every server's miss
// latency in this harness.
func (b *bench) floorLine() string {
	if len(b.floor) == 0 {
		return ""
	}
	avg, p99 := make([]float64, len(b.floor)), make([]float64, len(b.floor))
	for i, p := range b.floor {
		avg[i], p99[i] = float64(p.avgLatency), float64(p.p99Latency)
	}
	return fmt.Sprintf("\nThe harness's floor: dnsperf asking the fake upstream directly (no server between), same names and rate as the miss runs: "+
		"latency avg %s, p99 %s (median of %d). No server's miss latency can be below it.\n", millis(median(avg)), millis(median(p99)), len(b.floor))
}

// remeasuredLine says how many runs were measured again because the host
// took more than the limit from them (measureQuiet), so that a reader knows
// how quiet the machine was; "" if none was.
func (b *bench) remeasuredLine(phases []phase) string {
	var parts []string
	for _, p := range b.peers {
		r := b.results[p.name]
		if r == nil {
			continue
		}
		var each []string
		for _, ph := range phases {
			if n := r.remeasured[ph.name]; n > 0 {
				each = append(each, fmt.Sprintf("%s %d", ph.name, n))
			}
		}
		if len(each) > 0 {
			parts = append(parts, p.name+": "+strings.Join(each, ", "))
		}
	}
	if b.floorRemeasured > 0 {
		parts = append(parts, fmt.Sprintf("the floor: %d", b.floorRemeasured))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("\nRuns measured again because the host took more than %.1f%% of a fixed-rate run from the CPUs (steal), "+
		"the least disturbed of up to %d kept: %s.\n", 100*b.cfg.stealLimit, b.cfg.stealRetries+1, strings.Join(parts, "; "))
}

// verdict is the target cell of rw: the target and whether amane's figure
// meets it.
func (b *bench) verdict(rw row) (string, outcome) {
	if rw.target == nil {
		return "", unchecked
	}
	a := b.peer("amane")
	if a == nil || a.missing != "" {
		return rw.target.text + ": not checked: amane not measured", unchecked
	}
	av, okA := rw.value(b.results["amane"])
	var pv float64
	okP := false
	if p := b.peer(rw.target.peer); p != nil && p.missing == "" {
		pv, okP = rw.value(b.results[p.name])
	}
	v, ok := rw.target.check(av, okA, pv, okP)
	return rw.target.text + ": " + v, ok
}

func (b *bench) peer(name string) *peer {
	for _, p := range b.peers {
		if p.name == name {
			return p
		}
	}
	return nil
}

// cell is one server's figure, or why there is none.
func (b *bench) cell(rw row, p *peer) string {
	if p.missing != "" {
		return p.missing
	}
	r := b.results[p.name]
	if rw.phase == "blocked" && !p.lists {
		return "no list given"
	}
	if v, ok := rw.value(r); ok {
		return rw.format(v)
	}
	if r != nil && r.failed != "" {
		return "failed (see notes)"
	}
	return "—"
}

// ratio is amane's figure divided by peer's.
func (b *bench) ratio(rw row, name string) string {
	a, p := b.peer("amane"), b.peer(name)
	if rw.noRatio || a == nil || p == nil || a.missing != "" || p.missing != "" {
		return "—"
	}
	av, ok1 := rw.value(b.results["amane"])
	pv, ok2 := rw.value(b.results[name])
	if !ok1 || !ok2 || pv == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", av/pv)
}

// notes lists failures, lost queries and unexpected response codes.
func (b *bench) notes() string {
	var ns []string
	for _, p := range b.peers {
		r := b.results[p.name]
		if r == nil {
			continue
		}
		if r.failed != "" {
			ns = append(ns, fmt.Sprintf("%s failed: %s", p.name, r.failed))
		}
		if r.restless {
			ns = append(ns, fmt.Sprintf("%s was still using CPU %v after its first answer: its idle RSS was read then, not at rest", p.name, harness.RestLimit))
		}
		for _, ph := range []string{"cached", "blocked", "miss"} {
			for i, s := range r.samples[ph] {
				for _, run := range []struct {
					kind  string
					p     perf
					drops drops
				}{{"fixed-rate", s.fixed, s.fixedDrops}, {"full-load", s.full, s.fullDrops}} {
					where := fmt.Sprintf("%s %s run %d (%s)", p.name, ph, i+1, run.kind)
					if run.p.sent > 0 && float64(run.p.lost)/float64(run.p.sent) > 0.001 {
						ns = append(ns, fmt.Sprintf("%s: %d of %d queries lost; datagrams dropped for a full receive buffer: %d at the server's sockets, %d at the upstream's",
							where, run.p.lost, run.p.sent, run.drops.server, run.drops.upstream))
					}
					if run.p.completed > 0 && (ph != "blocked" && !strings.HasPrefix(run.p.rcodes, "NOERROR") || strings.Contains(run.p.rcodes, ",")) {
						ns = append(ns, fmt.Sprintf("%s: response codes %s", where, run.p.rcodes))
					}
				}
			}
		}
		if f := r.flood.p; f.sent > 0 && float64(f.lost)/float64(f.sent) > 0.001 {
			ns = append(ns, fmt.Sprintf("%s flood: %d of %d queries lost", p.name, f.lost, f.sent))
		}
	}
	if len(ns) == 0 {
		return "\nNo run lost more than 0.1% of its queries; every cached and miss answer was NOERROR.\n"
	}
	return "\nNotes:\n\n- " + strings.Join(ns, "\n- ") + "\n"
}

// loadAverage is the 1, 5 and 15 minute load averages: on a shared machine,
// how much else was running.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
