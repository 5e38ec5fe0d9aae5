package activity

import (
	"hash/maphash"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/policy"
	bolt "go.etcd.io/bbolt"
)

// Observer sees every event with who sent it, even those the privacy mode
// does not keep (the alerts). It runs on the writer's goroutine, must not
// block, and must not keep ev, which the ring reuses.
type Observer func(*Event, policy.Identity)

// Log is the activity log: recent answers in memory, hourly aggregates in
// bbolt. Run owns the writes; the query methods are safe for concurrent
// use.
type Log struct {
	cfg     Config
	db      *bolt.DB // nil: aggregates are kept in memory only, for the current hour
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
	observe Observer // nil: none
	// who is the identity record found last, for whom: a device's answers
	// come in bursts, and finding it again was a tenth of the writer's
	// work. Only Run's goroutine uses it.
	who struct {
		pol    *policy.Snapshot
		client policy.Client
		id     policy.Identity
	}
	apps *appCache // Run's goroutine's alone, as who

	mu      sync.Mutex // guards following
	devices map[devKey]*deviceLog
	hours   map[hourKey]*Hour // the aggregates not yet written, and the current hour's
	// last is the aggregate hourLocked returned last: a page load is a
	// burst of answers for one device in one hour.
	last    *Hour
	lastKey hourKey
	lastDev *deviceLog // and the device log deviceLocked returned last
	lastDK  devKey
	flushed time.Time // the last write, for Status
}

// devKey is a device: its configured name, or its address when unnamed.
type devKey struct {
	name string
	addr netip.Addr
}

func (k devKey) String() string {
	if k.name != "" {
		return k.name
	}
	return "@" + k.addr.String()
}

type hourKey struct {
	hour uint32 // unix hours
	dev  devKey
}

// deviceLog is one device's recent answers, a ring.
type deviceLog struct {
	ring    []recent
	next    int // where the next entry goes
	full    bool
	profile string
	seen    time.Time
}

// Entry is one answer in the recent log.
type Entry struct {
	At         time.Time     `json:"at"`
	Device     string        `json:"device"`
	Profile    string        `json:"profile"`
	Name       string        `json:"name"`
	Type       string        `json:"type"`
	Blocked    bool          `json:"blocked"`
	Reason     string        `json:"reason,omitempty"` // when blocked: Reason(why, categories)
	Categories []string      `json:"categories,omitempty"`
	App        string        `json:"app,omitempty"` // the catalog id of the app that blocked or counted it
	Cached     bool          `json:"cached"`
	Upstream   time.Duration `json:"upstream_ns,omitempty"`
}

// recent is an answer as a device's ring keeps it: one cache line, with
// nothing built that Recent can build when asked (the type's and the
// categories' names, the reason, the app's id). At 40,000 answers a second
// the writer wrote a 200-byte Entry per answer, and its memory traffic
// slowed the resolver more than its own work did.
type recent struct {
	at       int64 // unix nanoseconds
	name     string
	profile  string
	upstream time.Duration
	cats     blocklist.Categories
	qtype    uint16
	service  uint16 // policy.Decision.Service
	why      policy.Why
	flags    uint8 // recentBlocked, recentMandatory, recentCached
}

const (
	recentBlocked = 1 << iota
	recentMandatory
	recentCached
)

// entry builds the Entry of r, for device.
func (r *recent) entry(device string) Entry {
	e := Entry{At: time.Unix(0, r.at), Device: device, Profile: r.profile, Name: r.name, Type: TypeName(r.qtype),
		Blocked: r.flags&recentBlocked != 0, Cached: r.flags&recentCached != 0, Upstream: r.upstream,
		App: policy.Decision{Service: r.service}.ServiceID()}
	if e.Blocked {
		e.Reason = reason(r.flags&recentMandatory != 0, r.why)
	}
	for _, c := range r.cats.List() {
		e.Categories = append(e.Categories, c.String())
	}
	return e
}

// Options are what the caller decides beyond the configuration.
type Options struct {
	Log      *slog.Logger
	Location *time.Location   // days and hours of the aggregates; nil is time.Local
	Now      func() time.Time // nil is time.Now
	Observe  Observer
}

