package catalog

import (
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/fielderr"
)

// Config is the `[catalog]` section of the configuration:
//
//	[catalog]
//	mirror = "https://helpline.example/catalog"   # optional
//
//	[catalog.category.adult]
//	source = "ut1-adult"       # this source instead of the defaults
//
//	[catalog.category.games]
//	enabled = false            # never fetch a default for games
//
// The zero Config fetches every blocked category's defaults from their
// own URLs.
type Config struct {
	// Enabled, when false, fetches nothing from the catalog: every
	// category is filled by [[list]]s and feeds only (nil means true).
	Enabled *bool `toml:"enabled"`
	// Mirror is a server that keeps copies of catalog sources: the copy of
	// source ID is at Mirror + "/" + ID, byte for byte what the source
	// publishes (a UT1 source's copy is its tar.gz). It is tried before the
	// source's own URLs, at any time of day. A school or the helpline
	// sets it so that its appliances keep filtering when a public host is
	// down. http:// or https://, no query; "" for none.
	Mirror string `toml:"mirror"`
	// Category tunes the defaults of categories, by category id.
	Category map[string]CategoryConfig `toml:"category"`
}

// CategoryConfig is one `[catalog.category.ID]` table.
type CategoryConfig struct {
	// Enabled, when false, never fetches a catalog source for the
	// category, even when a profile blocks it (nil means true).
	Enabled *bool `toml:"enabled"`
	// Source is the id of a catalog source of this category to fetch
	// instead of its defaults (`amane catalog` lists them); "" keeps the
	// defaults.
	Source string `toml:"source"`
}

// Validate returns every problem with c, each a *fielderr.Error naming its
// key relative to `[catalog]` ("mirror", "category.adult.source"), for
// fielderr.Within("catalog", ...).
func (c Config) Validate() error {
	var errs []error
	if c.Mirror != "" {
		if err := checkMirror(c.Mirror); err != nil {
			errs = append(errs, fielderr.New("mirror", "%q: %v", c.Mirror, err))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.Category)) {
		errs = append(errs, c.Category[id].validate(id)...)
	}
	return errors.Join(errs...)
}

func (cc CategoryConfig) validate(id string) []error {
	key := "category." + id
	cat, err := blocklist.ParseCategory(id)
	if err != nil || cat.String() != id {
		return []error{fielderr.New(key, "%q is not a category id (%s)", id, categoryIDs())}
	}
	if cc.Source == "" {
		return nil
	}
	if cc.Enabled != nil && !*cc.Enabled {
		return []error{fielderr.New(key+".source", "%q is picked, but enabled = false: remove one of them", cc.Source)}
	}
	s, ok := Lookup(cc.Source)
	switch {
	case !ok:
		return []error{fielderr.New(key+".source", "%q is not a catalog source; %s", cc.Source, sourceChoice(cat))}
	case s.Category != cat:
		return []error{fielderr.New(key+".source", "%q fills %s, not %s; %s", cc.Source, s.Category, cat, sourceChoice(cat))}
	}
	return nil
}

// enabled reports whether the catalog may fill the category.
func (cc CategoryConfig) enabled() bool { return cc.Enabled == nil || *cc.Enabled }

// checkMirror accepts an http or https URL with a host and no query or
// fragment, since source ids are appended to its path.
func checkMirror(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("only http:// and https:// mirrors")
	case u.Host == "":
		return errors.New("no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("no query, fragment or user: source ids are appended to the path")
	}
	return nil
}

// mirrorURL returns where mirror keeps the copy of source id.
func mirrorURL(mirror, id string) string {
	return strings.TrimSuffix(mirror, "/") + "/" + id
}

// sourceChoice names the sources of c, for an error message.
func sourceChoice(c blocklist.Category) string {
	var ids []string
	for _, s := range sources() {
		if s.Category == c {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		return "the catalog has no source for " + c.String()
	}
	return c.String() + " has " + strings.Join(ids, ", ")
}

func categoryIDs() string {
	ids := make([]string, 0, blocklist.NumCategories)
	for c := range blocklist.NumCategories {
		ids = append(ids, c.String())
	}
	return "one of " + strings.Join(ids, ", ")
}
