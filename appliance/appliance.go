package appliance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/metrics"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/resolver"
)

// Options are what the caller decides about an Appliance beyond its
// configuration.
type Options struct {
	// Log receives the appliance's log; never nil after New.
	Log *slog.Logger
	// Level, when set, follows the configuration's log.level on reload.
	Level *slog.LevelVar
	// Now is the clock for operations (nil: time.Now).
	Now func() time.Time
	// Transport, when set, carries the lists' downloads (tests keep them
	// on loopback with it).
	Transport http.RoundTripper
	// Published, when set, is told of each policy published (a reload, a
	// list or feed update), without ever waiting: a test waits on it, a
	// page may refresh on it.
	Published chan<- struct{}
	// Version is the build's, for /metrics.
	Version string
}

// Appliance is one running amane. Its methods are safe for concurrent use.
type Appliance struct {
	log   *slog.Logger
	level *slog.LevelVar // nil: the level is the caller's
	now   func() time.Time
	h     *resolver.Handler
	db    *bolt.DB // nil without a state_dir

	pauses *policy.Pauses // never nil
	usage  *policy.Usage  // never nil
	// neighbours is read from [identify] at start; changes take a restart.
	neighbours *policy.Neighbours // never nil
	outbox     *reports.Outbox    // nil without a [helpline] and a state_dir
	activity   *activity.Log      // never nil after New
	metrics    *metrics.Metrics   // never nil after New
	version    string
	transport  http.RoundTripper // nil: Go's default
	clients    clients           // the devices answered lately
	vendors    vendors           // makers by MAC prefix, where the system has the registry
	alerts     *alert.Alerter    // nil without an [[alert]]

	uses      chan policy.Use
	usageDone chan struct{}
	hits      chan reports.Hit // nil when nothing is counted for the helpline
	hitsDone  chan struct{}
	cacheFile string
	stop      context.CancelFunc // ends every loop Start began
	published chan<- struct{}    // Options.Published

	consoleMu  sync.Mutex     // one console change at a time, each on the last
	events     *activity.Ring // nil without an activity log
	eventsDone chan struct{}

	seenMu sync.Mutex           // guards following
	seen   map[string]time.Time // device key → first listed; loaded on first use

	mu  sync.Mutex // guards following
	cfg *configs.File
	pol *policy.Snapshot // the one in force
	// gen numbers list builds: only the newest may publish, so a build
	// begun under an older configuration or feed never overwrites a newer
	// one (issue 9).
	gen       uint64
	set       *blocklist.Set
	mandatory blocklist.Categories  // from the helpline feeds
	watch     *blocklist.Set        // the feeds' watch lists
	catalog   catalog.Selection     // what the lists in force fetch from the catalog
	feeds     map[int]feed.Snapshot // by index in Subscriptions(cfg)
	subs      []*feed.Subscription  // set once by startFeeds
	subsCtx   context.Context
	sources   *blocklist.Sources
	stopLists context.CancelFunc
}

// New opens the appliance's state (the bbolt file in state_dir, if any)
// and compiles cfg. Nothing runs until Start.
func New(cfg *configs.File, opts Options) (*Appliance, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h, err := resolver.New(cfg.Resolver(), opts.Log, nil)
	if err != nil {
		return nil, err
	}
	db, err := OpenState(cfg)
	if err != nil {
		return nil, err
	}
	a := &Appliance{log: opts.Log, level: opts.Level, now: opts.Now, version: opts.Version, h: h, db: db, cfg: cfg, feeds: map[int]feed.Snapshot{},
		transport: opts.Transport, published: opts.Published, vendors: vendors{path: ouiFile}}
	if a.pauses, err = policy.NewPauses(db); err == nil {
		a.usage, err = policy.NewUsage(db, Location(cfg), a.now())
	}
	if err == nil && cfg.Helpline.Enabled() && db != nil {
		a.outbox, err = reports.OpenOutbox(db, a.log, reports.Limits{})
	}
	if err == nil {
		err = a.newActivity()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, err
	}
	arp := ""
	if cfg.Identify.Neighbours {
		arp = "/proc/net/arp"
	}
	a.neighbours = policy.NewNeighbours(cfg.Identify.Leases, arp)
	a.pol = policy.Allowing()
	return a, nil
}

// Handler is the resolver the listeners serve.
func (a *Appliance) Handler() *resolver.Handler { return a.h }

// Config is the configuration in force.
func (a *Appliance) Config() *configs.File {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// Policy is the snapshot in force.
func (a *Appliance) Policy() *policy.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pol
}

