package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/watch"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/resolver"
	bolt "go.etcd.io/bbolt"
)

// shutdownGrace is how long in-flight queries get to finish at shutdown.
const shutdownGrace = 5 * time.Second

func serve(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fl.String("config", "", "configuration file (default: the embedded trial configuration)")
	pprofAddr := fl.String("debug-pprof", "", "serve Go profiles on this loopback address (for measuring, never in production)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr); err != nil {
			return err
		}
	}
	start := time.Now()
	cfg := configs.Default()
	var watcher *watch.Watcher
	var watchErr error
	if *path != "" {
		// Watch before reading: a save in between is then a reload, not lost.
		watcher, watchErr = configs.Watch(*path)
		var err error
		if cfg, err = configs.Load(*path); err != nil {
			return fmt.Errorf("configuration refused:\n%w", err)
		}
	}
	level := new(slog.LevelVar)
	log := newLogger(cfg.Log, level)
	if *path == "" {
		log.Warn("no -config given: running on the embedded default configuration, "+
			"answering this machine only, forwarding to family-filtering public resolvers", "listen", cfg.Server.Listen)
	}

	setMemoryLimit(log, cfg)
	h, err := resolver.New(cfg.Resolver(), log, nil)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	db, err := openState(cfg)
	if err != nil {
		return err
	}
	if db != nil {
		defer db.Close()
	}
	pauses, err := policy.NewPauses(db)
	if err != nil {
		return err
	}
	usage, err := policy.NewUsage(db, location(cfg), time.Now())
	if err != nil {
		return err
	}
	uses := make(chan policy.Use, 4096)
	usageDone := make(chan struct{})
	go func() { usage.Run(uses, time.Minute); close(usageDone) }()
	h.RecordUses(uses)
	arp := ""
	if cfg.Identify.Neighbours {
		arp = "/proc/net/arp"
	}
	neighbours := policy.NewNeighbours(cfg.Identify.Leases, arp)
	go neighbours.Run(ctx)
	app := &appliance{log: log, level: level, h: h, cfg: cfg, pauses: pauses, usage: usage, neighbours: neighbours}
	hits, hitsDone, err := app.startReports(ctx, db)
	if err != nil {
		return err
	}
	app.startFeeds(ctx)
	app.startLists()
	defer app.stop()
	cacheFile := loadCache(log, h, cfg)
	if cfg.StateDir != "" {
		if err := app.serveControl(ctx, cfg.StateDir); err != nil {
			log.Warn("no control socket: pause and resume will not reach this daemon", "err", err)
		}
	}
	srv, err := resolver.Listen(h, cfg.Server.Listen, log)
	if err != nil {
		return err
	}
	// The UDP read loops block in the kernel, each holding a P: give Go
	// code its full share of the CPUs besides (see Server.ReadLoops).
	runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), runtime.NumCPU()+srv.ReadLoops()))
	srv.Serve()
	log.Info("amane is answering", "version", version, "udp", srv.UDPAddrs(), "started_in", time.Since(start).Round(time.Millisecond))

	reload := func() { app.reload(*path) }
	switch {
	case watcher != nil:
		go watcher.Run(ctx, 500*time.Millisecond, reload)
	case watchErr != nil:
		log.Warn("not watching the configuration file; reload with SIGHUP", "err", watchErr)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			reload()
			continue
		}
		break
	}
	log.Info("stopping: finishing the queries in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	h.Close()
	close(uses) // no query is answered any more: flush the day's use
	<-usageDone
	if hits != nil {
		close(hits) // and the day's counts for the helpline
		<-hitsDone
	}
	stop() // the sender, the feed polls, the control socket: before the state file closes
	if cacheFile != "" {
		n, err := h.SaveCache(cacheFile)
		if err != nil {
			log.Warn("cache not saved", "file", cacheFile, "err", err)
		} else {
			log.Info("cache saved", "file", cacheFile, "answers", n)
		}
	}
	return nil
}

// startReports opens the report outbox and starts its sender, and the
// counter that turns the resolver's hits into daily counts; it returns the
// hits channel, to close at shutdown, and a channel closed once the counts
// are written. Without a [helpline] (or a state_dir to keep an outbox in)
// nothing is counted or sent.
func (a *appliance) startReports(ctx context.Context, db *bolt.DB) (chan reports.Hit, chan struct{}, error) {
	hc := a.cfg.Helpline
	if !hc.Enabled() {
		return nil, nil, nil
	}
	if db == nil {
		a.log.Warn("[helpline] is set but state_dir is empty: its feed is used, but nothing is reported (reports need a durable outbox)")
		return nil, nil, nil
	}
	outbox, err := reports.OpenOutbox(db, a.log, reports.Limits{})
	if err != nil {
		return nil, nil, err
	}
	a.outbox = outbox
	loc := location(a.cfg)
	sender := &reports.Sender{Outbox: outbox, URL: hc.URL, Log: a.log, Location: loc,
		CountsAfter: rand.N(2 * time.Hour)}
	go sender.Run(ctx)
	hits := make(chan reports.Hit, 1024)
	done := make(chan struct{})
	counter := &reports.Counter{Outbox: outbox, ShareAgeBand: hc.ShareAgeBand, Location: loc, Log: a.log,
		Listed: func(h reports.Hit) string {
			if pol := a.policy(); pol != nil {
				return pol.ListedName(h.Name, h.Kind == reports.Watch)
			}
			return ""
		}}
	go func() { counter.Run(hits, time.Minute); close(done) }()
	a.h.RecordHits(hits)
	return hits, done, nil
}

// loadCache reads the saved cache, if the configuration keeps one, and
// returns the file to save it to at shutdown ("" for none).
func loadCache(log *slog.Logger, h *resolver.Handler, cfg *configs.File) string {
	if cfg.StateDir == "" || !cfg.Cache.Save {
		return ""
	}
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		log.Warn("state directory unusable: the cache will not be saved", "dir", cfg.StateDir, "err", err)
		return ""
	}
	file := filepath.Join(cfg.StateDir, "cache.bin")
	n, err := h.LoadCache(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		log.Warn("saved cache not (fully) read", "file", file, "answers", n, "err", err)
	default:
		log.Info("saved cache read", "file", file, "answers", n)
	}
	return file
}

func newLogger(c configs.LogConfig, level *slog.LevelVar) *slog.Logger {
	level.Set(parseLevel(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	l.UnmarshalText([]byte(s))
	return l
}

// setMemoryLimit gives the Go collector a soft limit so that a flood of
// unique names (every one a new cache entry) cannot push RSS to twice the
// live heap, as the default GOGC=100 would: a router has 128 MB for
// everything. The limit is the cache's bound plus room for the rest; an
// operator's own GOMEMLIMIT wins.
func setMemoryLimit(log *slog.Logger, cfg *configs.File) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(cfg.Cache.Memory) + 48<<20
	debug.SetMemoryLimit(limit)
	log.Debug("Go memory limit set", "bytes", limit)
}

// openState opens the appliance's bbolt file in the state directory (nil
// without one). A second daemon on the same state directory is refused
// rather than left waiting for the lock.
func openState(cfg *configs.File) (*bolt.DB, error) {
	if cfg.StateDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.StateDir, "amane.db")
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening %s (is another amane running with this state_dir?): %w", path, err)
	}
	return db, nil
}

// location is the configuration's time zone (validated with the file).
func location(cfg *configs.File) *time.Location {
	if cfg.Timezone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}
