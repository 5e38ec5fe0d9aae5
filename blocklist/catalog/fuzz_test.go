package catalog

import (
	"net/url"
	"strings"
	"testing"

	"github.com/amane-dns/amane/blocklist"
)

// FuzzConfig: Validate never panics, and a Config it accepts makes Select
// return sources of blocked categories only, each with URLs that parse,
// the mirror's (under it, ending in the source id) first.
func FuzzConfig(f *testing.F) {
	f.Add("https://helpline.example/catalog", "adult", "ut1-adult", true, uint32(1<<blocklist.Adult), uint32(0))
	f.Add("http://10.0.0.2/x/", "games", "", false, uint32(1<<blocklist.Games|1<<blocklist.Gambling), uint32(0))
	f.Add("", "abuse", "", true, uint32(0x7ffff), uint32(1<<blocklist.Abuse))
	f.Add("https://h.example/%zz", "Adult", "x", true, uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, mirror, cat, source string, enabled bool, blocked, filled uint32) {
		c := Config{Mirror: mirror, Category: map[string]CategoryConfig{cat: {Source: source, Enabled: &enabled}}}
		if c.Validate() != nil {
			return
		}
		sel := Select(c, blocklist.Categories(blocked), blocklist.Categories(filled))
		for _, fe := range sel.Fetch {
			if !blocklist.Categories(blocked).Has(fe.Source.Category) || blocklist.Categories(filled).Has(fe.Source.Category) {
				t.Fatalf("fetches %s for %s: blocked %b, filled %b", fe.Source.ID, fe.Source.Category, blocked, filled)
			}
			urls := fe.URLs()
			if mirror != "" && (urls[0] != fe.Mirror || !strings.HasSuffix(fe.Mirror, "/"+fe.Source.ID)) {
				t.Fatalf("mirror %q: URLs %q", mirror, urls)
			}
			for _, u := range urls {
				if p, err := url.Parse(u); err != nil || p.Host == "" {
					t.Fatalf("URL %q: %v", u, err)
				}
			}
		}
	})
}
