package activity

import (
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestTheTrackerKeepsItsShape checks the counters' invariants after every
// name of streams a device could ask: uniform over many names (every name
// new, the rarest replaced each time), Zipf, and fewer names than
// counters. The counts stay sorted and sum to the names asked (space-saving
// moves a count, it never loses one), every tracked name is found by its
// hash and nothing else is, and a name asked more than N/trackNames times
// is tracked with a count no lower than its true count.
func TestTheTrackerKeepsItsShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	zipf := rand.NewZipf(rng, 1.1, 1, 4999)
	streams := map[string]func() string{
		"uniform over 10,000": func() string { return "www.site" + strconv.Itoa(rng.IntN(10000)) + ".example" },
		"zipf over 5,000":     func() string { return "n" + strconv.FormatUint(zipf.Uint64(), 10) + ".example" },
		"50 names":            func() string { return "few" + strconv.Itoa(rng.IntN(50)) + ".example" },
	}
	for name, next := range streams {
		t.Run(name, func(t *testing.T) {
			tr := newNameTracker(nil)
			truth := map[string]uint32{}
			const n = 20000
			for i := range n {
				q := next()
				truth[q]++
				if c := tr.count(q); c.Name != q {
					t.Fatalf("step %d: counted %q for %q", i, c.Name, q)
				}
				if i%97 == 0 || i == n-1 {
					checkTracker(t, tr, truth, i+1)
				}
			}
		})
	}
}

func checkTracker(t *testing.T, tr *nameTracker, truth map[string]uint32, asked int) {
	t.Helper()
	var sum uint64
	tracked := map[string]uint32{}
	for r := range tr.n {
		if r > 0 && tr.cnt[r-1] > tr.cnt[r] {
			t.Fatalf("after %d: counts out of order at rank %d: %v", asked, r, tr.cnt[:tr.n])
		}
		id := tr.id[r]
		if int(tr.rank[id]) != r {
			t.Fatalf("after %d: counter %d at rank %d says rank %d", asked, id, r, tr.rank[id])
		}
		c := &tr.c[id]
		if got := tr.find(c.Name, c.hash); got != int(id) {
			t.Fatalf("after %d: %q (counter %d) found as %d", asked, c.Name, id, got)
		}
		if _, dup := tracked[c.Name]; dup {
			t.Fatalf("after %d: %q tracked twice", asked, c.Name)
		}
		tracked[c.Name] = tr.cnt[r]
		sum += uint64(tr.cnt[r])
	}
	used := 0
	for _, e := range tr.table {
		if e != 0 {
			used++
		}
	}
	if used != tr.n {
		t.Fatalf("after %d: %d table entries for %d counters", asked, used, tr.n)
	}
	if sum != uint64(asked) {
		t.Fatalf("after %d: the counts sum to %d", asked, sum)
	}
	bound := uint32(asked / trackNames)
	for name, c := range truth {
		got, ok := tracked[name]
		if ok && got < c || !ok && c > bound {
			t.Fatalf("after %d: %q asked %d times, tracked %v with %d (bound %d)", asked, name, c, ok, got, bound)
		}
	}
}

// TestTheAppCacheAnswersAsTheCatalog: a name's app comes from the cache
// as the catalog gives it, the first time and again, "no app" included,
// and names that share a set each keep their own.
func TestTheAppCacheAnswersAsTheCatalog(t *testing.T) {
	appsOnce.Do(loadApps)
	want := func(name string) string {
		if m := apps.matcher.Lookup(name); m.Matched() && m.Service < len(apps.ids) {
			return apps.ids[m.Service]
		}
		return ""
	}
	names := []string{"www.tiktok.com", "v16.tiktokcdn.com", "www.youtube.com", "school.example", "roblox.com", "news.example.org"}
	if want(names[0]) == "" || want(names[3]) != "" {
		t.Fatalf("the catalog no longer has tiktok, or has school.example: pick other names")
	}
	c := new(appCache)
	for round := range 2 {
		for _, n := range names {
			if got := c.of(n, maphash.String(nameSeed, n)); got != want(n) {
				t.Errorf("round %d: %s is in app %q, want %q", round, n, got, want(n))
			}
		}
	}
	// More hashes than a set has slots: each name, asked in turn, is its
	// own.
	const h = 12345
	for round := range 3 {
		for i, n := range []string{"www.tiktok.com", "school.example", "www.youtube.com", "roblox.com", "news.example.org", "v16.tiktokcdn.com"} {
			if got := c.of(n, h+uint64(i)<<20); got != want(n) {
				t.Errorf("round %d, shared set: %s is in app %q, want %q", round, n, got, want(n))
			}
		}
	}
}
