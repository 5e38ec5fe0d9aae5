package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// The fairness scenario (issue 9, item 4): a home router forwards every
// device's queries from one address, each carrying the device's MAC in EDNS
// option 65001 (dnsmasq add-mac). A victim asks at a household pace, half
// cached names and half new ones, while another device behind the same
// router floods unique names as fast as amane answers. The victim must lose
// nothing and keep its p99 at most 50 ms, with the default rate limit and
// with rate_limit = 0 (the packaged OpenWrt setting).

// MACs in dnsperf -E form (hex), locally administered.
const (
	victimMAC  = "020000000001"
	warmMAC    = "020000000002" // fills the cache with the victim's names before the run
	flooderMAC = "0200000000ff"
)

// fairCached is how many cached names the victim asks: fewer than the
// default rate_burst, so the cache warms at full speed under the limit.
const fairCached = 300

// fairnessCase is one amane configuration the scenario runs against.
type fairnessCase struct {
	name      string
	rateLimit int
	alone     bool   // no flooder: what the machine itself adds to the victim's latency
	tree      string // "before" or "after"
	repo      string // where amane is built from
}

// fairnessResult is what one case measured.
type fairnessResult struct {
	fairnessCase
	victim, flooder perf
	cached, missed  latencies // the victim's, by kind of name
	wall            time.Duration
	cpu, others     time.Duration // amane's CPU time, and other processes' on its CPU
	drops           drops         // datagrams the kernel dropped at amane's sockets and the upstream's
}

// latencies sums up one kind of the victim's answers.
type latencies struct {
	n        int
	p99, max time.Duration
}

// victimLatencies reads a verbose dnsperf output and splits the answers'
// latencies between new names (those of writeVictimQueries, "v<N>-...")
// and cached ones.
func victimLatencies(path string) (cached, missed latencies, err error) {
	f, err := os.Open(path)
	if err != nil {
		return cached, missed, err
	}
	defer f.Close()
	var c, m []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[0] != ">" {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		if isVictimMiss(fields[2]) {
			m = append(m, v)
		} else {
			c = append(c, v)
		}
	}
	return summarize(c), summarize(m), sc.Err()
}

func isVictimMiss(name string) bool {
	label, _, _ := strings.Cut(name, ".")
	return len(label) > 1 && label[0] == 'v' && strings.Contains(label, "-") && label[1] >= '0' && label[1] <= '9'
}

func summarize(lat []float64) latencies {
	if len(lat) == 0 {
		return latencies{}
	}
	slices.Sort(lat)
	return latencies{n: len(lat), p99: seconds(lat[min(len(lat)-1, len(lat)*99/100)]), max: seconds(lat[len(lat)-1])}
}

// fairnessConfig is the load test's amane config with the given rate limit,
// amane's default share of the upstream per device, and 127.0.0.1, where
// dnsperf sends from, trusted to carry MACs.
func fairnessConfig(stateDir, listen, upstream string, rateLimit int) string {
	cfg := harness.AmaneConfig(stateDir, listen, upstream)
	cfg = strings.Replace(cfg, harness.OneClientLimits,
		fmt.Sprintf("rate_limit = %d\nrate_burst = %d\n", rateLimit, max(rateLimit*5, 1)), 1)
	return cfg + "\n[identify]\ntrusted_forwarders = [\"127.0.0.1\"]\n"
}

