package blocklist

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Stats describes one parse of one list: what was taken and, for each reason
// something was skipped, how often and one example. It is what an operator
// reads to trust a new list ("amane lists check") and what a reload logs.
type Stats struct {
	// Name is the file or list the stats describe, when known.
	Name string
	// Format is the format parsed: the one asked for, or the one detected.
	Format Format
	// Lines counts every line read, comments and blanks included.
	Lines int
	// Accepted counts rules emitted, exceptions included. A hosts line with
	// nine names counts nine; an RPZ list counts "x" and "*.x" as two.
	Accepted int
	// Exceptions counts the accepted rules that allow rather than block.
	Exceptions int

	reasons [numReasons]Skip // indexed by Reason
}

// Skip is the count and first example of one Reason in one parse.
type Skip struct {
	Reason  Reason
	Count   int
	Line    int    // line number of Example
	Example string // the first line skipped for Reason, truncated
}

// Skips returns the reasons that occurred, skips first then notes, in
// Reason order.
func (s *Stats) Skips() []Skip {
	var out []Skip
	for r, k := range s.reasons {
		if k.Count > 0 {
			k.Reason = Reason(r)
			out = append(out, k)
		}
	}
	return out
}

// Skipped returns how many names or lines were skipped for r.
func (s *Stats) Skipped(r Reason) int {
	if r >= numReasons {
		return 0
	}
	return s.reasons[r].Count
}

// SkippedTotal returns how many names or lines were skipped, notes aside.
func (s *Stats) SkippedTotal() int {
	n := 0
	for r, k := range s.reasons {
		if Reason(r).Skips() {
			n += k.Count
		}
	}
	return n
}

// Add merges o into s, for totals over several files. Examples already in s
// are kept.
func (s *Stats) Add(o Stats) {
	s.Lines += o.Lines
	s.Accepted += o.Accepted
	s.Exceptions += o.Exceptions
	for r := range s.reasons {
		if s.reasons[r].Count == 0 {
			s.reasons[r] = o.reasons[r]
			continue
		}
		s.reasons[r].Count += o.reasons[r].Count
	}
}

// Write prints s for people, as `amane lists check FILE...` shows it: the
// format, the counts, and each skip reason with a count and one example.
func (s Stats) Write(w io.Writer) error {
	var b strings.Builder
	name := s.Name
	if name == "" {
		name = "list"
	}
	fmt.Fprintf(&b, "%s: format %s, %d lines, %d names accepted (%d exceptions)\n",
		name, s.Format, s.Lines, s.Accepted, s.Exceptions)
	for _, k := range s.Skips() {
		verb := "skipped"
		if !k.Reason.Skips() {
			verb = "note"
		}
		fmt.Fprintf(&b, "  %s %d: %s\n", verb, k.Count, k.Reason.Description())
		fmt.Fprintf(&b, "      e.g. line %d: %s\n", k.Line, quoteExample(k.Example))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quoteExample makes an example line printable: control bytes (a tab, a
// stray CR) are shown as Go escapes, everything else as it is in the list,
// so that a regex rule stays readable.
func quoteExample(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CheckFile parses the list at path without building anything and returns
// its Stats, for `amane lists check`. The error is for a file that cannot
// be read; bad lines are in the Stats.
func CheckFile(path string, format Format) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("checking list: %w", err)
	}
	defer f.Close()
	st, err := Parse(f, format, func(Rule) {})
	st.Name = path
	if err != nil {
		return st, fmt.Errorf("checking list %s: %w", path, err)
	}
	return st, nil
}
