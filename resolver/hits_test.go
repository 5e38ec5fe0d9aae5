package resolver

import (
	"testing"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/reports"
	"github.com/miekg/dns"
)

func TestHitsForTheHelpline(t *testing.T) {
	up := goodUpstream(t)
	h := newTestHandler(t, testConfig(up.addr()), nil)
	pol := filterPolicy(t, "nxdomain", nil, testSet(t, "abuse: csam.example", "ads: ads.example"), "ads")
	h.SetPolicy(pol.WithWatch(testSet(t, "cyberviolence: suspect.example")))
	hits := make(chan reports.Hit, 10)
	h.RecordHits(hits)

	for _, name := range []string{"a.suspect.example", "x.csam.example", "ads.example", "fine.example"} {
		ask(t, h, newQuery(name, dns.TypeA))
	}
	close(hits)
	var got []reports.Hit
	for hit := range hits {
		got = append(got, hit)
	}
	if len(got) != 2 {
		t.Fatalf("hits %+v: want the watched name and the mandatory one, not the ad or the fine name", got)
	}
	w, m := got[0], got[1]
	if w.Kind != reports.Watch || w.Name != "a.suspect.example" || w.Categories != blocklist.CategoriesOf(blocklist.Cyberviolence) {
		t.Fatalf("watch hit %+v", w)
	}
	if m.Kind != reports.Mandatory || m.Name != "x.csam.example" || m.Categories != blocklist.CategoriesOf(blocklist.Abuse) {
		t.Fatalf("mandatory hit %+v", m)
	}
	if d := pol.ListedName(w.Name, true); d != "suspect.example" {
		t.Fatalf("reported as %q, want the listed domain", d)
	}
	if d := pol.ListedName(m.Name, false); d != "csam.example" {
		t.Fatalf("reported as %q, want the listed domain", d)
	}
	if d := pol.ListedName("ads.example", false); d != "" {
		t.Fatalf("an ad is reported as %q: only mandatory categories are", d)
	}
}
