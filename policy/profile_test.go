package policy

import (
	"strings"
	"testing"
)

// A set skips the suffixes of a length none of its names has, and finds
// every other: names on each side of the words of its length bitmap, and
// the longest a name may be.
func TestNameSetsSkipOnlyLengthsTheyLack(t *testing.T) {
	label := func(n int) string { return strings.Repeat("a", n) }
	var names []string
	for _, n := range []int{1, 62, 63, 64, 65, 126, 127, 128, 191, 192} {
		// A name of exactly n bytes: labels of at most 63, joined by dots.
		var parts []string
		for left := n; left > 0; {
			l := min(left, 63)
			if left > 63 && left-l < 2 {
				l = left - 2
			}
			parts = append(parts, label(l))
			left -= l + 1
		}
		names = append(names, strings.Join(parts, "."))
	}
	// A top-level name, under which none of the others is.
	names[0] = "z"
	// The longest a name may be: 253 bytes.
	longest := label(63) + "." + label(63) + "." + label(63) + "." + label(61)
	names = append(names, longest, "example.org")
	set := newNameSet(names)
	flags := flagSet{}.add(names, flagAlwaysAllow)
	for _, n := range names {
		if len(n) > 253 {
			t.Fatalf("test name of %d bytes", len(n))
		}
		for _, q := range []string{n, "www." + n, "x.y." + n} {
			if len(q) > 253 {
				continue
			}
			if !set.has(q) || flags.of(q) != flagAlwaysAllow {
				t.Errorf("%d-byte name under %d-byte %q: not found", len(q), len(n), n[:min(len(n), 20)])
			}
		}
	}
	for _, q := range []string{"org", "example.com", "b" + names[3], "a." + label(62) + "b"} {
		if set.has(q) || flags.of(q) != 0 {
			t.Errorf("%q found, and is in no set", q)
		}
	}
}
