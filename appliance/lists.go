package appliance

import (
	"context"
	"log/slog"
	"runtime/debug"
	"slices"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// listBuild is one generation of the lists: the sources it watches, the
// Set they compiled to, and the feeds' contributions it was built with.
type listBuild struct {
	gen       uint64
	sources   *blocklist.Sources
	set       *blocklist.Set // nil when nothing compiled
	err       error
	stop      context.CancelFunc
	mandatory blocklist.Categories
	watch     *blocklist.Set
	contacts  policy.Contacts
	names     int // lists in the build, for the log
	catalog   catalog.Selection
}

// buildLists compiles cfg's lists and the feeds' from disk (no network: a
// cold boot filters at once with the last good copies) under a new
// generation, and starts the loop that fetches and watches them. A later
// Set from that loop is published only while its generation is the newest.
// It is called without a.mu held: compiling a million names takes a while,
// and the control socket must answer meanwhile.
func (a *Appliance) buildLists(cfg *configs.File) *listBuild {
	a.mu.Lock()
	a.gen++
	b := &listBuild{gen: a.gen}
	feeds := a.feeds
	a.mu.Unlock()

	fromFeeds, mandatory := feedSources(feeds)
	b.mandatory, b.contacts = mandatory, feedContacts(feeds)
	b.watch = watchSet(a.log, feeds)
	b.catalog = CatalogSelection(cfg, feeds)
	for _, u := range b.catalog.Unfilled {
		level := slog.LevelWarn
		if u.Category == blocklist.Abuse { // only a helpline's feed can fill it: said once, not as a fault
			level = slog.LevelInfo
		}
		a.log.Log(context.Background(), level, "a blocked category blocks nothing", "category", u.Category.String(), "why", u.Reason)
	}
	srcs := append(append(slices.Clip(cfg.Lists), fromFeeds...), catalogSources(b.catalog)...)
	b.names = len(srcs)
	b.sources = blocklist.NewSources(srcs, ListsDir(cfg), a.log)
	if a.transport != nil {
		b.sources.SetTransport(a.transport)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	set, err := b.sources.Start(ctx, func(set *blocklist.Set) { a.rebuilt(b, set) })
	a.mu.Lock()
	if b.set == nil { // else a rebuild already gave a newer Set
		b.set, b.err = set, err
	}
	a.mu.Unlock()
	if err != nil {
		cancel()
	}
	return b
}

// rebuilt takes a Set that b's sources compiled after a change: it is
// published if b is the lists in force, kept for adoptLocked if b is the
// newest build and not yet adopted, and dropped if a newer build began.
func (a *Appliance) rebuilt(b *listBuild, set *blocklist.Set) {
	a.mu.Lock()
	newest := a.gen == b.gen
	if newest {
		b.set, b.err = set, nil
		if a.sources == b.sources {
			a.set = set
			a.publishLocked()
		}
	}
	a.mu.Unlock()
	if newest {
		debug.FreeOSMemory()
	}
}

// startLists builds the lists for the configuration in force and swaps
// them in, unless a newer build began meanwhile.
func (a *Appliance) startLists() {
	b := a.buildLists(a.Config())
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.adoptLocked(b) {
		return
	}
	a.publishLocked() // before the log line: what it says is then true
	a.logBuild(b)
}

// adoptLocked makes b the lists in force, if no newer build began; it
// reports whether it did.
func (a *Appliance) adoptLocked(b *listBuild) bool {
	if a.gen != b.gen {
		b.stop()
		return false
	}
	if a.stopLists != nil {
		a.stopLists()
	}
	a.sources, a.stopLists = b.sources, b.stop
	a.mandatory, a.watch, a.catalog = b.mandatory, b.watch, b.catalog
	if b.err == nil {
		a.set = b.set
	}
	return true
}

func (a *Appliance) logBuild(b *listBuild) {
	if b.err != nil {
		a.log.Error("lists not compiled; the filter applies with the lists compiled before, if any", "err", b.err)
		return
	}
	// Compiling holds 12 bytes a name of records for a moment; give them
	// back to the system now rather than over minutes: a router has little.
	debug.FreeOSMemory()
	a.log.Info("lists loaded", "lists", b.names, "names", b.set.Len())
}

// currentLocked is the lists in force, as a build.
func (a *Appliance) currentLocked() *listBuild {
	return &listBuild{gen: a.gen, set: a.set, mandatory: a.mandatory, watch: a.watch, contacts: feedContacts(a.feeds)}
}

// compileLocked compiles the policy of cfg over lists.
func (a *Appliance) compileLocked(cfg *configs.File, lists *listBuild) (*policy.Snapshot, error) {
	set := lists.set
	if lists.err != nil {
		set = a.set // the lists compiled before, if any
	}
	pol, err := policy.NewSnapshot(cfg.Policy(), set, lists.mandatory, lists.contacts)
	if err != nil {
		return nil, err
	}
	return pol.WithPauses(a.pauses).WithUsage(a.usage).WithNeighbours(a.neighbours).WithWatch(lists.watch), nil
}

// publishLocked compiles the policy from the configuration in force and
// the current lists, and swaps it in.
func (a *Appliance) publishLocked() {
	pol, err := a.compileLocked(a.cfg, a.currentLocked())
	if err != nil { // the filter was validated with the file; this is a bug
		a.log.Error("policy not compiled; the previous one stays", "err", err)
		return
	}
	a.setPolicyLocked(pol)
}

func (a *Appliance) setPolicyLocked(pol *policy.Snapshot) {
	for _, c := range pol.Conflicts() {
		a.log.Error("an exemption cannot lift a mandatory block", "problem", c)
	}
	a.pol = pol
	a.h.SetPolicy(pol)
	select {
	case a.published <- struct{}{}:
	default:
	}
}

// ListStatus is how each list in force is: names, last update, failures.
func (a *Appliance) ListStatus() []blocklist.SourceStatus {
	a.mu.Lock()
	src := a.sources
	a.mu.Unlock()
	if src == nil {
		return nil
	}
	return src.Status()
}
