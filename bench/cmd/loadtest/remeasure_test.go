package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestARunTheHostDisturbedIsMeasuredAgain: a run whose fixed-rate part lost
// more than the limit to the host's steal is measured again, at most
// stealRetries times, and the least disturbed is kept, whatever its
// figures; a phase of unique names gets fresh names for each try, and the
// names of the runs not kept still count as sent.
func TestARunTheHostDisturbedIsMeasuredAgain(t *testing.T) {
	for _, c := range []struct {
		what     string
		steals   []float64 // share of each try's fixed run, in order
		wantKept float64
		tries    int
	}{
		{"a quiet run", []float64{0.01}, 0.01, 1},
		{"quiet at the second try", []float64{0.10, 0.015}, 0.015, 2},
		{"never quiet: the least disturbed", []float64{0.10, 0.05, 0.30}, 0.05, 3},
		{"the limit itself is quiet enough", []float64{0.02}, 0.02, 1},
	} {
		t.Run(c.what, func(t *testing.T) {
			b := &bench{cfg: config{runs: 3, stealLimit: 0.02, stealRetries: 2}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				results: map[string]*results{"amane": {remeasured: map[string]int{}, unkeptSent: map[string]int{}}}}
			var asked []string
			b.measureRun = func(_ context.Context, _ *peer, _ phase, data string, _ int) (sample, error) {
				s := fakeSample(10*time.Microsecond, time.Duration(len(asked)+1)*time.Millisecond, 1000)
				s.fixedSteal = time.Duration(c.steals[len(asked)] * float64(s.fixedWall))
				asked = append(asked, data)
				return s, nil
			}
			ph := phase{name: "miss", unique: true, data: func(rep int) (string, error) { return fmt.Sprintf("miss-%d", rep+1), nil }}
			got, err := b.measureQuiet(context.Background(), &peer{name: "amane"}, ph, "miss-2", 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(asked) != c.tries || stolen(got) != c.wantKept {
				t.Fatalf("measured %d times (%q), kept the run with %.3f stolen; want %d times, %.3f", len(asked), asked, stolen(got), c.tries, c.wantKept)
			}
			// Rep 2 of 3: its retries read names no other rep or retry reads.
			if want := []string{"miss-2", "miss-5", "miss-8"}[:c.tries]; !slices.Equal(asked, want) {
				t.Errorf("data %q, want %q", asked, want)
			}
			r := b.results["amane"]
			if r.remeasured["miss"] != c.tries-1 || r.unkeptSent["miss"] != 2000*(c.tries-1) {
				t.Errorf("remeasured %d, unkept names %d; want %d, %d", r.remeasured["miss"], r.unkeptSent["miss"], c.tries-1, 2000*(c.tries-1))
			}
		})
	}
}

func TestTheTableSaysWhichRunsWereMeasuredAgain(t *testing.T) {
	b, phases := fakeBench(1_000_000)
	b.cfg.stealLimit, b.cfg.stealRetries = 0.02, 2
	if line := b.remeasuredLine(phases); line != "" {
		t.Errorf("nothing measured again, yet: %q", line)
	}
	b.results["amane"].remeasured = map[string]int{"miss": 2}
	b.results["unbound"].remeasured = map[string]int{"cached": 1, "miss": 1}
	b.floorRemeasured = 1
	want := "more than 2.0% of a fixed-rate run from the CPUs (steal), the least disturbed of up to 3 kept: amane: miss 2; unbound: cached 1, miss 1; the floor: 1."
	if line := b.remeasuredLine(phases); !strings.Contains(line, want) {
		t.Errorf("got %q\nwant it to hold %q", line, want)
	}
}
