// Command loadtest measures amane beside dnsmasq and unbound with dnsperf, as
// PERFORMANCE.md describes: every server forwards to the same fake upstream,
// each is pinned to one CPU and dnsperf to the other, and each phase (cached,
// blocked with -list or -list-names, miss) runs several times. Then it runs
// the fairness scenario (fairness.go) on amane alone. It prints one markdown
// table of medians with amane's ratio to each peer and its targets, and the
// fairness table, and writes both to results.md. Run it from the repository
// root with bench/run.sh.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// config is the harness's flags.
type config struct {
	repo, out, popular      string
	list, amaneConfig       string
	listNames               int    // generate a list of this many names as -list
	listSeed                uint64 // the generated list's seed
	servers                 []string
	names, runs             int
	duration, fixedDuration time.Duration
	cachedQPS, missQPS      int
	missOutstanding         int
	delay, readyTimeout     time.Duration
	serverCPU, clientCPU    string
	floodTotal              int           // unique names each server is sent in all, miss phase and flood; 0 skips the flood
	floodLimit              time.Duration // the flood's longest run
	stealLimit              float64       // host steal, share of a fixed-rate run, above which it is measured again
	stealRetries            int           // how many times a run is measured again, at most

	fairness     bool // run the fairness scenario (fairness.go) after the load test
	fairnessOnly bool // run the fairness scenario alone
	fairDuration time.Duration
	victimQPS    float64
	floodNames   int
	fairBefore   string // a second amane tree, measured in the same run
	fairPriority string
}

func parseFlags() config {
	var c config
	var servers string
	flag.StringVar(&c.repo, "repo", ".", "the amane repository `dir` (amane is built from its ./cmd/amane)")
	flag.StringVar(&c.out, "out", filepath.Join("bench", "out", time.Now().Format("20060102-150405")), "`dir` for binaries, configs, logs and dnsperf output")
	flag.StringVar(&c.popular, "popular", filepath.Join("..", "shared", "data", "popular", "umbrella-top-100k.txt"), "ranked popular names `file`")
	flag.StringVar(&c.list, "list", "", "block list `file` (domains or hosts lines); enables the blocked phase")
	flag.IntVar(&c.listNames, "list-names", 0, "generate a list of `N` distinct synthetic names (deterministic, from -list-seed) in -out and use it as -list; "+
		"1000000 gives PERFORMANCE.md's list")
	flag.Uint64Var(&c.listSeed, "list-seed", 1, "seed of the -list-names list")
	flag.StringVar(&c.amaneConfig, "amane-config", "", "TOML `file` appended to amane's config, e.g. the section that loads -list")
	flag.StringVar(&servers, "servers", "amane,dnsmasq,unbound", "comma-separated servers to measure")
	flag.IntVar(&c.names, "names", 10000, "popular names in the cached phase, and listed names in the blocked phase")
	flag.IntVar(&c.runs, "runs", 3, "repetitions of each phase; the table gives the median")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of each full-load run")
	flag.DurationVar(&c.fixedDuration, "fixed-duration", 5*time.Second, "length of each fixed-rate run")
	flag.IntVar(&c.cachedQPS, "cached-qps", 40000, "fixed rate for CPU per cached or blocked answer")
	flag.IntVar(&c.missQPS, "miss-qps", 5000, "fixed rate for CPU per miss")
	flag.IntVar(&c.missOutstanding, "miss-outstanding", 500, "dnsperf -q for the miss phase")
	flag.DurationVar(&c.delay, "delay", 20*time.Millisecond, "fake upstream's delay before every answer")
	flag.DurationVar(&c.readyTimeout, "ready-timeout", 2*time.Minute, "longest wait for a server to answer after its start")
	flag.StringVar(&c.serverCPU, "server-cpu", "0", "CPU the servers are pinned to")
	flag.StringVar(&c.clientCPU, "client-cpu", "1", "CPU dnsperf and the fake upstream are pinned to")
	flag.IntVar(&c.floodTotal, "flood-total", targetFlood, "after the miss phase, send each server the unique names it lacks to have been sent `N` in all, at full load, "+
		"then read its RSS (the target \"RSS after a flood of 1M unique names\"); 0 skips it")
	flag.DurationVar(&c.floodLimit, "flood-limit", time.Minute, "longest flood run, per server (a slow server is sent fewer names, and the table says how many)")
	flag.Float64Var(&c.stealLimit, "steal-limit", 0.02, "measure a run again when the host took more than this `share` of its fixed-rate run from the servers' and dnsperf's CPUs (steal, "+
		"both added): its latencies would be the host's")
	flag.IntVar(&c.stealRetries, "steal-retries", 2, "how many times, at most, a run is measured again for the host's steal (the least disturbed is kept); 0 never")
	flag.BoolVar(&c.fairness, "fairness", true, "after the load test, run the fairness scenario: a victim and a flooder behind one forwarder, amane only; -fairness=false skips it")
	flag.BoolVar(&c.fairnessOnly, "fairness-only", false, "run the fairness scenario alone, no load test")
	flag.DurationVar(&c.fairDuration, "fair-duration", 10*time.Second, "length of each fairness run")
	flag.Float64Var(&c.victimQPS, "victim-qps", 50, "the fairness victim's rate")
	flag.IntVar(&c.floodNames, "flood-names", 1_000_000, "unique names the fairness flooder may send, at most")
	flag.StringVar(&c.fairBefore, "fair-before", "", "another amane source `dir` (say, an older commit) measured beside -repo in the fairness run")
	flag.StringVar(&c.fairPriority, "fair-priority", "nice -n -10", "command `prefix` that runs amane, the fake upstream and the victim in the fairness run "+
		"(the flooder runs at nice 19), so that other load on a shared machine stays out of the figures; \"\" leaves them alone")
	flag.Parse()
	c.servers = strings.Split(servers, ",")
	return c
}

