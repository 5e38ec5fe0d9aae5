package appliance

import (
	"log/slog"
	"slices"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// Explanation is what amane decides for one name asked by one device, and
// why: the decision, and every list rule that matched.
type Explanation struct {
	Asked string // as given
	// Invalid is why Asked is not a name amane would be asked ("" when it is).
	Invalid  string
	Name     string // normalized
	Profile  string
	Decision policy.Decision
	Lists    blocklist.Explanation
	// Watched, when not nil, says which helpline watch lists count the
	// name (counted for the helpline, never blocked for it).
	Watched *blocklist.Explanation
}

// Explain says what amane decides now for each name asked by client, with
// the policy and lists in force.
func (a *Appliance) Explain(client policy.Client, names ...string) []Explanation {
	a.mu.Lock()
	pol, set, watch := a.pol, a.set, a.watch
	a.mu.Unlock()
	return explain(pol, set, watch, client, a.now(), names)
}

func explain(pol *policy.Snapshot, set, watch *blocklist.Set, client policy.Client, now time.Time, names []string) []Explanation {
	out := make([]Explanation, 0, len(names))
	for _, raw := range names {
		e := Explanation{Asked: raw}
		name, reason := blocklist.Normalize(raw)
		if reason != blocklist.ReasonNone {
			e.Invalid = reason.String()
			out = append(out, e)
			continue
		}
		e.Name, e.Profile = name, pol.ProfileName(client)
		e.Decision = pol.Decide(client, name, 1, now)
		e.Lists = set.Explain(name)
		if pol.Watched(name) != 0 {
			w := watch.Explain(name)
			e.Watched = &w
		}
		out = append(out, e)
	}
	return out
}

// Offline is what `amane explain` needs without a running daemon: cfg's
// lists and feeds compiled from disk, as the daemon does at boot.
type Offline struct {
	pol        *policy.Snapshot
	set, watch *blocklist.Set
	// NotLoaded are the lists that did not load, each with why.
	NotLoaded []blocklist.SourceStatus
}

// Compile compiles cfg's lists and feeds from disk, with no network.
func Compile(cfg *configs.File) (*Offline, error) {
	quiet := slog.New(slog.DiscardHandler)
	_, snaps := LoadFeeds(quiet, cfg)
	fromFeeds, mandatory := feedSources(snaps)
	srcs := blocklist.NewSources(append(slices.Clip(cfg.Lists), fromFeeds...), ListsDir(cfg), quiet)
	srcs.SetCompiledReadOnly() // the daemon's compiled copy is the daemon's
	set, err := srcs.Build()
	if err != nil {
		return nil, err
	}
	o := &Offline{set: set, watch: watchSet(quiet, snaps)}
	for _, st := range srcs.Status() {
		if st.Err != "" {
			o.NotLoaded = append(o.NotLoaded, st)
		}
	}
	pol, err := policy.NewSnapshot(cfg.Policy(), set, mandatory, feedContacts(snaps))
	if err != nil {
		return nil, err
	}
	o.pol = pol.WithWatch(o.watch)
	return o, nil
}

// Conflicts are the exemptions a mandatory list defeats (policy.Snapshot.Conflicts).
func (o *Offline) Conflicts() []string { return o.pol.Conflicts() }

// Explain is Appliance.Explain over what Compile compiled.
func (o *Offline) Explain(client policy.Client, now time.Time, names ...string) []Explanation {
	return explain(o.pol, o.set, o.watch, client, now, names)
}
