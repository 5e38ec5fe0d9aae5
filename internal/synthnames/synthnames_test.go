package synthnames

import "testing"

func TestDistinctSkipsANameDrawnTwice(t *testing.T) {
	// Repeats are rare, so make one: a generator told that its next name
	// was given already must skip it and give the one after.
	twin := Distinct(7)
	first := string(twin.Next()) // Next reuses its buffer: copy each name before the next call
	second := string(twin.Next())
	g := Distinct(7)
	g.seen[hash([]byte(first))] = struct{}{}
	if got := string(g.Next()); got != second {
		t.Errorf("got %q, want %q: %q was given already", got, second, first)
	}
}

func TestDistinctGivesNewsNamesWithoutRepeats(t *testing.T) {
	all, distinct := New(3), Distinct(3)
	seen := map[string]bool{}
	for range 50_000 {
		n := string(all.Next())
		if seen[n] {
			continue
		}
		seen[n] = true
		if d := string(distinct.Next()); d != n {
			t.Fatalf("Distinct gave %q where New gave the new name %q", d, n)
		}
	}
}
