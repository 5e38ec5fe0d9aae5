// Command loadtest measures amane beside dnsmasq and unbound with dnsperf, as
// PERFORMANCE.md describes: every server forwards to the same fake upstream,
// each is pinned to one CPU and dnsperf to the other, and each phase (cached,
// blocked with -list, miss) runs several times. It prints one markdown table
// of medians with amane's ratio to each peer. Run it from the repository root
// with bench/run.sh.
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
	servers                 []string
	names, runs             int
	duration, fixedDuration time.Duration
	cachedQPS, missQPS      int
	missOutstanding         int
	delay, readyTimeout     time.Duration
	serverCPU, clientCPU    string

	fairness     bool // run only the fairness scenario (fairness.go)
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
	flag.BoolVar(&c.fairness, "fairness", false, "run only the fairness scenario: a victim and a flooder behind one forwarder, amane only")
	flag.DurationVar(&c.fairDuration, "fair-duration", 10*time.Second, "length of each fairness run")
	flag.Float64Var(&c.victimQPS, "victim-qps", 50, "the fairness victim's rate")
	flag.IntVar(&c.floodNames, "flood-names", 1_000_000, "unique names the fairness flooder may send, at most")
	flag.StringVar(&c.fairBefore, "fair-before", "", "another amane source `dir` (say, an older commit) measured beside -repo in the fairness run")
	flag.StringVar(&c.fairPriority, "fair-priority", "nice -n -10", "command `prefix` that runs amane, the fake upstream and the victim in the fairness run "+
		"(the flooder runs at nice 19), so that other load on a shared machine stays out of the figures, e.g. \"chrt -f 10\"; \"\" leaves them alone")
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
	upstream, err := b.startUpstream(ctx, upBin)
	if err != nil {
		return fmt.Errorf("starting fake upstream: %w", err)
	}
	if cfg.fairness {
		return b.runFairness(ctx, upstream, popular)
	}
	lists, err := prepareLists(cfg)
	if err != nil {
		return err
	}
	if err := b.setupPeers(upstream, lists); err != nil {
		return err
	}
	for _, p := range b.peers {
		if p.missing != "" {
			log.Warn("server skipped", "server", p.name, "why", p.missing)
			continue
		}
		if err := b.startPeer(ctx, p, lists.first()); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.fail(p, fmt.Sprintf("start: %v", err))
			continue
		}
		log.Info("ready", "server", p.name, "addr", p.addr(), "after", b.results[p.name].ready)
	}
	if len(b.live()) == 0 {
		return errors.New("no server could be started")
	}

	cachedData := filepath.Join(cfg.out, "cached.txt")
	if err := writeQueries(cachedData, popular[:min(cfg.names, len(popular))], "A"); err != nil {
		return err
	}
	if err := b.warm(ctx, cachedData); err != nil {
		return fmt.Errorf("warming caches: %w", err)
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
	phases = append(phases, phase{name: "miss", fixedQPS: cfg.missQPS, outstanding: cfg.missOutstanding, unique: true,
		data: missData(cfg.out, missParents(popular, lists.names()), fixedMisses, min(fullMisses, 2_000_000))})
	for _, ph := range phases {
		if err := b.runPhase(ctx, ph); err != nil {
			return err
		}
	}
	for _, p := range b.live() {
		_, b.results[p.name].hwm, _ = harness.Memory(p.proc.PID())
	}
	table := b.table(phases, dnsperfVersion())
	fmt.Print(table)
	return os.WriteFile(filepath.Join(cfg.out, "results.md"), []byte(table), 0o644)
}

// setupPeers prepares each server named in -servers.
func (b *bench) setupPeers(upstream string, lists *lists) error {
	for _, name := range b.cfg.servers {
		p, err := newPeer(strings.TrimSpace(name), b.cfg.out)
		if err != nil {
			return err
		}
		switch p.name {
		case "amane":
			err = setupAmane(p, b.cfg.repo, upstream, b.cfg.amaneConfig, lists.amaneFile())
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