func main() {
	cfg := parseFlags()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("loadtest", "err", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *slog.Logger) error {
	for _, tool := range []string{"dnsperf", "taskset", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required: %w", tool, err)
		}
	}
	if cfg.listNames > 0 && cfg.list != "" {
		return errors.New("-list and -list-names both name the list: give one")
	}
	if cfg.fairnessOnly && !cfg.fairness {
		return errors.New("-fairness-only and -fairness=false leave nothing to run")
	}
	// Absolute, because unbound changes its directory and a server's log
	// names files.
	var err error
	if cfg.out, err = filepath.Abs(cfg.out); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	popular, err := readNames(cfg.popular, 0)
	if err != nil {
		return fmt.Errorf("reading popular names: %w", err)
	}
	upBin := filepath.Join(cfg.out, "fakeupstream")
	build := exec.Command("go", "build", "-o", upBin, "./bench/cmd/fakeupstream")
	build.Dir = cfg.repo
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building fakeupstream: %w\n%s", err, out)
	}

	b := &bench{cfg: cfg, log: log, results: map[string]*results{}}
	defer b.stopAll()
	// Each part is printed as it ends, and results.md rewritten with all
	// parts so far: a failure of the fairness scenario keeps the load table.
	var parts []string
	report := func(part string) error {
		if len(parts) > 0 {
			fmt.Println()
		}
		fmt.Print(part)
		parts = append(parts, part)
		return os.WriteFile(filepath.Join(cfg.out, "results.md"), []byte(strings.Join(parts, "\n")), 0o644)
	}
	if !cfg.fairnessOnly {
		table, err := b.runLoad(ctx, upBin, popular)
		if err != nil {
			return err
		}
		if err := report(table); err != nil {
			return err
		}
		// The fairness scenario starts its own amanes and upstream.
		b.stopAll()
	}
	if !cfg.fairness {
		return nil
	}
	table, err := b.runFairness(ctx, upBin, popular)
	if err != nil {
		if ctx.Err() == nil {
			report(fmt.Sprintf("\n## Fairness: not measured\n\n%v\n", err))
		}
		return fmt.Errorf("fairness scenario: %w", err)
	}
	return report(table)
}