// Start loads the saved cache, the feeds' and lists' copies on disk, and
// starts everything that keeps them current and records what happens:
// usage, the helpline's counts and sender, the feed polls, the lists.
// When it returns, the policy in force filters with what was on disk.
func (a *Appliance) Start() {
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	a.uses = make(chan policy.Use, 4096)
	a.usageDone = make(chan struct{})
	counted := func(k policy.UseKey, minutes int) {
		a.log.Debug("budget minute counted", "device", k.Device, "addr", k.Addr, "budget", k.Budget, "minutes", minutes)
	}
	go func() { a.usage.Run(a.uses, time.Minute, counted); close(a.usageDone) }()
	a.h.RecordUses(a.uses)
	go a.neighbours.Run(ctx)
	a.startReports(ctx)
	a.startActivity(ctx)
	a.startFeeds(ctx)
	a.startLists()
	a.cacheFile = a.loadCache()
}

// startReports starts the outbox's sender and the counter that turns the
// resolver's hits into daily counts. Without a [helpline] (or a state_dir
// to keep an outbox in) nothing is counted or sent.
func (a *Appliance) startReports(ctx context.Context) {
	hc := a.cfg.Helpline
	if !hc.Enabled() {
		return
	}
	if a.outbox == nil {
		a.log.Warn("[helpline] is set but state_dir is empty: its feed is used, but nothing is reported (reports need a durable outbox)")
		return
	}
	loc := Location(a.cfg)
	sender := &reports.Sender{Outbox: a.outbox, URL: hc.URL, Log: a.log, Location: loc,
		CountsAfter: rand.N(2 * time.Hour), Acknowledged: a.reportsAcknowledged}
	go sender.Run(ctx)
	a.hits = make(chan reports.Hit, 1024)
	a.hitsDone = make(chan struct{})
	counter := &reports.Counter{Outbox: a.outbox, ShareAgeBand: hc.ShareAgeBand, Location: loc, Log: a.log,
		Listed: func(h reports.Hit) string {
			return a.Policy().ListedName(h.Name, h.Kind == reports.Watch)
		}}
	go func() { counter.Run(a.hits, time.Minute); close(a.hitsDone) }()
	a.h.RecordHits(a.hits)
}

// loadCache reads the saved cache, if the configuration keeps one, and
// returns the file to save it to at Close ("" for none).
func (a *Appliance) loadCache() string {
	cfg := a.cfg
	if cfg.StateDir == "" || !cfg.Cache.Save {
		return ""
	}
	file := filepath.Join(cfg.StateDir, "cache.bin")
	n, err := a.h.LoadCache(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		a.log.Warn("saved cache not (fully) read", "file", file, "answers", n, "err", err)
	default:
		a.log.Info("saved cache read", "file", file, "answers", n)
	}
	return file
}

// Close ends what Start began and writes what must survive a restart: the
// day's usage, the helpline's counts, the cache. Call it once no listener
// serves the handler any more.
func (a *Appliance) Close() {
	if a.h != nil {
		a.h.Close()
	}
	if a.uses != nil {
		close(a.uses) // no query is answered any more: flush the day's use
		<-a.usageDone
	}
	if a.hits != nil {
		close(a.hits) // and the day's counts for the helpline
		<-a.hitsDone
	}
	a.closeActivity()
	a.mu.Lock()
	if a.stopLists != nil {
		a.stopLists()
	}
	src := a.sources
	a.mu.Unlock()
	if src != nil {
		src.Wait() // nothing writes to the lists' directory after Close
	}
	if a.stop != nil {
		a.stop() // the sender, the feed polls: before the state file closes
	}
	if a.cacheFile != "" {
		n, err := a.h.SaveCache(a.cacheFile)
		if err != nil {
			a.log.Warn("cache not saved", "file", a.cacheFile, "err", err)
		} else {
			a.log.Info("cache saved", "file", a.cacheFile, "answers", n)
		}
	}
	if a.db != nil {
		a.db.Close()
	}
}

// OpenState opens the appliance's bbolt file in the state directory (nil
// without one). A second daemon on the same state directory is refused
// rather than left waiting for the lock.
func OpenState(cfg *configs.File) (*bolt.DB, error) {
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

// Location is the configuration's time zone (validated with the file).
func Location(cfg *configs.File) *time.Location {
	if cfg.Timezone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

// ListsDir is where the last good copies of downloaded lists live.
func ListsDir(cfg *configs.File) string { return filepath.Join(stateOrTemp(cfg), "lists") }

// stateOrTemp is the state directory, or without one a temporary directory
// for this run only (the embedded trial configuration keeps nothing).
func stateOrTemp(cfg *configs.File) string {
	if cfg.StateDir != "" {
		return cfg.StateDir
	}
	return runTempDir()
}

// runTempDir is made once per process, the first time it is needed.
var runTempDir = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "amane-state")
	if err != nil {
		return os.TempDir()
	}
	return dir
})