// New returns a log over db (nil keeps aggregates in memory only). cfg must
// be valid.
func New(db *bolt.DB, cfg Config, opts Options) (*Log, error) {
	appsOnce.Do(loadApps)
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if db != nil {
		if err := db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(hoursBucket)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return &Log{apps: new(appCache), cfg: cfg, db: db, loc: opts.Location, now: opts.Now, log: opts.Log, observe: opts.Observe,
		devices: map[devKey]*deviceLog{}, hours: map[hourKey]*Hour{}}, nil
}

// DrainEvery is how often Run takes what the resolver put in the ring
// while events come; a batch of events waiting (drainBatch) is taken at
// once. After a tick that found none, the writer waits for the next event
// instead, then drains a tick later.
// The writer sleeps between drains instead of waiting for each event: a
// writer woken by every answer would cost the hot path more than the
// answer itself. The ring must hold what arrives while the writer waits
// for the core (4,096 events: 20 ms at 200k queries a second).
const DrainEvery = 20 * time.Millisecond

// Run records the events from r until r is closed, writes the aggregates
// every flushEvery and prunes what is past the retention; it writes what
// is left once r is closed.
func (l *Log) Run(r *Ring, flushEvery time.Duration) {
	drain := time.NewTicker(DrainEvery)
	defer drain.Stop()
	tick := drain.C // nil while the ring is idle
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	for {
		select {
		case <-tick:
		case <-r.Woken():
			if tick == nil { // the first event after a quiet spell: take it a tick later, with those that follow
				drain.Reset(DrainEvery)
				tick = drain.C
				continue
			}
		case <-flush.C:
			l.Flush()
			continue
		}
		closed := r.Closed() // before the drain: what was put before Close is taken
		n := r.Drain(l.record)
		if closed {
			l.Flush()
			return
		}
		if n == 0 && r.Idle() { // nothing came in a whole tick: wait for something to
			drain.Stop()
			tick = nil
		}
	}
}

// Record takes one event, as Run does: for tests and simulations, which
// must not call it while Run runs, nor from two goroutines at once.
func (l *Log) Record(ev Event) { l.record(&ev) }

// record takes one event, which it must not keep: Run hands it the ring's
// slot.
func (l *Log) record(ev *Event) {
	id := l.identify(ev)
	if l.observe != nil {
		l.observe(ev, id)
	}
	if id.Quiet || l.cfg.Log == LogOff {
		return
	}
	names := l.cfg.Log == LogAll || l.cfg.Log == LogChildren && id.Child()
	key := devKey{name: id.Device}
	if key.name == "" {
		key.addr = ev.Client.Addr
	}
	view := ev.nameView()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hourLocked(key, id.Profile, ev.At)
	// A name the hour counts already knows its app and its string: a
	// device asks the same names all day, and matching the catalog and
	// copying the name are most of what an answer costs here.
	var name, app string
	var c *nameCounter
	if names {
		c = h.count(view)
		name = c.Name
	}
	switch {
	case ev.Action == policy.Block:
		// an attempt is no time spent
	case ev.Service > 0:
		app = policy.Decision{Service: ev.Service}.ServiceID()
	case c != nil:
		if !c.appKnown {
			c.app, c.appKnown = l.apps.of(c.Name, c.hash), true
		}
		app = c.app
	default:
		app = l.apps.of(view, maphash.String(nameSeed, view))
	}
	h.add(ev, app)
	if names && l.cfg.Recent > 0 {
		var flags uint8
		if ev.Blocked() {
			flags |= recentBlocked
		}
		if ev.Mandatory {
			flags |= recentMandatory
		}
		if ev.Cached {
			flags |= recentCached
		}
		l.deviceLocked(key, id.Profile, ev.At).add(recent{at: ev.At.UnixNano(), name: name, profile: id.Profile,
			upstream: ev.Upstream, cats: ev.Categories, qtype: ev.QType, service: ev.Service, why: ev.Why, flags: flags})
	}
}

// identify returns who sent ev, as its policy snapshot says.
func (l *Log) identify(ev *Event) policy.Identity {
	if ev.Policy == nil {
		return policy.Identity{Profile: "default"}
	}
	if w := &l.who; w.pol != ev.Policy || w.client != ev.Client {
		w.pol, w.client, w.id = ev.Policy, ev.Client, ev.Policy.Identify(ev.Client)
	}
	return l.who.id
}

// appCacheSize is how many names appCache remembers the app of: more than
// the distinct names a busy home asks in an hour (its 128 KB are touched
// only as names come).
const appCacheSize = 1 << 14

// appCache remembers the app of the names matched last, by the name's
// 64-bit hash (nameSeed), so that a name asked again and again across
// hours and devices is matched against the catalog once: matching was
// half of the writer's work on a child's device (perf, 40,000 answers a
// second).
//
// A name's hash picks a set of four slots (32 bytes: half a cache line,
// the array being page-aligned), and a slot holds the hash's top 48 bits
// with the app below them. With one slot a name, 10,000 names asked in
// turn collided on 46% of them, each matched again at every turn (1% of a
// cached answer's CPU, perf); with four, 23%. A name is trusted to be the
// one hashed: two names of a set whose hashes share their top 48 bits are
// a chance of 2^-46 a lookup, and their cost a minute of use counted in
// the wrong app.
type appCache struct {
	sets [appCacheSize / appWays][appWays]uint64 // most recently used first; 0 empty
}

const (
	appWays    = 4
	appTagMask = ^uint64(0xffff)
)

// of returns the catalog id of the app whose names hold name, as appOf
// does; h is name's hash.
func (c *appCache) of(name string, h uint64) string {
	set, tag := &c.sets[h&(appCacheSize/appWays-1)], h&appTagMask
	at := appWays - 1 // a name not found takes the least recently used slot
	var app uint64    // 1 no app, 2+i the app apps.ids[i]
	for i, slot := range set {
		if slot != 0 && slot&appTagMask == tag {
			at, app = i, slot&^appTagMask
			break
		}
	}
	if app == 0 {
		app = 1
		if m := apps.matcher.Lookup(name); m.Matched() && m.Service < len(apps.ids) {
			app = uint64(m.Service) + 2
		}
	}
	copy(set[1:at+1], set[:at])
	set[0] = tag | app
	if app >= 2 {
		return apps.ids[app-2]
	}
	return ""
}

// The resolver names an answer's app only when a rule about it decided (an
// app blocked, or counted in a budget); the others are matched here, off
// its path, so that a week's chart of apps counts every minute.

// apps is the built-in catalog's matcher and its apps' ids, by index: New
// sets it once, before any event is recorded (the writer matched every new
// name, and finding the catalog twice a name was a twentieth of its work).
// Before that, nothing matches.
var (
	apps struct {
		matcher *catalog.Matcher
		ids     []string
	}
	appsOnce sync.Once
)

func loadApps() {
	apps.matcher = catalog.DefaultMatcher()
	for _, s := range catalog.Services() {
		apps.ids = append(apps.ids, s.ID)
	}
}

// deviceLocked returns key's log, making room for it if it is new.
func (l *Log) deviceLocked(key devKey, profile string, at time.Time) *deviceLog {
	d := l.lastDev
	if d == nil || l.lastDK != key {
		d = l.devices[key]
	}
	if d == nil {
		if len(l.devices) >= MaxDevices {
			var oldest devKey
			first := true
			for k, o := range l.devices {
				if first || o.seen.Before(l.devices[oldest].seen) {
					oldest, first = k, false
				}
			}
			delete(l.devices, oldest)
		}
		d = &deviceLog{ring: make([]recent, l.cfg.Recent)}
		l.devices[key] = d
	}
	d.profile, d.seen = profile, at
	l.lastDev, l.lastDK = d, key
	return d
}

func (d *deviceLog) add(e recent) {
	d.ring[d.next] = e
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
}

// hourLocked returns the aggregate of key's hour at, read back from bbolt
// if this hour was written before (a restart in the middle of it).
func (l *Log) hourLocked(key devKey, profile string, at time.Time) *Hour {
	hk := hourKey{hour: unixHour(at), dev: key}
	if l.last != nil && l.lastKey == hk {
		l.last.Profile, l.last.dirty = profile, true
		return l.last
	}
	h := l.hours[hk]
	if h == nil {
		h = l.readHour(hk)
		if h == nil {
			h = &Hour{}
		}
		h.Device = key.String()
		l.hours[hk] = h
	}
	h.Profile, h.dirty = profile, true
	l.last, l.lastKey = h, hk
	return h
}

func unixHour(t time.Time) uint32 { return uint32(t.Unix() / 3600) }
