// Command helpline-load simulates appliances posting their daily batch of
// reports to the helpline's intake, with the appliance's own sending code
// (reports.Sender.Post, its backoff and its rules for what to retry), to
// one or more intake URLs in turn, and reports throughput, latency,
// retries and errors. Its last line is
//
//	acknowledged=N batches/s=R p99_ms=P
//
// Usage:
//
//	go run ./bench/cmd/helpline-load -appliances 10000 -url http://127.0.0.1:8443,http://127.0.0.1:8444
//
// Each appliance has its own key (the intake needs no registration: a
// batch names its key and is signed by it) and one batch, signed before
// the clock starts, so that the figures are the helpline's. A failed try
// goes to the next URL, as a retry through a load balancer would.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amane-dns/amane/reports"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "helpline-load:", err)
		os.Exit(1)
	}
}

type options struct {
	appliances, concurrency int
	urls                    []string
	minBackoff, maxBackoff  time.Duration
	timeout                 time.Duration
	day                     string
	seed                    int64
	ackedFile               string
}

func run() error {
	var o options
	var urls string
	flag.IntVar(&o.appliances, "appliances", 1000, "appliances to simulate, one daily batch each")
	flag.StringVar(&urls, "url", "", "the helpline's base URL(s), comma-separated; tried in turn")
	flag.IntVar(&o.concurrency, "concurrency", 64, "appliances posting at the same moment")
	flag.DurationVar(&o.minBackoff, "min-backoff", 500*time.Millisecond, "first wait after a failed try (appliances: 5s)")
	flag.DurationVar(&o.maxBackoff, "max-backoff", 5*time.Second, "longest wait between tries (appliances: 15m)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "one try's timeout, as the appliance's")
	flag.StringVar(&o.day, "day", time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "the day the reports are of")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the reports' contents")
	flag.StringVar(&o.ackedFile, "acked", "", "write the id of each acknowledged batch to this file, one a line")
	flag.Parse()
	if urls == "" || o.appliances < 1 || o.concurrency < 1 || flag.NArg() > 0 {
		return errors.New("want -appliances N -url URL[,URL...]")
	}
	o.urls = strings.Split(urls, ",")

	rng := mrand.New(mrand.NewSource(o.seed))
	zipf := mrand.NewZipf(rng, 1.1, 1, domainPool-1)
	apps := make([]appliance, o.appliances)
	reportsN := 0
	for i := range apps {
		var err error
		if apps[i], err = newAppliance(rng, zipf, o.day); err != nil {
			return err
		}
		reportsN += strings.Count(string(apps[i].body), `"kind"`)
	}
	fmt.Printf("appliances=%d reports=%d urls=%d concurrency=%d\n", o.appliances, reportsN, len(o.urls), o.concurrency)
	r := load(context.Background(), o, apps)
	r.print(o)
	if o.ackedFile != "" {
		if err := os.WriteFile(o.ackedFile, []byte(strings.Join(r.acked, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	if len(r.acked) != o.appliances {
		return fmt.Errorf("%d of %d batches not acknowledged", o.appliances-len(r.acked), o.appliances)
	}
	return nil
}

// result is what a run measured.
type result struct {
	elapsed    time.Duration
	latencies  []time.Duration // of each acknowledged try
	acked      []string        // batch ids
	duplicates int             // acknowledgements as a duplicate
	retries    int             // tries after a failed one
	errors     map[string]int  // failed tries, by kind
	refused    int             // batches refused for good
}

// load delivers every appliance's batch, o.concurrency at a time.
func load(ctx context.Context, o options, apps []appliance) result {
	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency}}
	senders := make([]*reports.Sender, len(o.urls))
	for i, u := range o.urls {
		senders[i] = &reports.Sender{URL: u, Client: client, MinBackoff: o.minBackoff, MaxBackoff: o.maxBackoff}
	}
	var next atomic.Uint64 // the round robin over URLs
	var mu sync.Mutex      // guards r
	r := result{errors: map[string]int{}}
	work := make(chan appliance)
	var wg sync.WaitGroup
	start := time.Now()
	for range o.concurrency {
		wg.Go(func() {
			for a := range work {
				for fails := 0; ; {
					s := senders[next.Add(1)%uint64(len(senders))]
					t0 := time.Now()
					ack, wait, err := s.Post(ctx, a.id, a.body, a.sig)
					lat := time.Since(t0)
					mu.Lock()
					switch {
					case err == nil:
						r.latencies = append(r.latencies, lat)
						r.acked = append(r.acked, a.id)
						if ack.Duplicate {
							r.duplicates++
						}
					case reports.IsFinal(err):
						r.refused++
						r.errors[errKind(err)]++
					default:
						r.retries++
						r.errors[errKind(err)]++
					}
					mu.Unlock()
					if err == nil || reports.IsFinal(err) {
						break
					}
					fails++
					time.Sleep(max(wait, s.Backoff(fails)))
				}
			}
		})
	}
	for _, a := range apps {
		work <- a
	}
	close(work)
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// errKind shortens an error to its kind, for the summary.
func errKind(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return "connection refused"
	case strings.Contains(s, "connection reset"), strings.Contains(s, "EOF"), strings.Contains(s, "server closed idle connection"):
		return "connection lost"
	case strings.Contains(s, "Timeout"), strings.Contains(s, "deadline"):
		return "timeout"
	case strings.Contains(s, "the helpline answered "):
		_, st, _ := strings.Cut(s, "the helpline answered ")
		st, _, _ = strings.Cut(st, ":")
		return st
	}
	return s
}

func (r result) print(o options) {
	slices.Sort(r.latencies)
	pct := func(p float64) float64 {
		if len(r.latencies) == 0 {
			return 0
		}
		i := min(len(r.latencies)-1, int(p*float64(len(r.latencies))))
		return float64(r.latencies[i].Microseconds()) / 1000
	}
	fmt.Printf("elapsed=%s\n", r.elapsed.Round(time.Millisecond))
	fmt.Printf("latency_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f (of acknowledged tries)\n", pct(.5), pct(.9), pct(.99), pct(1))
	fmt.Printf("retries=%d refused=%d duplicates=%d\n", r.retries, r.refused, r.duplicates)
	kinds := make([]string, 0, len(r.errors))
	for k := range r.errors {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Printf("errors %q=%d\n", k, r.errors[k])
	}
	rate := float64(len(r.acked)) / r.elapsed.Seconds()
	fmt.Printf("acknowledged=%d batches/s=%.0f p99_ms=%.1f\n", len(r.acked), rate, pct(.99))
}
