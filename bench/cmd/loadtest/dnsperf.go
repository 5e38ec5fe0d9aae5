package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// load is one dnsperf run's shape.
type load struct {
	data        string        // dnsperf data file
	duration    time.Duration // -l; 0 runs until the passes (-n) are done
	outstanding int           // -q
	qps         int           // -Q; 0 saturates
	onePass     bool          // -n 1: every line once at most (unique names stay unique)
	verbose     bool          // -v: one line per answer, for percentiles
	ednsOpt     string        // -E CODE:HEX, an EDNS option in every query; "" none
	nice        int           // nice value (a flooder at 19 beside a measured client); 0 leaves it alone
	keep        bool          // keep a verbose run's output, for a closer look
	prefix      []string      // a command that runs dnsperf, e.g. chrt; applied after nice
}

// perf is what one dnsperf run measured.
type perf struct {
	sent, completed, lost int
	qps                   float64
	avgLatency            time.Duration
	p99Latency            time.Duration // only from verbose runs
	maxLatency            time.Duration // only from verbose runs
	rcodes                string        // "NOERROR 1000 (100.00%)"
	failed                int           // answers REFUSED or SERVFAIL, of those completed
}

// answered is the queries that got an answer other than REFUSED or
// SERVFAIL: a server that refuses what it cannot take (amane over a
// device's share of the upstream) must not count a refusal as a miss
// resolved. NXDOMAIN counts: it is a block or the upstream's answer.
func (p perf) answered() int { return p.completed - p.failed }

// failedAnswers sums the REFUSED and SERVFAIL counts of dnsperf's
// "Response codes" line, e.g. "NOERROR 9826 (10.92%), REFUSED 80170 (89.08%)".
func failedAnswers(rcodes string) (int, error) {
	n := 0
	for _, part := range strings.Split(rcodes, ",") {
		f := strings.Fields(part)
		if len(f) < 2 || f[0] != "REFUSED" && f[0] != "SERVFAIL" {
			continue
		}
		c, err := strconv.Atoi(f[1])
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// dnsperfArgs returns dnsperf's arguments for l against port.
func dnsperfArgs(l load, port int) []string {
	args := []string{"dnsperf", "-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", l.data,
		"-c", "10", "-T", "1", "-q", strconv.Itoa(l.outstanding), "-t", "2"}
	if l.duration > 0 {
		args = append(args, "-l", strconv.FormatFloat(l.duration.Seconds(), 'f', -1, 64))
	}
	if l.qps > 0 {
		args = append(args, "-Q", strconv.Itoa(l.qps))
	}
	if l.onePass {
		args = append(args, "-n", "1")
	}
	if l.verbose {
		args = append(args, "-v")
	}
	if l.ednsOpt != "" {
		args = append(args, "-E", l.ednsOpt)
	}
	args = append(l.prefix[:len(l.prefix):len(l.prefix)], args...)
	if l.nice != 0 {
		args = append([]string{"nice", "-n", strconv.Itoa(l.nice)}, args...)
	}
	return args
}

// runDnsperf runs dnsperf pinned to cpu, its output in a file under dir named
// after tag, and parses that output.
func runDnsperf(ctx context.Context, cpu, dir, tag string, l load, port int) (perf, error) {
	out := filepath.Join(dir, tag+".dnsperf")
	f, err := os.Create(out)
	if err != nil {
		return perf{}, err
	}
	cmd := harness.PinnedCommand(ctx, cpu, dnsperfArgs(l, port)...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	f.Close()
	if err != nil {
		return perf{}, fmt.Errorf("dnsperf %s: %w (see %s)", tag, err, out)
	}
	p, err := parseDnsperf(out)
	if err != nil {
		return perf{}, fmt.Errorf("dnsperf %s: %w", tag, err)
	}
	if !l.verbose || l.keep {
		return p, nil
	}
	// The per-answer lines are only needed for the percentile: drop them, as
	// they are several megabytes a run.
	return p, os.Remove(out)
}

// parseDnsperf reads dnsperf 2.x output: the "Statistics:" block, and with
// -v one "> RCODE name type latency" line per answer.
func parseDnsperf(path string) (perf, error) {
	f, err := os.Open(path)
	if err != nil {
		return perf{}, err
	}
	defer f.Close()
	var p perf
	var lat []float64
	var seen int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "> ") {
			fields := strings.Fields(line)
			if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
				lat = append(lat, v)
			}
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		first, _, _ := strings.Cut(v, " ")
		switch k {
		case "Queries sent":
			p.sent, err = strconv.Atoi(first)
		case "Queries completed":
			p.completed, err = strconv.Atoi(first)
		case "Queries lost":
			p.lost, err = strconv.Atoi(first)
		case "Queries per second":
			p.qps, err = strconv.ParseFloat(first, 64)
		case "Average Latency (s)":
			var s float64
			s, err = strconv.ParseFloat(first, 64)
			p.avgLatency = seconds(s)
		case "Response codes":
			p.rcodes = v
			p.failed, err = failedAnswers(v)
		default:
			continue
		}
		if err != nil {
			return perf{}, fmt.Errorf("parsing %q: %w", line, err)
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return perf{}, err
	}
	if seen < 5 {
		return perf{}, fmt.Errorf("no statistics in %s", path)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		p.p99Latency = seconds(lat[min(len(lat)-1, len(lat)*99/100)])
		p.maxLatency = seconds(lat[len(lat)-1])
	}
	return p, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
