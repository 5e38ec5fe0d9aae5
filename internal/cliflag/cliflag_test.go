package cliflag

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestFlagsBeforeAndAfterNames(t *testing.T) {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	category := fl.String("category", "", "")
	status := fl.Bool("status", false, "")
	pos, err := ParseInterleaved(fl, []string{"-status", "bad.example", "--category", "scam", "other.example"})
	if err != nil || !slices.Equal(pos, []string{"bad.example", "other.example"}) || *category != "scam" || !*status {
		t.Fatalf("pos %q, category %q, status %v, err %v", pos, *category, *status, err)
	}
	if _, err := ParseInterleaved(fl, []string{"x.example", "--nope"}); err == nil {
		t.Fatal("an unknown flag after a name was taken")
	}
	for _, args := range [][]string{{"x.example", "--", "-config"}, {"-", "x.example"}, {"x.example", "--", "y.example", "-z"}} {
		if pos, err := ParseInterleaved(fl, args); err == nil {
			t.Fatalf("%q: a name starting with \"-\" was taken: %q", args, pos)
		}
	}
}
