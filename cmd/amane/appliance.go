package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/resolver"
)

// appliance holds what serve changes while it runs: the configuration in
// force, the compiled lists, and the loop that keeps the lists current.
// Every change ends in publish, which compiles one policy snapshot and
// hands it to the resolver whole.
type appliance struct {
	log   *slog.Logger
	level *slog.LevelVar
	h     *resolver.Handler

	pauses *policy.Pauses // never nil
	usage  *policy.Usage  // never nil
	// neighbours is read from [identify] at start; changes take a restart.
	neighbours *policy.Neighbours // never nil

	mu        sync.Mutex // guards following
	cfg       *configs.File
	pol       *policy.Snapshot // the one in force
	set       *blocklist.Set
	mandatory blocklist.Categories  // from the helpline feeds
	watch     *blocklist.Set        // the feeds' watch lists
	feeds     map[int]feed.Snapshot // by index in subscriptions(cfg)
	outbox    *reports.Outbox       // nil without a [helpline] and a state_dir
	// subs are the feed subscriptions, set once by startFeeds.
	subs      []*feed.Subscription
	subsCtx   context.Context
	sources   *blocklist.Sources
	stopLists context.CancelFunc
}

// listsDir is where the last good copies of downloaded lists live.
func listsDir(cfg *configs.File) string { return filepath.Join(stateOrTemp(cfg), "lists") }

// stateOrTemp is the state directory, or without one a temporary directory
// for this run only (the embedded trial configuration keeps nothing).
func stateOrTemp(cfg *configs.File) string {
	if cfg.StateDir != "" {
		return cfg.StateDir
	}
	return runTempDir()
}

// runTempDir is made once per run, the first time it is needed.
var runTempDir = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "amane-state")
	if err != nil {
		return os.TempDir()
	}
	return dir
})

// startLists compiles the configured lists from disk (no network: a cold
// boot filters at once with the last good copies), publishes them, and
// starts the loop that fetches and watches them.
func (a *appliance) startLists() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopLists != nil {
		a.stopLists()
	}
	fromFeeds, mandatory := a.feedSourcesLocked()
	a.mandatory = mandatory
	a.watch = watchSet(a.log, a.feeds)
	a.sources = blocklist.NewSources(append(slices.Clip(a.cfg.Lists), fromFeeds...), listsDir(a.cfg), a.log)
	ctx, cancel := context.WithCancel(context.Background())
	a.stopLists = cancel
	set, err := a.sources.Start(ctx, func(set *blocklist.Set) {
		a.mu.Lock()
		a.set = set
		a.publishLocked()
		a.mu.Unlock()
		debug.FreeOSMemory()
	})
	if err != nil {
		a.log.Error("lists not compiled; the filter applies with the lists compiled before, if any", "err", err)
		a.publishLocked()
		return
	}
	a.set = set
	a.publishLocked() // before the log line: what it says is then true
	// Compiling needs about twice the Set's size for a moment; give that
	// back to the system now rather than over minutes: a router has little.
	debug.FreeOSMemory()
	a.log.Info("lists loaded", "lists", len(a.cfg.Lists)+len(fromFeeds), "names", set.Len())
}

// publishLocked compiles the policy from the filter in force and the
// current lists, and swaps it in.
func (a *appliance) publishLocked() {
	pol, err := policy.NewSnapshot(a.cfg.Policy(), a.set, a.mandatory, feedContacts(a.feeds))
	if err != nil { // the filter was validated with the file; this is a bug
		a.log.Error("policy not compiled; the previous one stays", "err", err)
		return
	}
	for _, c := range pol.Conflicts() {
		a.log.Error("an exemption cannot lift a mandatory block", "problem", c)
	}
	a.pol = pol.WithPauses(a.pauses).WithUsage(a.usage).WithNeighbours(a.neighbours).WithWatch(a.watch)
	a.h.SetPolicy(a.pol)
}

// reload rereads the file at path and swaps in what changed; a file with
// problems is refused and the running configuration kept.
func (a *appliance) reload(path string) {
	if path == "" {
		a.log.Info("reload asked, but amane runs on the embedded configuration: nothing to reload")
		return
	}
	next, err := configs.Load(path)
	if err == nil {
		err = a.h.Reload(next.Resolver())
	}
	if err != nil {
		a.log.Error("configuration change refused; the running configuration stays", "file", path, "problems", err.Error())
		return
	}
	a.mu.Lock()
	running := a.cfg
	a.cfg = next
	if !slices.Equal(next.Server.Listen, running.Server.Listen) {
		a.log.Warn("server.listen changed: it takes effect at the next restart", "running", running.Server.Listen, "file", next.Server.Listen)
	}
	if next.StateDir != running.StateDir {
		a.log.Warn("state_dir changed: it takes effect at the next restart")
		next.StateDir = running.StateDir
	}
	if !reflect.DeepEqual(next.Feeds, running.Feeds) || next.Helpline != running.Helpline {
		a.log.Warn("[[feed]] or [helpline] changed: it takes effect at the next restart")
		next.Feeds, next.Helpline = running.Feeds, running.Helpline
	}
	if !slices.Equal(next.Identify.Leases, running.Identify.Leases) || next.Identify.Neighbours != running.Identify.Neighbours {
		a.log.Warn("identify.leases or identify.neighbours changed: it takes effect at the next restart")
	}
	listsChanged := !reflect.DeepEqual(next.Lists, running.Lists)
	a.publishLocked()
	a.mu.Unlock()
	if listsChanged {
		a.startLists()
	}
	a.level.Set(parseLevel(next.Log.Level))
	a.log.Info("configuration reloaded", "file", path)
	a.pollFeeds()
}

// policy returns the snapshot in force.
func (a *appliance) policy() *policy.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pol
}

func (a *appliance) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopLists != nil {
		a.stopLists()
	}
}
