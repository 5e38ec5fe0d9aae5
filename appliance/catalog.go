package appliance

import (
	"slices"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
)

// CatalogSelection is what the built-in catalog fetches for cfg with the
// feeds' copies feeds: the default sources of each category the policy
// blocks (or a budget counts) that no [[list]] or feed fills, and the
// blocked categories left with nothing, each with why.
func CatalogSelection(cfg *configs.File, feeds map[int]feed.Snapshot) catalog.Selection {
	pc := cfg.Policy()
	filled := feedCategories(feeds)
	for _, l := range cfg.Lists {
		if c, err := blocklist.ParseCategory(l.Category); err == nil {
			filled = filled.Add(c)
		}
	}
	return catalog.Select(cfg.Catalog, pc.Blocked(), filled)
}

// catalogSources turns a selection into lists for blocklist.Sources: each
// kept as a last good copy like a [[list]], asked at its mirror first and
// at its own servers only in the hours their maintainer allows.
func catalogSources(sel catalog.Selection) []blocklist.SourceConfig {
	var out []blocklist.SourceConfig
	for _, f := range sel.Fetch {
		out = append(out, blocklist.SourceConfig{
			Name: f.Name(), Category: f.Source.Category.String(), Format: f.Source.Format.String(),
			Refresh: f.Source.Refresh, URLsAt: f.URLsAt, NextAt: f.Next,
		})
	}
	return out
}

// sameFetch reports whether two selections fetch the same sources from the
// same places: when they do, a reload keeps the lists it has.
func sameFetch(a, b catalog.Selection) bool {
	return slices.EqualFunc(a.Fetch, b.Fetch, func(x, y catalog.Fetch) bool {
		return x.Source.ID == y.Source.ID && x.Mirror == y.Mirror
	})
}
