package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
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
}

func micros(v float64) string  { return fmt.Sprintf("%.1f µs", v/1e3) }
func millis(v float64) string  { return fmt.Sprintf("%.2f ms", v/1e6) }
func mbytes(v float64) string  { return fmt.Sprintf("%.1f MB", v/(1<<20)) }
func secs(v float64) string    { return fmt.Sprintf("%.2f s", v/1e9) }
func percent(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// rows lists the figures, in the order PERFORMANCE.md gives them.
func (b *bench) rows(phases []phase) []row {
	var rs []row
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("server CPU per %s answer, at %s qps", ph.name, count(float64(ph.fixedQPS))),
			lower: true, phase: ph.name, format: micros,
			each: func(s sample) float64 { return cpuPerQuery(s.fixedCPU, s.fixed) }})
	}
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("server CPU per %s answer, at full load", ph.name),
			lower: true, phase: ph.name, format: micros,
			each: func(s sample) float64 { return cpuPerQuery(s.fullCPU, s.full) }})
	}
	for _, ph := range phases {
		label := fmt.Sprintf("%s qps, full load (-q %d)", ph.name, ph.outstanding)
		if ph.name == "miss" {
			label = fmt.Sprintf("miss qps, full load (-q %d, upstream delay %v)", ph.outstanding, b.cfg.delay)
		}
		rs = append(rs, row{label: label, phase: ph.name, format: count,
			each: func(s sample) float64 { return s.full.qps }})
	}
	for _, ph := range phases {
		rs = append(rs,
			row{label: fmt.Sprintf("%s latency avg, full load", ph.name), lower: true, phase: ph.name, format: millis,
				each: func(s sample) float64 { return float64(s.full.avgLatency) }},
			row{label: fmt.Sprintf("%s latency avg, at %s qps", ph.name, count(float64(ph.fixedQPS))), lower: true, phase: ph.name, format: millis,
				each: func(s sample) float64 { return float64(s.fixed.avgLatency) }},
			row{label: fmt.Sprintf("%s latency p99, at %s qps", ph.name, count(float64(ph.fixedQPS))), lower: true, phase: ph.name, format: millis,
				each: func(s sample) float64 { return float64(s.fixed.p99Latency) }})
	}
	ready := "start to first answer"
	if b.cfg.list != "" {
		ready = "start to first blocked answer (list loaded)"
	}
	rs = append(rs,
		row{label: ready, lower: true, format: secs,
			whole: func(r *results) (float64, bool) { return float64(r.ready), r.ready > 0 }},
		row{label: "start to first blocked answer, compiling the list (amane's first start)", lower: true, format: secs,
			whole: func(r *results) (float64, bool) { return float64(r.readyCompiling), r.readyCompiling > 0 }},
		row{label: "peak RSS while compiling the list (VmHWM of amane's first start)", lower: true, format: mbytes,
			whole: func(r *results) (float64, bool) { return float64(r.hwmCompiling), r.hwmCompiling > 0 }},
		row{label: "RSS idle (VmRSS after start)", lower: true, format: mbytes,
			whole: func(r *results) (float64, bool) { return float64(r.rssIdle), r.rssIdle > 0 }})
	for _, ph := range phases {
		rs = append(rs, row{label: "RSS after the " + ph.name + " phase", lower: true, format: mbytes,
			whole: func(r *results) (float64, bool) { v, ok := r.rssAfter[ph.name]; return float64(v), ok }})
	}
	rs = append(rs, row{label: "peak RSS (VmHWM at the end)", lower: true, format: mbytes,
		whole: func(r *results) (float64, bool) { return float64(r.hwm), r.hwm > 0 }})
	// Not a figure of the server: how much of its CPU other processes took
	// during its runs. Above a few percent, its figures are disturbed.
	for _, ph := range phases {
		rs = append(rs, row{label: fmt.Sprintf("(others' share of CPU %s during the %s runs)", b.cfg.serverCPU, ph.name),
			lower: true, phase: ph.name, noRatio: true, format: percent,
			each: func(s sample) float64 {
				return float64(s.fixedOther+s.fullOther) / float64(max(1, s.fixedWall+s.fullWall))
			}})
	}
	return rs
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
// peer in the last columns, then notes on anything that makes a figure
// doubtful.
func (b *bench) table(phases []phase, version string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%s, %d runs each (median), full-load runs %v, fixed-rate runs %v, servers on CPU %s, dnsperf and upstream on CPU %s, %s, load average %s\n\n",
		time.Now().Format("2006-01-02 15:04"), b.cfg.runs, b.cfg.duration, b.cfg.fixedDuration, b.cfg.serverCPU, b.cfg.clientCPU, version, loadAverage())
	names := make([]string, len(b.peers))
	for i, p := range b.peers {
		names[i] = p.name
	}
	sb.WriteString("| figure | better | " + strings.Join(names, " | ") + " | amane ÷ dnsmasq | amane ÷ unbound |\n")
	sb.WriteString("|---|---|" + strings.Repeat("---:|", len(names)+2) + "\n")
	for _, rw := range b.rows(phases) {
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
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	sb.WriteString(b.notes())
	return sb.String()
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
