package blocklist

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// semanticsSet is a small Set whose lists exercise every rule of DESIGN.md.
func semanticsSet(t testing.TB) *Set {
	return buildText(t,
		listSpec{"ads", Ads, FormatAdblock, strings.Join([]string{
			"||example.com^",          // line 1: subtree
			"@@||good.example.com^",   // line 2: exception below a block
			"||bad.good.example.com^", // line 3: block below the exception
			"|exact.org^",             // line 4: exact only
			".below.net^",             // line 5: strictly below
			"||both.io^",              // line 6: also in the malware list
		}, "\n")},
		listSpec{"malware", Malware, FormatDomains, "both.io\nevil.both.io\ntracker.example.com\n"},
		listSpec{"allow", Other, FormatAdblock, "@@||tracker.example.com^\n"},
	)
}

func TestLookupSemantics(t *testing.T) {
	s := semanticsSet(t)
	for _, c := range []struct {
		name      string
		query     string
		cats      Categories
		allowed   Categories
		exception bool
		list      string
		line      int
	}{
		{"a listed name is blocked", "example.com", CategoriesOf(Ads), 0, false, "ads", 1},
		{"blocking a name blocks its subdomains", "a.b.example.com", CategoriesOf(Ads), 0, false, "ads", 1},
		{"a parent of a listed name is not blocked", "com", 0, 0, false, "", 0},
		{"a name that only ends like a listed one is not blocked", "notexample.com", 0, 0, false, "", 0},
		{"an exception allows the name", "good.example.com", 0, CategoriesOf(Ads), true, "ads", 2},
		{"an exception allows its subdomains", "x.good.example.com", 0, CategoriesOf(Ads), true, "ads", 2},
		{"a block more specific than the exception wins", "x.bad.good.example.com", CategoriesOf(Ads), CategoriesOf(Ads), false, "ads", 3},
		{"an exception in another list beats a block at the same name", "tracker.example.com", 0,
			CategoriesOf(Ads, Malware), true, "allow", 1},
		{"an exact rule blocks the name", "exact.org", CategoriesOf(Ads), 0, false, "ads", 4},
		{"an exact rule does not block subdomains", "www.exact.org", 0, 0, false, "", 0},
		{"a below rule does not block the name", "below.net", 0, 0, false, "", 0},
		{"a below rule blocks subdomains", "cdn.below.net", CategoriesOf(Ads), 0, false, "ads", 5},
		{"a name in two lists has both categories", "both.io", CategoriesOf(Ads, Malware), 0, false, "ads", 6},
		{"categories of parents add up", "evil.both.io", CategoriesOf(Ads, Malware), 0, false, "malware", 2},
		{"upper case and a trailing dot are folded", "WWW.Example.COM.", CategoriesOf(Ads), 0, false, "ads", 1},
		{"an empty name matches nothing", "", 0, 0, false, "", 0},
		{"a name longer than DNS allows still matches its parents", strings.Repeat("a.", 200) + "example.com",
			CategoriesOf(Ads), 0, false, "ads", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := s.Lookup(c.query)
			if m.Categories != c.cats || m.Allowed != c.allowed || m.Exception != c.exception {
				t.Fatalf("Lookup(%q) = %+v; want categories %s, allowed %s, exception %v",
					c.query, m, c.cats, c.allowed, c.exception)
			}
			if m.Blocked() != (c.cats != 0) {
				t.Errorf("Blocked() = %v", m.Blocked())
			}
			if c.list == "" {
				if m.Matched() {
					t.Errorf("Matched() with no rule: %+v", m)
				}
				return
			}
			// Lookup names the list; Explain names the line too (Lookup
			// leaves lines alone: see table).
			r := s.Explain(c.query).Match.Rule
			if l := s.Lists()[r.List]; l.Name != c.list || r.Line != c.line || m.Rule.List != r.List {
				t.Errorf("rule = list %q line %d (Lookup: list %d), want list %q line %d", l.Name, r.Line, m.Rule.List, c.list, c.line)
			}
		})
	}
}

func TestHashedEntriesMatchLikeNames(t *testing.T) {
	var hashed strings.Builder
	for _, n := range []string{"abuse.example", "exact.example"} {
		d, _ := HashName(n)
		hashed.WriteString(hex.EncodeToString(d[:]) + "\n")
	}
	s := buildText(t,
		listSpec{"helpline", Abuse, FormatHashed, hashed.String()},
		listSpec{"allow", Other, FormatDomains, ""},
		listSpec{"exceptions", Other, FormatAdblock, "@@||ok.abuse.example^\n"},
	)
	for _, c := range []struct {
		name    string
		query   string
		blocked bool
	}{
		{"a hashed name is blocked", "abuse.example", true},
		{"the subdomains of a hashed name are blocked", "a.b.abuse.example", true},
		{"a clear exception below a hashed block allows", "www.ok.abuse.example", false},
		{"an unlisted name is not blocked", "example", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := s.Lookup(c.query)
			if m.Blocked() != c.blocked || (c.blocked && m.Categories != CategoriesOf(Abuse)) {
				t.Errorf("Lookup(%q) = %+v", c.query, m)
			}
		})
	}
	if e := s.Explain("x.abuse.example"); len(e.Hits) != 1 || !e.Hits[0].Hashed || e.Hits[0].List.Name != "helpline" {
		t.Errorf("Explain = %+v", e)
	}
}

