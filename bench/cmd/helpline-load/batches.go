package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand"
	"sort"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/reports"
)

// A day of one appliance, as its outbox seals it: the day's counts merged
// by (kind, category, age band, domain) — lookups of watched names and
// attempts at mandatory categories — and now and then a parent's manual
// report with a note. Domains are drawn from a Zipf distribution over a
// pool, as real reports are: a few names are everywhere, most are rare.
const (
	domainPool   = 5000
	meanCounts   = 8    // count entries in a day's batch, on average
	manualChance = 0.05 // an appliance with a manual report that day
	ageBandShare = 0.3  // owners who opted in to share the age band
)

var (
	watchCategories     = []string{"abuse", "cyberviolence", "scam", "phishing", "drugs"}
	mandatoryCategories = []string{"abuse", "adult", "malware", "phishing"}
	ageBands            = []string{"under-9", "9-12", "13-17", "adult"}
)

// appliance is one simulated appliance: its key and its day's batch,
// signed once, sent again byte for byte on every retry.
type appliance struct {
	id   string
	body []byte
	sig  string
}

// newAppliance makes appliance i's key and signs its batch of day.
func newAppliance(rng *mrand.Rand, zipf *mrand.Zipf, day string) (appliance, error) {
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		return appliance{}, err
	}
	band := ""
	if rng.Float64() < ageBandShare {
		band = ageBands[rng.Intn(len(ageBands))]
	}
	type mergeKey struct {
		kind     reports.Kind
		category string
		domain   string
	}
	counts := map[mergeKey]uint32{}
	n := 1 + rng.Intn(2*meanCounts)
	for range n {
		k := mergeKey{kind: reports.Watch, category: watchCategories[rng.Intn(len(watchCategories))]}
		if rng.Intn(3) == 0 {
			k = mergeKey{kind: reports.Mandatory, category: mandatoryCategories[rng.Intn(len(mandatoryCategories))]}
		}
		k.domain = fmt.Sprintf("site%d.example", zipf.Uint64())
		counts[k] += 1 + uint32(rng.ExpFloat64()*4)
	}
	var rs []reports.Report
	for k, c := range counts {
		rs = append(rs, reports.Report{Kind: k.kind, Domain: k.domain, Category: k.category, Day: day, Count: c, AgeBand: band})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Domain < rs[j].Domain })
	if rng.Float64() < manualChance {
		rs = append(rs, reports.Report{Kind: reports.Manual, Domain: fmt.Sprintf("site%d.example", zipf.Uint64()),
			Category: "cyberviolence", Day: day, Count: 1, Note: "my daughter was sent this link by a stranger", AgeBand: band})
	}
	var raw [16]byte
	rand.Read(raw[:])
	b := reports.Batch{ID: hex.EncodeToString(raw[:]), Reports: rs}
	body, sig, err := reports.SignBatch(b, key)
	return appliance{id: b.ID, body: body, sig: sig}, err
}
