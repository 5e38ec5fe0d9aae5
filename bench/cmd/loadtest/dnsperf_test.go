package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// dnsperfOutput is dnsperf 2.10.0's output with -v, shortened.
const dnsperfOutput = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 15353 -d /tmp/q.txt -n 1 -v -q 10
[Status] Sending queries (to 127.0.0.1:15353)
> NOERROR google.com A 0.000657
> NOERROR gstatic.com A 0.000826
> NXDOMAIN www.gstatic.com A 0.000365
[Timeout] Query timed out: msg id 798
[Status] Testing complete (end of file)

Statistics:

  Queries sent:         4
  Queries completed:    3 (75.00%)
  Queries lost:         1 (25.00%)

  Response codes:       NOERROR 2 (66.67%), NXDOMAIN 1 (33.33%)
  Average packet size:  request 29, response 45
  Run time (s):         0.012
  Queries per second:   250.000000

  Average Latency (s):  0.000616 (min 0.000365, max 0.000826)
  Latency StdDev (s):   0.000190
`

func TestParseDnsperf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(path, []byte(dnsperfOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseDnsperf(path)
	if err != nil {
		t.Fatal(err)
	}
	want := perf{sent: 4, completed: 3, lost: 1, qps: 250, avgLatency: 616 * time.Microsecond,
		p99Latency: 826 * time.Microsecond, maxLatency: 826 * time.Microsecond, rcodes: "NOERROR 2 (66.67%), NXDOMAIN 1 (33.33%)"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseDnsperfWithoutStatistics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	os.WriteFile(path, []byte("[Status] Command line: dnsperf\nError: could not open file\n"), 0o644)
	if _, err := parseDnsperf(path); err == nil {
		t.Fatal("want an error for output without statistics")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"an odd count gives the middle value", []float64{3, 1, 2}, 2},
		{"an even count gives the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"one value is its own median", []float64{7}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestReadNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	list := "# a comment\n0.0.0.0 Ads.Example.com tracker.example.net # inline\nplain.example.org.\n\nlocalhost\nbad..name\nplain.example.org\nwpad.local\n"
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readNames(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ads.example.com", "tracker.example.net", "plain.example.org"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMissParents(t *testing.T) {
	popular := []string{"google.com", "ads.google.com", "x.doubleclick.net", "example.org"}
	list := []string{"doubleclick.net", "ads.google.com"}
	got := missParents(popular, list)
	want := []string{"google.com", "example.org"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q: names in or below the list must go", got, want)
	}
}

func TestARefusalIsNotAnAnswer(t *testing.T) {
	rcodes := "NOERROR 9826 (10.92%), NXDOMAIN 4 (0.00%), REFUSED 80160 (89.07%), SERVFAIL 10 (0.01%)"
	failed, err := failedAnswers(rcodes)
	if err != nil || failed != 80170 {
		t.Fatalf("failedAnswers(%q) = %d, %v; want 80170 (REFUSED and SERVFAIL)", rcodes, failed, err)
	}
	p := perf{completed: 90000, failed: failed, qps: 30000, rcodes: rcodes}
	if got := answeredQPS(p); got != 30000*9830.0/90000 {
		t.Errorf("answeredQPS = %v, want the NOERROR and NXDOMAIN share of 30,000", got)
	}
	if got := cpuPerQuery(9830*time.Microsecond, p); got != float64(time.Microsecond) {
		t.Errorf("cpuPerQuery = %v ns, want 1,000: CPU over the 9,830 answers, not the 90,000 replies", got)
	}
}
