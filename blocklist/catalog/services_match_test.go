package catalog

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// popularNames returns the Umbrella top 100k names, skipping the test when
// the shared data is not there (a checkout without the workspace).
func popularNames(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "popular/umbrella-top-100k.txt"))
	if os.IsNotExist(err) {
		t.Skipf("shared data not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.ToLower(strings.TrimSpace(sc.Text())); n != "" {
			names = append(names, n)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func index(t testing.TB, id string) int {
	t.Helper()
	s, ok := ByID(id)
	if !ok {
		t.Fatalf("no service %q", id)
	}
	return s.Index
}

func TestLookupFindsTheOwningServices(t *testing.T) {
	m := DefaultMatcher()
	for _, tc := range []struct {
		name, query string
		service     string   // "" for no match
		also        []string // other services in Services
	}{
		{"a CDN name with the trailing dot", "v16.tiktokcdn.com.", "tiktok", []string{"tiktok-lite"}},
		{"the site without it", "www.tiktok.com", "tiktok", []string{"tiktok-lite"}},
		{"a TikTok-only name is not TikTok Lite's", "tiktokcdn-in.com", "tiktok", nil},
		{"the listed domain itself", "tiktokcdn.com.", "tiktok", []string{"tiktok-lite"}},
		{"a host under a parent of another service", "edge-chat.facebook.com.", "messenger", []string{"facebook"}},
		{"the parent alone", "www.facebook.com.", "facebook", nil},
		{"a game under its publisher", "ff.garena.com.", "free-fire", []string{"garena"}},
		{"a Free Fire server", "meevent.ggblueshark.com.", "free-fire", nil},
		{"one host under Google", "chat.google.com.", "google-chat", nil},
		{"Google itself", "www.google.com.", "", nil},
		{"a shared CDN", "gstatic.com.", "", nil},
		{"a name ending like a listed one", "nottiktok.com.", "", nil},
		{"a listed name inside another", "tiktok.com.example.org.", "", nil},
		{"a top-level domain", "com.", "", nil},
		{"the root", ".", "", nil},
		{"empty", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Lookup(tc.query)
			if tc.service == "" {
				if got.Matched() || !got.Services.Empty() {
					t.Fatalf("Lookup(%q) = %+v, want no service", tc.query, got)
				}
				return
			}
			want := index(t, tc.service)
			if got.Service != want {
				t.Errorf("Lookup(%q).Service = %s, want %s", tc.query, Services()[max(got.Service, 0)].ID, tc.service)
			}
			var set ServiceSet
			set.Add(want)
			for _, id := range tc.also {
				set.Add(index(t, id))
			}
			if got.Services != set {
				t.Errorf("Lookup(%q).Services = %v, want %v", tc.query, ids(got.Services), ids(set))
			}
		})
	}
	var nilM *Matcher
	if nilM.Lookup("tiktok.com").Matched() || nilM.Len() != 0 {
		t.Error("a nil Matcher matched")
	}
}

func ids(s ServiceSet) []string {
	var out []string
	for i := range s.All() {
		out = append(out, Services()[i].ID)
	}
	return out
}

// reference is the slow, obvious matcher: every service whose domain is
// the name or a suffix of it at a label boundary; the most specific domain
// names the service, the lowest index on a tie.
func reference(name string) Match {
	name = strings.TrimSuffix(name, ".")
	m, best := Match{Service: -1}, -1
	for _, s := range Services() {
		for _, d := range s.Domains {
			if name == d.Name || strings.HasSuffix(name, "."+d.Name) {
				m.Services.Add(s.Index)
				if len(d.Name) > best {
					m.Service, best = s.Index, len(d.Name)
				}
			}
		}
	}
	return m
}

// TestLookupAgreesWithReference compares the matcher with the reference on
// every listed domain, a name under each and one beside it, and every 20th
// of the 100k most popular names (the reference is quadratic; 5,000 real
// names keep the test to a second or two).
func TestLookupAgreesWithReference(t *testing.T) {
	var names []string
	for _, s := range Services() {
		for _, d := range s.Domains {
			names = append(names, d.Name, "a-b."+d.Name+".", "x"+d.Name)
		}
	}
	if testing.Short() {
		t.Log("short: listed names only")
	} else {
		for i, n := range popularNames(t) {
			if i%20 == 0 {
				names = append(names, n)
			}
		}
	}
	m := DefaultMatcher()
	matched := 0
	for _, n := range names {
		got, want := m.Lookup(n), reference(n)
		if got != want {
			t.Fatalf("Lookup(%q) = %d %v, reference %d %v", n, got.Service, ids(got.Services), want.Service, ids(want.Services))
		}
		if got.Matched() {
			matched++
		}
	}
	t.Logf("%d names, %d matched a service", len(names), matched)
}

func TestLookupDoesNotAllocate(t *testing.T) {
	m := DefaultMatcher()
	names := []string{"v16.tiktokcdn.com.", "edge-chat.facebook.com", "www.example.org.", "com.", ""}
	allocs := testing.AllocsPerRun(1000, func() {
		for _, n := range names {
			m.Lookup(n)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times per run, want 0", allocs)
	}
}

func TestMatchInNamesTheBlockedOwner(t *testing.T) {
	m := DefaultMatcher().Lookup("edge-chat.facebook.com")
	fb, ms, tt := index(t, "facebook"), index(t, "messenger"), index(t, "tiktok")
	for _, tc := range []struct {
		name    string
		blocked []int
		want    int
	}{
		{"both blocked: the most specific", []int{fb, ms}, ms},
		{"only the parent's service blocked", []int{fb}, fb},
		{"only the host's service blocked", []int{ms}, ms},
		{"neither blocked", []int{tt}, -1},
		{"nothing blocked", nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var set ServiceSet
			for _, i := range tc.blocked {
				set.Add(i)
			}
			if got := m.In(set); got != tc.want {
				t.Errorf("In = %d, want %d", got, tc.want)
			}
		})
	}
	if (Match{Service: -1}).In(ServiceSet{^uint64(0)}) != -1 {
		t.Error("no match was found in a full set")
	}
}

func TestServiceSet(t *testing.T) {
	var s ServiceSet
	if !s.Empty() || s.First() != -1 || s.Len() != 0 {
		t.Fatal("the zero set is not empty")
	}
	for _, i := range []int{0, 63, 64, 200, MaxServices - 1} {
		s.Add(i)
	}
	if got := slices.Collect(s.All()); !slices.Equal(got, []int{0, 63, 64, 200, 255}) {
		t.Errorf("All() = %v", got)
	}
	if s.Len() != 5 || s.First() != 0 || !s.Has(200) || s.Has(1) || s.Has(-1) || s.Has(MaxServices) {
		t.Errorf("set %v: Len %d First %d", s, s.Len(), s.First())
	}
	var o ServiceSet
	o.Add(200)
	o.Add(7)
	if !s.Intersects(o) || s.And(o).Len() != 1 || s.Or(o).Len() != 6 {
		t.Errorf("Intersects/And/Or wrong for %v and %v", s, o)
	}
	var p ServiceSet
	p.Add(7)
	if s.Intersects(p) {
		t.Error("disjoint sets intersect")
	}
}

// BenchmarkLookup looks up real names, in the proportion a resolver sees
// them: the 100k most popular names (few are services) and every listed
// service domain under a "www." label, shuffled together.
func BenchmarkLookup(b *testing.B) {
	names := popularNames(b)
	for _, s := range Services() {
		for _, d := range s.Domains {
			names = append(names, "www."+d.Name+".")
		}
	}
	m := DefaultMatcher()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Lookup(names[i])
		if i++; i == len(names) {
			i = 0
		}
	}
}

// BenchmarkLookupParallel asks whether lookups contend: they share only a
// read-only map.
func BenchmarkLookupParallel(b *testing.B) {
	names := popularNames(b)
	m := DefaultMatcher()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Lookup(names[i])
			if i++; i == len(names) {
				i = 0
			}
		}
	})
}

// BenchmarkParseServiceCatalog is the start-up cost of the embedded data.
func BenchmarkParseServiceCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseServiceCatalog(servicesFile, servicesJSON); err != nil {
			b.Fatal(err)
		}
	}
}
