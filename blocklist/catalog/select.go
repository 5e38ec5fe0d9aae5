package catalog

import (
	"fmt"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// Fetch is one catalog source to fetch and keep as a last good copy.
type Fetch struct {
	Source Source
	// Mirror is the URL of the configured mirror's copy of Source, tried
	// first; "" when no mirror is configured.
	Mirror string
}

// Name is the name the list goes by in blocklist.Sources, logs and
// `amane explain`: "catalog.ID", apart from any [[list]] name a person
// would choose, and a valid file name for its last good copy.
func (f Fetch) Name() string { return "catalog." + f.Source.ID }

// URLs returns every URL of the source in the order to try: the mirror's
// copy first when there is one, then the source's own.
func (f Fetch) URLs() []string {
	if f.Mirror == "" {
		return f.Source.URLs
	}
	return append([]string{f.Mirror}, f.Source.URLs...)
}

// URLsAt returns the URLs that may be asked at t, in the order to try:
// the mirror's copy at any time, the source's own only inside its Window.
func (f Fetch) URLsAt(t time.Time) []string {
	var out []string
	if f.Mirror != "" {
		out = append(out, f.Mirror)
	}
	if f.Source.Window.Allows(t) {
		out = append(out, f.Source.URLs...)
	}
	return out
}

// Next returns when to ask for a new copy after the last success at
// last (zero: never fetched), seen at now: once Refresh has passed, and,
// without a mirror, inside the source's Window. Callers add their own
// jitter, inside the window, so that appliances do not all ask at once.
func (f Fetch) Next(last, now time.Time) time.Time {
	due := now
	if !last.IsZero() && last.Add(f.Source.Refresh).After(now) {
		due = last.Add(f.Source.Refresh)
	}
	if f.Mirror != "" {
		return due
	}
	return f.Source.Window.Next(due)
}

// Unfilled is a category that the policy blocks and that nothing fills:
// no configured list or feed, and no catalog source.
type Unfilled struct {
	Category blocklist.Category
	Reason   string // for `amane doctor` and `amane catalog`
}

// Selection is what Select decided.
type Selection struct {
	// Fetch are the sources to fetch, by category in the taxonomy's
	// order, then in the catalog's order.
	Fetch []Fetch
	// Unfilled are the blocked categories that block nothing.
	Unfilled []Unfilled
}

// Names returns the names the selection's sources hold, by their size
// hints: what the memory check counts before the first fetch.
func (s Selection) Names() int {
	n := 0
	for _, f := range s.Fetch {
		n += f.Source.Size
	}
	return n
}

// Select returns the catalog sources to fetch when the policy blocks the
// categories in blocked (any profile, schedule or [filter]) and the
// configured [[list]]s and feeds already fill those in filled: for each
// category blocked and not filled, the source c picks for it, else its
// defaults, unless c switches the category off. A blocked category that
// is left with nothing is in Unfilled with the reason. c must have
// passed Validate; a source id it names that is not in the catalog is
// reported in Unfilled, never replaced by the defaults.
func Select(c Config, blocked, filled blocklist.Categories) Selection {
	var sel Selection
	for _, e := range Entries() {
		cat := e.Category
		if !blocked.Has(cat) || filled.Has(cat) {
			continue
		}
		if c.Enabled != nil && !*c.Enabled {
			sel.Unfilled = append(sel.Unfilled, Unfilled{cat, "the catalog is switched off ([catalog] enabled = false) and no [[list]] or feed fills it"})
			continue
		}
		cc := c.Category[cat.String()]
		if !cc.enabled() {
			sel.Unfilled = append(sel.Unfilled, Unfilled{cat, fmt.Sprintf("catalog defaults switched off ([catalog.category.%s] enabled = false) and no [[list]] or feed fills it", cat)})
			continue
		}
		picked := e.Defaults()
		if cc.Source != "" {
			s, ok := Lookup(cc.Source)
			if !ok || s.Category != cat {
				sel.Unfilled = append(sel.Unfilled, Unfilled{cat, fmt.Sprintf("[catalog.category.%s] source %q is not a catalog source of %s", cat, cc.Source, cat)})
				continue
			}
			picked = []Source{s}
		}
		if len(picked) == 0 {
			sel.Unfilled = append(sel.Unfilled, Unfilled{cat, e.NoDefault})
			continue
		}
		for _, s := range picked {
			f := Fetch{Source: s}
			if c.Mirror != "" {
				f.Mirror = mirrorURL(c.Mirror, s.ID)
			}
			sel.Fetch = append(sel.Fetch, f)
		}
	}
	return sel
}
