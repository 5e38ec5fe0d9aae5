package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/bench/fakeupstream"
	"github.com/amane-dns/amane/bench/internal/harness"
)

// sample is one repetition of one phase against one server.
type sample struct {
	fixed, full           perf
	fixedCPU, fullCPU     time.Duration // server CPU over the run
	fixedOther, fullOther time.Duration // CPU other processes took on the server's CPU
	fixedWall, fullWall   time.Duration // how long each run took
	fixedDrops, fullDrops drops         // where datagrams were lost
	fixedSteal            time.Duration // what the host took from the servers' and the client's CPUs during the fixed run, both added
}

// drops counts the datagrams the kernel dropped during a run on the
// server's and the upstream's UDP sockets (a full receive buffer).
type drops struct{ server, upstream int64 }

// dropsNow reads the drop counters of p and of the fake upstream; an error
// (a process gone) counts as no drop, since the run's other figures say so.
func (b *bench) dropsNow(p *peer) drops {
	var d drops
	d.server, _ = harness.SocketDrops(p.proc.PID())
	d.upstream, _ = harness.SocketDrops(b.upstream.PID())
	return d
}

// cpuPerQuery is the server's CPU time per query answered (refusals and
// SERVFAIL not counted, see perf.answered).
func cpuPerQuery(cpu time.Duration, p perf) float64 {
	if p.answered() <= 0 {
		return 0
	}
	return float64(cpu) / float64(p.answered())
}

// answeredQPS is dnsperf's qps less the refusals and SERVFAILs.
func answeredQPS(p perf) float64 {
	if p.completed == 0 {
		return 0
	}
	return p.qps * float64(p.answered()) / float64(p.completed)
}

// results is everything measured on one server.
type results struct {
	ready time.Duration // from start to the first answer (with a list: the first block)
	// Of the first start of a server that is started twice (amane with a
	// list): start to first block while compiling, and the peak RSS then.
	readyCompiling time.Duration
	hwmCompiling   int64
	rssIdle        int64            // VmRSS at rest after the start (harness.WaitAtRest)
	anonIdle       int64            // RssAnon then: the part of rssIdle that is the server's own, not its program's file pages
	restWait       time.Duration    // from the first answer to rest
	restless       bool             // still using CPU at harness.RestLimit: rssIdle was read then
	rssAfter       map[string]int64 // VmRSS after each phase's last repetition
	hwm            int64            // VmHWM at the end
	flood          flood            // the flood after the miss phase (flood.go)
	samples        map[string][]sample
	// Of the runs measured again for the host's steal (measureQuiet), by
	// phase: how many, and the unique names the runs not kept were sent.
	remeasured, unkeptSent map[string]int
	failed                 string // why it stopped being measured, if it did
}

// phase is one kind of load: its fixed-rate and its full-load runs.
type phase struct {
	name        string
	fixedQPS    int
	outstanding int
	unique      bool // names must never repeat: a fresh file each repetition, read once
	data        func(rep int) (string, error)
}

// bench runs the phases against the peers.
type bench struct {
	cfg      config
	log      *slog.Logger
	peers    []*peer
	upstream *harness.Child
	results  map[string]*results // by server name, of the load test

	listNames  int    // names in the list, 0 without one
	listOrigin string // how the list was made, for the table's heading; "" for a -list file

	upstreamPort    int    // the fake upstream's port, of the load test
	floor           []perf // the fake upstream alone at the miss phase's fixed rate, each repetition
	floorRemeasured int    // floor runs measured again for the host's steal

	// measureRun is measure, or a test's stand-in for it.
	measureRun func(ctx context.Context, p *peer, ph phase, data string, rep int) (sample, error)
}

// startUpstream runs the fake upstream binary on the client CPU, so that its
// work (only misses reach it) never lands on the servers' CPU, under the
// command prefix (the fairness scenario's priority; nil for none), logging
// to name.log in the output directory.
func (b *bench) startUpstream(ctx context.Context, name, bin string, prefix []string) (string, error) {
	port, err := harness.FreePort()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	argv := append(prefix[:len(prefix):len(prefix)], bin, "-listen", addr, "-delay", b.cfg.delay.String())
	c, err := harness.StartChild(name, b.cfg.out, b.cfg.clientCPU, argv...)
	if err != nil {
		return "", err
	}
	b.upstream, b.upstreamPort = c, port
	if _, err := harness.WaitReady(ctx, c, addr, "ready.bench.amane.", harness.AnyAnswer, 10*time.Second); err != nil {
		return "", err
	}
	return addr, nil
}

