package catalog

import (
	"encoding/json"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// Source is one public list the catalog can fetch for a category.
type Source struct {
	// ID is stable and unique: the name `[catalog]` picks it by, and the
	// file a mirror serves its copy as (Config.Mirror + "/" + ID).
	// Lower-case letters, digits and '-'.
	ID string
	// Name is the list's name for people ("HaGeZi NSFW").
	Name     string
	Category blocklist.Category
	Format   blocklist.Format
	// URLs are the project's own locations, in the order to try: the one
	// it documents first, then its official mirrors. Every URL serves the
	// same file in Format. Hosts are pinned here rather than followed
	// from a redirect: impostor mirrors circulated during HaGeZi's 2026
	// outages.
	URLs []string
	// License is the list's licence as an SPDX id (GPL-3.0 where the
	// project does not say "only" or "or later"); LicenseURL is where the
	// project states it. Homepage is the project.
	License, LicenseURL, Homepage string
	// Size is the number of names the maintainer published (SizeAsOf),
	// the hint the memory check uses before the first fetch.
	Size     int
	SizeAsOf string
	// Window is when the source's own URLs may be fetched; a mirror's
	// copy may be fetched any time.
	Window Window
	// Refresh is how often to ask for a new copy.
	Refresh time.Duration
	// Default is set when the source is fetched for its category unless
	// `[catalog]` picks another; the others are alternatives to pick.
	Default bool
	// Note says what an operator should know: what it covers or misses.
	Note string
}

// MarshalJSON writes s for `amane catalog -json`, with the category and
// format as their ids and the window as text.
func (s Source) MarshalJSON() ([]byte, error) {
	first, mirrors := "", []string(nil)
	if len(s.URLs) > 0 {
		first, mirrors = s.URLs[0], s.URLs[1:]
	}
	return json.Marshal(struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Category   string   `json:"category"`
		URL        string   `json:"url"`
		Mirrors    []string `json:"mirrors,omitempty"`
		Format     string   `json:"format"`
		License    string   `json:"license"`
		LicenseURL string   `json:"license_url"`
		Homepage   string   `json:"homepage"`
		Size       int      `json:"size"`
		SizeAsOf   string   `json:"size_as_of"`
		Window     string   `json:"window"`
		Refresh    string   `json:"refresh"`
		Default    bool     `json:"default"`
		Note       string   `json:"note,omitempty"`
	}{s.ID, s.Name, s.Category.String(), first, mirrors, s.Format.String(), s.License, s.LicenseURL,
		s.Homepage, s.Size, s.SizeAsOf, s.Window.String(), s.Refresh.String(), s.Default, s.Note})
}

// Entry is what the catalog holds for one category.
type Entry struct {
	Category blocklist.Category
	// Sources are the category's sources, defaults first.
	Sources []Source
	// NoDefault says why the category has no default source, for `amane
	// catalog`, `amane doctor` and the README; "" when it has one.
	NoDefault string
}

// Defaults returns the sources fetched for e's category by default.
func (e Entry) Defaults() []Source {
	var out []Source
	for _, s := range e.Sources {
		if s.Default {
			out = append(out, s)
		}
	}
	return out
}

// MarshalJSON writes e as `amane catalog -json` shows one category:
// {"category": "adult", "sources": [...], "no_default": "..."}.
func (e Entry) MarshalJSON() ([]byte, error) {
	srcs := e.Sources
	if srcs == nil {
		srcs = []Source{}
	}
	return json.Marshal(struct {
		Category  string   `json:"category"`
		Sources   []Source `json:"sources"`
		NoDefault string   `json:"no_default,omitempty"`
	}{e.Category.String(), srcs, e.NoDefault})
}

// Entries returns the catalog: one Entry for every category of the
// taxonomy, in the taxonomy's order.
func Entries() []Entry {
	byCat := make([]Entry, blocklist.NumCategories)
	for c := range blocklist.NumCategories {
		byCat[c] = Entry{Category: c, NoDefault: noDefault(c)}
	}
	for _, s := range sources() {
		byCat[s.Category].Sources = append(byCat[s.Category].Sources, s)
	}
	for i := range byCat {
		e := &byCat[i]
		defaults, others := e.Defaults(), []Source{}
		for _, s := range e.Sources {
			if !s.Default {
				others = append(others, s)
			}
		}
		e.Sources = append(defaults, others...)
	}
	return byCat
}

// Lookup returns the source whose ID is id.
func Lookup(id string) (Source, bool) {
	for _, s := range sources() {
		if s.ID == id {
			return s, true
		}
	}
	return Source{}, false
}
