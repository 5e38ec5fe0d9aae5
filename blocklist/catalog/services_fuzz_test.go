package catalog

import "testing"

// FuzzParseServiceCatalog feeds the loader arbitrary files: it must return
// an error or a catalog, never panic, and a catalog it accepts must match
// each of its domains to a service owning it.
func FuzzParseServiceCatalog(f *testing.F) {
	f.Add(servicesJSON)
	f.Add([]byte(`{"origins": {"v2fly": {"url": "u", "license": "MIT"}}, "services": [{"id": "a", "group": "social", "names": {"en": "A", "fr": "A", "ar": "أ"}, "domains": [{"name": "a.com", "sources": ["v2fly:a"]}]}]}`))
	f.Add([]byte(`{"services": [{"id": "a-", "domains": [{"name": "..", "sources": [""]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseServiceCatalog("fuzz.json", data)
		if err != nil {
			return
		}
		m := c.Matcher()
		for _, s := range c.Services() {
			for _, d := range s.Domains {
				if got := m.Lookup(d.Name + "."); !got.Services.Has(s.Index) {
					t.Fatalf("%s's domain %q matched %v", s.ID, d.Name, got)
				}
			}
		}
	})
}

// FuzzLookup compares the matcher with the reference on arbitrary names.
func FuzzLookup(f *testing.F) {
	for _, n := range []string{"v16.tiktokcdn.com.", "edge-chat.facebook.com", "ff.garena.com", "com", ".", "", "..tiktok.com", "a..b"} {
		f.Add(n)
	}
	m := DefaultMatcher()
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := m.Lookup(name), reference(name); got != want {
			t.Fatalf("Lookup(%q) = %d %v, reference %d %v", name, got.Service, ids(got.Services), want.Service, ids(want.Services))
		}
	})
}