// startPeer starts one server and waits until it answers; with a list, until
// it blocks the first listed name (any answer but the upstream's address).
// A server that compiles its list to disk (p.restart) is started twice:
// the first start's figures are those of compiling, the second's those of
// a boot from the compiled copy, the one every later boot makes. The
// results are never nil, even with an error.
func (b *bench) startPeer(ctx context.Context, p *peer, firstListed string) (*results, error) {
	r := &results{rssAfter: map[string]int64{}, samples: map[string][]sample{}, remeasured: map[string]int{}, unkeptSent: map[string]int{}}
	if p.restart {
		c, ready, err := b.startOnce(ctx, p, p.name+"-compiling", firstListed)
		if err != nil {
			return r, err
		}
		_, r.hwmCompiling, err = harness.Memory(c.PID())
		c.Stop()
		if err != nil {
			return r, err
		}
		r.readyCompiling = ready
	}
	c, ready, err := b.startOnce(ctx, p, p.name, firstListed)
	if err != nil {
		return r, err
	}
	p.proc, r.ready = c, ready
	// At rest, not at the first answer: a server goes on starting after
	// it answers (amane builds its console then).
	r.restWait, err = harness.WaitAtRest(ctx, c.PID(), harness.RestQuiet, harness.RestLimit)
	if r.restless = errors.Is(err, harness.ErrBusy); err != nil && !r.restless {
		return r, err
	}
	if r.rssIdle, _, err = harness.Memory(c.PID()); err != nil {
		return r, err
	}
	r.anonIdle, err = harness.Anonymous(c.PID())
	return r, err
}

// startOnce starts p, logging under name, and waits until it is ready.
func (b *bench) startOnce(ctx context.Context, p *peer, name, firstListed string) (*harness.Child, time.Duration, error) {
	c, err := harness.StartChild(name, p.dir, b.cfg.serverCPU, p.argv...)
	if err != nil {
		return nil, 0, err
	}
	p.proc = c // stopped with the others if waiting fails
	probe, check := "ready.bench.amane.", harness.ReadyCheck(harness.AnyAnswer)
	if p.lists && firstListed != "" {
		probe, check = firstListed, blocks(firstListed)
	}
	ready, err := harness.WaitReady(ctx, c, p.addr(), probe, check, b.cfg.readyTimeout)
	return c, ready, err
}

// blocks accepts an answer that is a block in one of the usual styles:
// NXDOMAIN, REFUSED, or NOERROR with a null or block-page address or none,
// anything but the upstream's address. SERVFAIL (say, while loading) is not.
func blocks(name string) harness.ReadyCheck {
	want := fakeupstream.AddrA(name)
	return func(m *dns.Msg) bool {
		switch m.Rcode {
		case dns.RcodeNameError, dns.RcodeRefused:
			return true
		case dns.RcodeSuccess:
		default:
			return false
		}
		for _, rr := range m.Answer {
			if a, ok := rr.(*dns.A); ok && a.A.Equal(want) {
				return false
			}
		}
		return true
	}
}

// warm sends each cached name once to every server.
func (b *bench) warm(ctx context.Context, data string) error {
	for _, p := range b.live() {
		l := load{data: data, outstanding: 100, onePass: true}
		if _, err := runDnsperf(ctx, b.cfg.clientCPU, p.dir, "warm", l, p.port); err != nil {
			return err
		}
	}
	return nil
}

// live returns the peers that run and have not failed.
func (b *bench) live() []*peer {
	var out []*peer
	for _, p := range b.peers {
		if p.proc != nil && b.results[p.name].failed == "" {
			out = append(out, p)
		}
	}
	return out
}

// runPhase runs ph cfg.runs times, each time against every server in turn,
// so that slow drift of the machine spreads over all of them alike.
func (b *bench) runPhase(ctx context.Context, ph phase) error {
	for rep := range b.cfg.runs {
		data, err := ph.data(rep)
		if err != nil {
			return err
		}
		for _, p := range b.live() {
			if ph.name == "blocked" && !p.lists {
				continue
			}
			s, err := b.measureQuiet(ctx, p, ph, data, rep)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				b.fail(p, fmt.Sprintf("%s phase, run %d: %v", ph.name, rep+1, err))
				continue
			}
			b.results[p.name].samples[ph.name] = append(b.results[p.name].samples[ph.name], s)
			b.log.Info("run", "server", p.name, "phase", ph.name, "rep", rep+1,
				"fixed_cpu_us", fmt.Sprintf("%.1f", cpuPerQuery(s.fixedCPU, s.fixed)/1e3),
				"qps", int(s.full.qps), "lost", s.full.lost)
		}
		if ph.name == "miss" {
			if err := b.measureFloor(ctx, ph, data, rep); err != nil {
				return err
			}
		}
		if ph.unique {
			os.Remove(data + ".fixed")
			os.Remove(data + ".full")
		}
	}
	for _, p := range b.live() {
		b.results[p.name].rssAfter[ph.name], _, _ = harness.Memory(p.proc.PID())
	}
	return nil
}

