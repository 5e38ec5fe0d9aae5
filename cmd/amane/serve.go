package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/amane-dns/amane/admin"
	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
	"github.com/amane-dns/amane/internal/watch"
	"github.com/amane-dns/amane/resolver"
)

// shutdownGrace is how long in-flight queries get to finish at shutdown.
const shutdownGrace = 5 * time.Second

func serve(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fl.String("config", "", "configuration file (default: the embedded trial configuration)")
	pprofAddr := fl.String("debug-pprof", "", "serve Go profiles on this loopback address (for measuring, never in production)")
	if rest, err := cliflag.ParseInterleaved(fl, args); err != nil || len(rest) > 0 {
		return errors.Join(err, errors.New("usage: amane serve [-config FILE]"))
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
	app, err := appliance.New(cfg, appliance.Options{Log: log, Level: level})
	if err != nil {
		return err
	}
	app.Start()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if cfg.StateDir != "" {
		if err := serveControl(ctx, app, cfg.StateDir); err != nil {
			log.Warn("no control socket: pause and resume will not reach this daemon", "err", err)
		}
	}
	h := app.Handler()
	srv, err := resolver.Listen(h, cfg.Server.Listen, log)
	if err != nil {
		return err
	}
	srv.Serve()
	// Filtering matters more than the console: a port 80 already taken
	// (a router's own web page) is told, and DNS is answered all the same.
	console, err := startConsole(app, cfg, log)
	if err != nil {
		log.Error("the parents' console is not served; set [admin] listen, or enabled = false", "err", err)
	}
	log.Info("amane is answering", "version", version, "udp", srv.UDPAddrs(), "started_in", time.Since(start).Round(time.Millisecond))

	reload := func() {
		if *path == "" {
			log.Info("reload asked, but amane runs on the embedded configuration: nothing to reload")
			return
		}
		next, err := configs.Load(*path)
		if err == nil {
			err = app.Reload(next)
		}
		if err != nil {
			log.Error("configuration change refused; the running configuration stays", "file", *path, "problems", err.Error())
			return
		}
		log.Info("configuration reloaded", "file", *path)
	}
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
	if console != nil {
		if err := console.Shutdown(sctx); err != nil {
			log.Warn("console shutdown", "err", err)
		}
	}
	stop() // the control socket
	app.Close()
	return nil
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

// startConsole serves the parents' console on [admin] listen, unless
// [admin] enabled = false (nil then).
func startConsole(app *appliance.Appliance, cfg *configs.File, log *slog.Logger) (*admin.Console, error) {
	if !cfg.Admin.Enabled {
		return nil, nil
	}
	addrs := cfg.Admin.Addrs(cfg.Server.Listen, cfg.Path == "")
	console, err := admin.New(app, addrs, admin.Options{Log: log, Version: versionString()})
	if err != nil {
		return nil, err
	}
	if err := console.Serve(addrs); err != nil {
		console.Close()
		return nil, err
	}
	log.Info("the parents' console is served", "addrs", addrs)
	return console, nil
}