// runFairness starts a fake upstream under the scenario's priority, runs
// the scenario for each case on a fresh amane and returns the table.
func (b *bench) runFairness(ctx context.Context, upBin string, popular []string) (string, error) {
	upstream, err := b.startUpstream(ctx, "fakeupstream-fair", upBin, b.priority())
	if err != nil {
		return "", fmt.Errorf("starting fake upstream: %w", err)
	}
	trees := []fairnessCase{{tree: "after", repo: b.cfg.repo}}
	if b.cfg.fairBefore != "" {
		trees = []fairnessCase{{tree: "before", repo: b.cfg.fairBefore}, trees[0]}
	}
	var cases []fairnessCase
	for _, c := range []fairnessCase{{name: "no flooder, rate_limit = 0", alone: true},
		{name: "rate_limit = 100 (default)", rateLimit: 100}, {name: "rate_limit = 0 (limit off)"}} {
		for _, t := range trees { // interleaved, so that a drift of the machine touches both alike
			c.tree, c.repo = t.tree, t.repo
			cases = append(cases, c)
		}
	}
	cached := popular[:min(fairCached, len(popular))]
	warmData := filepath.Join(b.cfg.out, "fair-cached.txt")
	if err := writeQueries(warmData, cached, "A"); err != nil {
		return "", err
	}
	parents := missParents(popular, nil)
	runs := make([][]fairnessResult, len(cases))
	for rep := range b.cfg.runs {
		for i, c := range cases {
			r, err := b.fairnessCase(ctx, upstream, c, rep*len(cases)+i, warmData, cached, parents)
			if err != nil {
				return "", fmt.Errorf("%s, %s: %w", c.tree, c.name, err)
			}
			runs[i] = append(runs[i], r)
			b.log.Info("fairness", "rep", rep+1, "tree", c.tree, "case", c.name, "victim_lost", r.victim.lost,
				"victim_p99", r.victim.p99Latency, "victim_max", r.victim.maxLatency, "flooder_qps", int(r.flooder.qps))
		}
	}
	var out []fairnessResult
	for _, rs := range runs {
		// The run whose victim p99 is the median, whole, so that a row's
		// figures come from one run.
		slices.SortFunc(rs, func(a, b fairnessResult) int { return cmp.Compare(a.victim.p99Latency, b.victim.p99Latency) })
		out = append(out, rs[len(rs)/2])
	}
	return fairnessTable(b.cfg, out), nil
}

// fairnessCase starts amane with c, warms the victim's cached names, runs
// the flooder and the victim together, and stops amane.
func (b *bench) fairnessCase(ctx context.Context, upstream string, c fairnessCase, n int, warmData string,
	cached, parents []string) (fairnessResult, error) {
	res := fairnessResult{fairnessCase: c}
	p, err := newPeer(fmt.Sprintf("amane-fair-%d", n+1), b.cfg.out)
	if err != nil {
		return res, err
	}
	p.name = "amane"
	if err := setupAmane(p, c.repo, upstream, "", "", nil); err != nil {
		return res, err
	}
	if p.missing != "" {
		return res, fmt.Errorf("amane %s (see %s)", p.missing, p.dir)
	}
	cfgPath, err := amaneConfigPath(p)
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(cfgPath, []byte(fairnessConfig(filepath.Join(p.dir, "state"), p.addr(), upstream, c.rateLimit)), 0o644); err != nil {
		return res, err
	}
	p.argv = append(b.priority(), p.argv...)
	// startPeer leaves p.proc set when it fails waiting for the server.
	defer func() {
		if p.proc != nil {
			p.proc.Stop()
		}
	}()
	if _, err := b.startPeer(ctx, p, ""); err != nil {
		return res, err
	}
	if _, err := runDnsperf(ctx, b.cfg.clientCPU, p.dir, "warm", load{data: warmData, outstanding: 10,
		onePass: true, ednsOpt: "65001:" + warmMAC}, p.port); err != nil {
		return res, err
	}
	token := runToken()
	victimData := filepath.Join(p.dir, "victim.txt")
	victimLines := int(b.cfg.fairDuration.Seconds()*b.cfg.victimQPS*1.2) + 10
	if err := writeVictimQueries(victimData, cached, parents, "v"+token, victimLines); err != nil {
		return res, err
	}
	floodData := filepath.Join(p.dir, "flood.txt")
	if err := writeMissQueries(floodData, parents, "f"+token, b.cfg.floodNames); err != nil {
		return res, err
	}
	flood := make(chan error, 1)
	cpu0, busy0, err := b.cpuNow(p)
	if err != nil {
		return res, err
	}
	drops0 := b.dropsNow(p)
	start := time.Now()
	go func() {
		if c.alone {
			flood <- nil
			return
		}
		var err error
		res.flooder, err = runDnsperf(ctx, b.cfg.clientCPU, p.dir, "flooder", load{data: floodData,
			duration: b.cfg.fairDuration, outstanding: b.cfg.missOutstanding, onePass: true,
			ednsOpt: "65001:" + flooderMAC, nice: 19}, p.port)
		flood <- err
	}()
	res.victim, err = runDnsperf(ctx, b.cfg.clientCPU, p.dir, "victim", load{data: victimData,
		duration: b.cfg.fairDuration, outstanding: 10, qps: int(b.cfg.victimQPS), verbose: true,
		ednsOpt: "65001:" + victimMAC, keep: true, prefix: b.priority()}, p.port)
	if ferr := <-flood; err == nil {
		err = ferr
	}
	if err == nil {
		res.cached, res.missed, err = victimLatencies(filepath.Join(p.dir, "victim.dnsperf"))
	}
	res.wall = time.Since(start)
	if err != nil {
		return res, err
	}
	cpu1, busy1, err := b.cpuNow(p)
	drops1 := b.dropsNow(p)
	res.drops = drops{drops1.server - drops0.server, drops1.upstream - drops0.upstream}
	res.cpu, res.others = cpu1-cpu0, max(0, busy1-busy0-(cpu1-cpu0))
	return res, err
}