// measureQuiet is measure, done again when the host took more than
// cfg.stealLimit of the CPUs during the fixed-rate run, which gives the
// latencies and the CPU per answer: up to cfg.stealRetries times, keeping
// the run the host took least from. The rule looks at the host, never at
// the figures, and is the same for every server; the table says how many
// runs were measured again. A phase of unique names takes fresh ones for
// each new try, so that no try answers from what another put in the cache.
func (b *bench) measureQuiet(ctx context.Context, p *peer, ph phase, data string, rep int) (sample, error) {
	measure := b.measureRun
	if measure == nil {
		measure = b.measure
	}
	r := b.results[p.name]
	var last sample // the try before
	best, unkept, err := leastDisturbed(b.cfg.stealLimit, b.cfg.stealRetries, stolen, func(try int) (sample, error) {
		d := data
		if try > 0 {
			r.remeasured[ph.name]++
			b.log.Info("run again", "server", p.name, "phase", ph.name, "rep", rep+1, "try", try+1,
				"steal_last", fmt.Sprintf("%.1f%%", 100*stolen(last)), "limit", fmt.Sprintf("%.1f%%", 100*b.cfg.stealLimit))
			if ph.unique {
				var err error
				if d, err = ph.data(rep + try*b.cfg.runs); err != nil {
					return sample{}, err
				}
				defer os.Remove(d + ".fixed")
				defer os.Remove(d + ".full")
			}
		}
		var err error
		last, err = measure(ctx, p, ph, d, rep)
		return last, err
	})
	for _, s := range unkept {
		r.unkeptSent[ph.name] += s.fixed.sent + s.full.sent
	}
	return best, err
}

// leastDisturbed is the rule of measureQuiet, for a server's run and for
// the floor's: it runs try(0), then try(1)..., until the least disturbed
// run so far lost at most limit to steal or retries more were made, and
// returns that run and the others.
func leastDisturbed[T any](limit float64, retries int, stolen func(T) float64, try func(n int) (T, error)) (best T, unkept []T, err error) {
	for n := 0; n <= retries; n++ {
		t, err := try(n)
		if err != nil {
			return t, unkept, err
		}
		switch {
		case n == 0:
			best = t
		case stolen(t) < stolen(best):
			unkept, best = append(unkept, best), t
		default:
			unkept = append(unkept, t)
		}
		if stolen(best) <= limit {
			break
		}
	}
	return best, unkept, nil
}

// stolen is the share of the fixed-rate run the host took from the
// servers' CPU and dnsperf's, both added.
func stolen(s sample) float64 { return float64(s.fixedSteal) / float64(max(1, s.fixedWall)) }

// measure runs the fixed-rate run (for CPU per query and latency) and then
// the full-load run (for qps) of ph against p. Unique names are read in
// disjoint halves of the file: the first by the fixed run, the second by the
// full run, so neither repeats a name.
func (b *bench) measure(ctx context.Context, p *peer, ph phase, data string, rep int) (sample, error) {
	var s sample
	tag := fmt.Sprintf("%s-%d", ph.name, rep+1)
	fixed := load{data: data, duration: b.cfg.fixedDuration, outstanding: ph.outstanding, qps: ph.fixedQPS, onePass: ph.unique, verbose: true}
	full := load{data: data, duration: b.cfg.duration, outstanding: ph.outstanding, onePass: ph.unique}
	if ph.unique {
		fixed.data, full.data = data+".fixed", data+".full"
	}
	for _, run := range []struct {
		l          load
		tag        string
		p          *perf
		cpu, other *time.Duration
		wall       *time.Duration
		drops      *drops
	}{
		{fixed, tag + "-fixed", &s.fixed, &s.fixedCPU, &s.fixedOther, &s.fixedWall, &s.fixedDrops},
		{full, tag + "-full", &s.full, &s.fullCPU, &s.fullOther, &s.fullWall, &s.fullDrops},
	} {
		before, busyBefore, err := b.cpuNow(p)
		if err != nil {
			return s, err
		}
		dropsBefore := b.dropsNow(p)
		stealBefore := b.stealNow()
		start := time.Now()
		if *run.p, err = runDnsperf(ctx, b.cfg.clientCPU, p.dir, run.tag, run.l, p.port); err != nil {
			return s, err
		}
		after, busyAfter, err := b.cpuNow(p)
		if err != nil {
			return s, err
		}
		*run.wall = time.Since(start)
		if run.tag == tag+"-fixed" {
			s.fixedSteal = b.stealNow() - stealBefore
		}
		dropsAfter := b.dropsNow(p)
		*run.drops = drops{dropsAfter.server - dropsBefore.server, dropsAfter.upstream - dropsBefore.upstream}
		*run.cpu = after - before
		*run.other = max(0, busyAfter-busyBefore-*run.cpu)
	}
	if !p.proc.Alive() {
		return s, p.proc.ExitError()
	}
	return s, nil
}