func TestExplainNamesTheRules(t *testing.T) {
	s := semanticsSet(t)
	e := s.Explain("x.bad.good.example.com")
	want := []string{"bad.good.example.com", "good.example.com", "example.com"}
	if len(e.Hits) != len(want) {
		t.Fatalf("hits = %+v", e.Hits)
	}
	for i, h := range e.Hits {
		if h.Name != want[i] || h.Self {
			t.Errorf("hit %d = %+v, want %s as a parent", i, h, want[i])
		}
	}
	text := e.String()
	for _, part := range []string{"listed as ads", `list "ads" (ads) line 3`, "allows its subdomains"} {
		if !strings.Contains(text, part) {
			t.Errorf("Explain text lacks %q:\n%s", part, text)
		}
	}
	if got := s.Explain("unlisted.example").String(); got != "unlisted.example: not listed" {
		t.Errorf("unlisted: %q", got)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	s := semanticsSet(t)
	var hashed strings.Builder
	d, _ := HashName("abuse.example")
	hashed.WriteString(hex.EncodeToString(d[:]))
	withHashed := buildText(t, listSpec{"h", Abuse, FormatHashed, hashed.String()})
	for _, q := range []string{"x.bad.good.example.com", "WWW.EXAMPLE.COM.", "miss.example.org"} {
		if n := testing.AllocsPerRun(100, func() { s.Lookup(q) }); n != 0 {
			t.Errorf("Lookup(%q) allocated %.0f times", q, n)
		}
		if n := testing.AllocsPerRun(100, func() { withHashed.Lookup(q) }); n != 0 {
			t.Errorf("Lookup(%q) with a hashed list allocated %.0f times", q, n)
		}
	}
}

func TestNilAndEmptySetsMatchNothing(t *testing.T) {
	var s *Set
	if s.Lookup("example.com").Matched() || s.Len() != 0 || s.Explain("a.com").Match.Matched() {
		t.Error("a nil Set matched")
	}
	empty, err := NewBuilder().Build()
	if err != nil || empty.Lookup("example.com").Matched() || empty.Len() != 0 {
		t.Errorf("an empty Set matched: %v", err)
	}
}

func TestBuilderRejectsMisuse(t *testing.T) {
	t.Run("an invalid category fails the build", func(t *testing.T) {
		b := NewBuilder()
		b.AddList("x", NumCategories)
		if _, err := b.Build(); err == nil {
			t.Error("no error")
		}
	})
	t.Run("a rule for an undeclared list fails the build", func(t *testing.T) {
		b := NewBuilder()
		b.Add(3, Rule{Name: []byte("a.com")})
		if _, err := b.Build(); err == nil {
			t.Error("no error")
		}
	})
	t.Run("an invalid name is refused by AddName", func(t *testing.T) {
		b := NewBuilder()
		if err := b.AddName(b.AddList("x", Ads), "a..com", Block, Subtree); err == nil {
			t.Error("no error")
		}
	})
}

func TestDuplicatesAreMerged(t *testing.T) {
	s := buildText(t, listSpec{"dups", Ads, FormatAdblock, "||188Betcn2.com^\n||188betcn2.com^\n||188betcn2.com^\n"})
	if s.Len() != 1 {
		t.Errorf("Len = %d, want 1", s.Len())
	}
	if m := s.Explain("188betcn2.com").Match; m.Rule.Line != 1 {
		t.Errorf("cites line %d, want the first, 1", m.Rule.Line)
	}
}

// TestLookupAgreesWithReference compares Lookup with the map-based
// reference of fuzz_test.go on random rules over a few labels, so that
// rules nest deeply, queries cross Lookup's batches of 8 suffixes, and
// exceptions, scopes and lists mix.
func TestLookupAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "c", "ads", "x-y", "_t"}
	name := func(max int) string {
		parts := make([]string, 1+rng.IntN(max))
		for i := range parts {
			parts[i] = labels[rng.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	for round := range 20 {
		b, ref := NewBuilder(), newRefSet()
		cats := []Category{Ads, Adult, Malware}
		for l, c := range cats {
			b.AddList(fmt.Sprint("list", l), c)
		}
		for line := 1; line <= 60; line++ {
			r := Rule{Name: []byte(name(12)), Kind: Kind(rng.IntN(2)), Scope: Scope(rng.IntN(3)), Line: line}
			if rng.IntN(8) == 0 {
				r.Digest, r.Hashed = sha256.Sum256(r.Name), true
			}
			l := rng.IntN(len(cats))
			b.Add(l, r)
			ref.add(l, cats[l], r)
		}
		s, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		queries := make([]string, 300)
		for i := range queries {
			queries[i] = name(20)
		}
		t.Run(fmt.Sprintf("round %d agrees on 300 deep names", round), func(t *testing.T) {
			compareWithRef(t, s, ref, queries)
			blocked, excepted := 0, 0
			for _, q := range queries {
				m := s.Lookup(q)
				blocked += int(m.Categories.Len())
				if m.Exception {
					excepted++
				}
			}
			if blocked+excepted < 30 {
				t.Errorf("too few matches to mean much: %d block categories, %d exceptions", blocked, excepted)
			}
		})
	}
}