// priority is the command prefix that sets the nice value of what is
// measured in the fairness scenario: amane, the upstream and the victim.
func (b *bench) priority() []string {
	return strings.Fields(b.cfg.fairPriority)
}

// writeVictimQueries writes count A queries alternating a cached name and
// a name never asked before.
func writeVictimQueries(path string, cached, parents []string, token string, count int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for i := range count {
		if i%2 == 0 {
			fmt.Fprintf(w, "%s A\n", cached[(i/2)%len(cached)])
		} else {
			fmt.Fprintf(w, "v%d-%s.%s A\n", i, token, parents[i%len(parents)])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fairnessTable prints the results as markdown.
func fairnessTable(cfg config, rs []fairnessResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Fairness: one device floods behind the router (%s, %s each, upstream delay %s, median of %d runs by victim p99)\n\n",
		dnsperfVersion(), cfg.fairDuration, cfg.delay, cfg.runs)
	fmt.Fprintf(&b, "after: amane from %s; before: from %s. Victim: MAC %s, %g q/s, half cached names, half new. "+
		"Flooder: MAC %s, unique names, -q %d, nice 19. Both through 127.0.0.1, a trusted forwarder. "+
		"amane, the fake upstream and the victim run under %q. CPU: amane's share of its CPU over the run, "+
		"and what other processes took of it.\n\n",
		cfg.repo, cmp.Or(cfg.fairBefore, "(not run)"), victimMAC, cfg.victimQPS, flooderMAC, cfg.missOutstanding, cfg.fairPriority)
	b.WriteString("| tree | case | victim sent | lost | victim rcodes | avg | p99 | max | cached p99 / max | new names p99 / max | flooder replies / resolved q/s | flooder rcodes | amane CPU / others | drops amane / upstream | target |\n")
	b.WriteString("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %.0f%% / %.0f%% | %d / %d | %s |\n", r.tree, r.name,
			r.victim.sent, r.victim.lost, r.victim.rcodes, ms(r.victim.avgLatency), ms(r.victim.p99Latency),
			ms(r.victim.maxLatency), ms(r.cached.p99), ms(r.cached.max), ms(r.missed.p99), ms(r.missed.max),
			count(r.flooder.qps), count(answeredQPS(r.flooder)), r.flooder.rcodes, pct(r.cpu, r.wall), pct(r.others, r.wall), r.drops.server, r.drops.upstream,
			fairVerdict(r.victim))
	}
	fmt.Fprintf(&b, "\nTarget (PERFORMANCE.md): the victim loses nothing, no answer fails (SERVFAIL or REFUSED), p99 ≤ %s. "+
		"An NXDOMAIN is a name amane blocks, not a failure.\n", ms(fairTargetP99))
	return b.String()
}

// fairTargetP99 is the victim's p99 that PERFORMANCE.md allows while another
// device floods.
const fairTargetP99 = 50 * time.Millisecond

// fairVerdict tells whether the victim's run meets the target, and if not,
// why.
func fairVerdict(v perf) string {
	var why []string
	if v.sent == 0 {
		return "not checked: the victim sent nothing"
	}
	if v.lost > 0 {
		why = append(why, fmt.Sprintf("%d lost", v.lost))
	}
	for _, code := range []string{"SERVFAIL", "REFUSED"} {
		if strings.Contains(v.rcodes, code) {
			why = append(why, code)
		}
	}
	if v.p99Latency > fairTargetP99 {
		why = append(why, "p99 over "+ms(fairTargetP99))
	}
	if len(why) > 0 {
		return "**not met**: " + strings.Join(why, ", ")
	}
	return "met"
}

func pct(d, of time.Duration) float64 { return 100 * float64(d) / float64(max(of, 1)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