// measureFloor asks the fake upstream directly, with no server between, at
// the miss phase's fixed rate and with the same names: the latency a
// server's misses can never beat on this machine, since dnsperf and the
// upstream share their CPU in every miss run alike. The miss p99 target is
// read beside it.
func (b *bench) measureFloor(ctx context.Context, ph phase, data string, rep int) error {
	if b.upstreamPort == 0 {
		return nil
	}
	l := load{data: data, duration: b.cfg.fixedDuration, outstanding: ph.outstanding, qps: ph.fixedQPS, onePass: ph.unique, verbose: true}
	if ph.unique {
		l.data = data + ".fixed"
	}
	// Measured again, as the servers' runs are, when the host took more
	// than the limit; the least disturbed is kept.
	type floorRun struct {
		p     perf
		steal float64
	}
	run, _, err := leastDisturbed(b.cfg.stealLimit, b.cfg.stealRetries, func(f floorRun) float64 { return f.steal }, func(try int) (floorRun, error) {
		if try > 0 {
			b.floorRemeasured++
		}
		before, start := b.stealNow(), time.Now()
		p, err := runDnsperf(ctx, b.cfg.clientCPU, b.cfg.out, fmt.Sprintf("upstream-alone-%s-%d-%d-fixed", ph.name, rep+1, try+1), l, b.upstreamPort)
		return floorRun{p, float64(b.stealNow()-before) / float64(max(1, time.Since(start)))}, err
	})
	if err != nil {
		return fmt.Errorf("the fake upstream alone: %w", err)
	}
	p := run.p
	b.floor = append(b.floor, p)
	b.log.Info("run", "server", "fake upstream alone", "phase", ph.name, "rep", rep+1, "p99", p.p99Latency)
	return nil
}

// cpuNow returns p's CPU time and the busy time of the servers' CPU.
func (b *bench) cpuNow(p *peer) (server, busy time.Duration, err error) {
	if server, err = harness.CPUTime(p.proc.PID()); err != nil {
		if !p.proc.Alive() {
			return 0, 0, p.proc.ExitError()
		}
		return 0, 0, fmt.Errorf("reading CPU time: %w", err)
	}
	if busy, err = harness.CPUBusy(b.cfg.serverCPU); err != nil {
		return 0, 0, err
	}
	return server, busy, nil
}

// stealNow returns the steal time of the servers' CPU and dnsperf's,
// added; an error (no /proc/stat line) counts as none.
func (b *bench) stealNow() time.Duration {
	server, _ := harness.CPUSteal(b.cfg.serverCPU)
	client, _ := harness.CPUSteal(b.cfg.clientCPU)
	return server + client
}

// fail records that p stopped being measured, and stops it.
func (b *bench) fail(p *peer, why string) {
	b.log.Error("server dropped", "server", p.name, "why", why)
	b.results[p.name].failed = why
	if p.proc != nil {
		p.proc.Stop()
	}
}

// stopAll stops every child of the load test and the upstream; it is safe
// to call more than once.
func (b *bench) stopAll() {
	for _, p := range b.peers {
		if p.proc != nil {
			p.proc.Stop()
		}
	}
	if b.upstream != nil {
		b.upstream.Stop()
	}
}

// runToken returns a label unique to this run of the harness, so the miss
// phase's names are new to every server even if they kept a cache on disk.
func runToken() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// missData returns the data function of the miss phase: per repetition, two
// files of unique names in dir, one for the fixed-rate run (fixed names) and
// one for the full-load run (full names). All servers read the same files:
// each has its own cache.
func missData(dir string, parents []string, fixed, full int) func(int) (string, error) {
	token := runToken()
	return func(rep int) (string, error) {
		base := filepath.Join(dir, fmt.Sprintf("miss-%d.txt", rep+1))
		for i, f := range []struct {
			suffix string
			count  int
		}{{".fixed", fixed}, {".full", full}} {
			t := fmt.Sprintf("%s%d%c", token, rep+1, 'a'+i)
			if err := writeMissQueries(base+f.suffix, parents, t, f.count); err != nil {
				return "", err
			}
		}
		return base, nil
	}
}