// runLoad runs the load test: it starts the fake upstream and the servers,
// runs the phases and returns the table.
func (b *bench) runLoad(ctx context.Context, upBin string, popular []string) (string, error) {
	cfg := b.cfg
	if cfg.listNames > 0 {
		b.cfg.list = filepath.Join(cfg.out, fmt.Sprintf("synthetic-%d-seed%d.domains", cfg.listNames, cfg.listSeed))
		b.listOrigin = fmt.Sprintf(", generated by -list-names %d -list-seed %d", cfg.listNames, cfg.listSeed)
		start := time.Now()
		if err := writeSyntheticList(b.cfg.list, cfg.listNames, cfg.listSeed); err != nil {
			return "", fmt.Errorf("generating the list: %w", err)
		}
		b.log.Info("list generated", "path", b.cfg.list, "names", cfg.listNames, "took", time.Since(start).Round(time.Millisecond))
		cfg = b.cfg
	}
	upstream, err := b.startUpstream(ctx, "fakeupstream", upBin, nil)
	if err != nil {
		return "", fmt.Errorf("starting fake upstream: %w", err)
	}
	lists, err := prepareLists(cfg)
	if err != nil {
		return "", err
	}
	b.listNames = len(lists.names())
	if err := b.setupPeers(upstream, lists, socialNames(popular[:min(cfg.names, len(popular))])); err != nil {
		return "", err
	}
	for _, p := range b.peers {
		if p.missing != "" {
			b.log.Warn("server skipped", "server", p.name, "why", p.missing)
			continue
		}
		r, err := b.startPeer(ctx, p, lists.first())
		b.results[p.name] = r
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			b.fail(p, fmt.Sprintf("start: %v", err))
			continue
		}
		b.log.Info("ready", "server", p.name, "addr", p.addr(), "after", r.ready, "at_rest_after", r.ready+r.restWait)
	}
	if len(b.live()) == 0 {
		return "", errors.New("no server could be started")
	}

	cachedData := filepath.Join(cfg.out, "cached.txt")
	if err := writeQueries(cachedData, popular[:min(cfg.names, len(popular))], "A"); err != nil {
		return "", err
	}
	if err := b.warm(ctx, cachedData); err != nil {
		return "", fmt.Errorf("warming caches: %w", err)
	}
	phases := []phase{{name: "cached", fixedQPS: cfg.cachedQPS, outstanding: 100,
		data: func(int) (string, error) { return cachedData, nil }}}
	if lists != nil {
		phases = append(phases, phase{name: "blocked", fixedQPS: cfg.cachedQPS, outstanding: 100,
			data: func(int) (string, error) { return lists.queries, nil }})
	}
	// The miss phase comes last: it fills the caches with unique names.
	fullMisses := int(cfg.duration.Seconds() * 1.2 * float64(cfg.missOutstanding) / max(cfg.delay.Seconds(), 0.001))
	fixedMisses := int(cfg.fixedDuration.Seconds() * 1.2 * float64(cfg.missQPS))
	parents := missParents(popular, lists.names())
	phases = append(phases, phase{name: "miss", fixedQPS: cfg.missQPS, outstanding: cfg.missOutstanding, unique: true,
		data: missData(cfg.out, parents, fixedMisses, min(fullMisses, 2_000_000))})
	for _, ph := range phases {
		if err := b.runPhase(ctx, ph); err != nil {
			return "", err
		}
	}
	if cfg.floodTotal > 0 {
		if err := b.runFlood(ctx, parents); err != nil {
			return "", err
		}
	}
	for _, p := range b.live() {
		_, b.results[p.name].hwm, _ = harness.Memory(p.proc.PID())
	}
	return b.table(phases, dnsperfVersion()), nil
}

// setupPeers prepares each server named in -servers; social are the names
// amane's household counts as social media (socialNames).
func (b *bench) setupPeers(upstream string, lists *lists, social []string) error {
	for _, name := range b.cfg.servers {
		p, err := newPeer(strings.TrimSpace(name), b.cfg.out)
		if err != nil {
			return err
		}
		switch p.name {
		case "amane":
			err = setupAmane(p, b.cfg.repo, upstream, b.cfg.amaneConfig, lists.amaneFile(), social)
		case "dnsmasq":
			err = setupDnsmasq(p, upstream, lists.dnsmasqFile())
		case "unbound":
			err = setupUnbound(p, upstream, lists.unboundFile())
		default:
			return fmt.Errorf("unknown server %q (want amane, dnsmasq or unbound)", p.name)
		}
		if err != nil {
			return fmt.Errorf("setting up %s: %w", p.name, err)
		}
		b.peers = append(b.peers, p)
	}
	return nil
}

// dnsperfVersion returns dnsperf's "Version x.y.z" line.
func dnsperfVersion() string {
	out, _ := exec.Command("dnsperf", "-h").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Version ") {
			return "dnsperf " + strings.TrimPrefix(line, "Version ")
		}
	}
	return "dnsperf (unknown version)"
}
