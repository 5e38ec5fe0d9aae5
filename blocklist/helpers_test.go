package blocklist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir is the shared test data (see shared/data/README.md), read in
// place: its licences differ from the project's, so it is never copied in.
const dataDir = "../../shared/data"

// dataFile returns the path of a shared data file, skipping the test when
// the shared data is not there (a checkout without the workspace).
func dataFile(t testing.TB, rel string) string {
	t.Helper()
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	p := filepath.Join(dataDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared data file missing: %v", err)
	}
	return p
}

// got is a rule as a test compares it: the Name copied out of the callback.
type got struct {
	Name  string
	Kind  Kind
	Scope Scope
	Line  int
}

func (g got) String() string { return fmt.Sprintf("%s %s %s @%d", g.Kind, g.Scope, g.Name, g.Line) }

// parseText parses text in format and returns the rules and stats.
func parseText(t testing.TB, format Format, text string) ([]got, Stats) {
	t.Helper()
	var rules []got
	st, err := Parse(strings.NewReader(text), format, func(r Rule) {
		name := string(r.Name)
		if r.Hashed {
			name = fmt.Sprintf("#%x", r.Digest[:4])
		}
		rules = append(rules, got{Name: name, Kind: r.Kind, Scope: r.Scope, Line: r.Line})
	})
	if err != nil {
		t.Fatalf("Parse(%s): %v", format, err)
	}
	return rules, st
}

// buildText builds a Set from (format, category, text) triples, one list each.
func buildText(t testing.TB, lists ...listSpec) *Set {
	t.Helper()
	b := NewBuilder()
	for _, l := range lists {
		id := b.AddList(l.name, l.cat)
		if _, err := b.Parse(id, strings.NewReader(l.text), l.format); err != nil {
			t.Fatalf("parsing %s: %v", l.name, err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s
}

// listSpec is one list for buildText.
type listSpec struct {
	name   string
	cat    Category
	format Format
	text   string
}

// buildFile builds a Set from one shared data file.
func buildFile(t testing.TB, rel string, format Format) (*Set, Stats) {
	t.Helper()
	f, err := os.Open(dataFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := NewBuilder()
	st, err := b.Parse(b.AddList(rel, Ads), f, format)
	if err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatalf("building %s: %v", rel, err)
	}
	return s, st
}

// eachName calls fn with every clear rule name of a shared data file.
func eachName(t testing.TB, rel string, format Format, fn func(Rule)) {
	t.Helper()
	f, err := os.Open(dataFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Parse(f, format, fn); err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
}
