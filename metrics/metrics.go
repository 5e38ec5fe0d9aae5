// Package metrics serves /metrics in the Prometheus text format: what the
// resolver counted, the answers by type and outcome and the blocks by
// reason and category (from the activity events), the upstreams' latency
// and errors, the lists, feeds and outbox, and the build. No series is
// labelled by client, device or name: a household's graphs must not say
// who asked what.
//
// It is built on VictoriaMetrics/metrics rather than
// prometheus/client_golang: the same text format for a fraction of the
// binary (no protobuf, no procfs), which matters on a 16 MB router flash.
package metrics

import (
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
)

// Sources are where the appliance's figures come from, read at each
// scrape. Any may be nil.
type Sources struct {
	Version string
	// Counters are the resolver's counters by name (resolver.Stats.Snapshot).
	Counters func() map[string]uint64
	// Upstreams are the upstreams' latency histograms and errors.
	Upstreams func() []Upstream
	Lists     func() []List
	Feeds     func() []Feed
	// Outbox is how many reports and batches wait for the helpline; ok is
	// false without an outbox.
	Outbox func() (depth int, ok bool)
}

// Upstream is one upstream's figures.
type Upstream struct {
	Name    string
	Bounds  []time.Duration // upper bounds of Buckets but the last
	Buckets []uint64        // not cumulative; one more than Bounds
	Sum     time.Duration
	Errors  uint64
}

// List is one list source.
type List struct {
	Name    string
	Names   int
	Updated time.Time
	Failing bool
}

// Feed is one signed feed.
type Feed struct {
	Name    string
	Version uint64
}

// Metrics is the /metrics handler. Observe counts answers; ServeHTTP
// writes everything.
type Metrics struct {
	src Sources
	set *vm.Set

	mu      sync.Mutex // guards following
	answers map[counterKey]*vm.Counter
	// last is the counter each kind of key found last: a run of answers
	// of one outcome, or of blocks for one reason and category, is the
	// rule, and comparing a key costs less than hashing it (the map
	// probes were 1.3% of a blocked answer's CPU, perf).
	last [kinds]struct {
		k counterKey
		c *vm.Counter
	}
}

// counterKey names one of Observe's counters without building its name:
// an answer's type and outcome, a block's reason, or a block's category.
// Observe runs for every answer; the name is built once per counter.
type counterKey struct {
	kind  uint8 // kindAnswer, kindReason, kindCategory
	qtype uint16
	label string // the answer's outcome, or the block's reason
	cat   blocklist.Category
}

const (
	kindAnswer = iota
	kindReason
	kindCategory
	kinds
)

var _ http.Handler = (*Metrics)(nil)

// New returns the handler over src.
func New(src Sources) *Metrics {
	m := &Metrics{src: src, set: vm.NewSet(), answers: map[counterKey]*vm.Counter{}}
	m.set.RegisterMetricsWriter(m.writeSources)
	return m
}

// Observe counts one answer by type and outcome, and a block by reason and
// category. It is an activity.Observer: it runs on the writer's goroutine,
// off the hot path.
func (m *Metrics) Observe(ev *activity.Event, _ policy.Identity) {
	outcome := "upstream"
	switch {
	case ev.Blocked():
		outcome = "blocked"
	case ev.Action == policy.Rewrite:
		outcome = "rewritten"
	case ev.Cached:
		outcome = "cached"
	case ev.Upstream == 0:
		outcome = "local"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.incLocked(counterKey{kind: kindAnswer, qtype: ev.QType, label: outcome})
	if !ev.Blocked() {
		return
	}
	m.incLocked(counterKey{kind: kindReason, label: activity.Reason(ev)})
	for cs := uint32(ev.Categories); cs != 0; cs &= cs - 1 {
		m.incLocked(counterKey{kind: kindCategory, cat: blocklist.Category(bits.TrailingZeros32(cs))})
	}
}

// incLocked adds one to k's counter, made on first use; the keys come from
// fixed sets (types, outcomes, reasons, categories), so the map stays
// small.
func (m *Metrics) incLocked(k counterKey) {
	last := &m.last[k.kind]
	if last.c == nil || last.k != k {
		c := m.answers[k]
		if c == nil {
			c = m.set.GetOrCreateCounter(k.name())
			m.answers[k] = c
		}
		last.k, last.c = k, c
	}
	last.c.Inc()
}

// name is k's metric name with its labels.
func (k counterKey) name() string {
	switch k.kind {
	case kindReason:
		return `amane_blocked_total{reason="` + k.label + `"}`
	case kindCategory:
		return `amane_blocked_by_category_total{category="` + k.cat.String() + `"}`
	}
	t := "other"
	if n := activity.TypeName(k.qtype); !strings.HasPrefix(n, "TYPE") {
		t = n
	}
	return `amane_answers_total{type="` + t + `",outcome="` + k.label + `"}`
}

// ServeHTTP writes every metric in the Prometheus text format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}

// counterNames map the resolver's counters to metric names.
var counterNames = map[string]string{
	"queries": "amane_queries_total", "blocked": "amane_queries_blocked_total",
	"cache_hits": "amane_cache_hits_total", "cache_misses": "amane_cache_misses_total",
	"prefetches": "amane_cache_prefetches_total", "stale": "amane_cache_stale_answers_total",
	"refused": "amane_refused_total", "rate_limited": "amane_rate_limited_total",
	"malformed": "amane_malformed_total", "servfail": "amane_servfail_total",
	"rebinding_stripped": "amane_rebinding_stripped_total",
	"uses_dropped":       `amane_dropped_total{what="uses"}`,
	"hits_dropped":       `amane_dropped_total{what="hits"}`,
	"events_dropped":     `amane_dropped_total{what="events"}`,
}

// writeSources writes what is read at scrape time.
func (m *Metrics) writeSources(w io.Writer) {
	fmt.Fprintf(w, "amane_build_info{version=%s,goversion=%s} 1\n", quote(m.src.Version), quote(runtime.Version()))
	if m.src.Counters != nil {
		for k, v := range m.src.Counters() {
			if name, ok := counterNames[k]; ok {
				vm.WriteCounterUint64(w, name, v)
			}
		}
	}
	if m.src.Upstreams != nil {
		for _, u := range m.src.Upstreams() {
			writeHistogram(w, u)
		}
	}
	if m.src.Lists != nil {
		for _, l := range m.src.Lists() {
			lbl := "{source=" + quote(l.Name) + "}"
			vm.WriteGaugeUint64(w, "amane_list_names"+lbl, uint64(l.Names))
			if !l.Updated.IsZero() {
				vm.WriteGaugeUint64(w, "amane_list_last_update_timestamp_seconds"+lbl, uint64(l.Updated.Unix()))
			}
			vm.WriteGaugeUint64(w, "amane_list_failing"+lbl, b2u(l.Failing))
		}
	}
	if m.src.Feeds != nil {
		for _, f := range m.src.Feeds() {
			vm.WriteGaugeUint64(w, "amane_feed_version{feed="+quote(f.Name)+"}", f.Version)
		}
	}
	if m.src.Outbox != nil {
		if n, ok := m.src.Outbox(); ok {
			vm.WriteGaugeUint64(w, "amane_outbox_depth", uint64(n))
		}
	}
}

// writeHistogram writes one upstream's latency as a Prometheus histogram
// (cumulative buckets, le in seconds) and its errors.
func writeHistogram(w io.Writer, u Upstream) {
	lbl := "upstream=" + quote(u.Name)
	var cum uint64
	for i, n := range u.Buckets {
		cum += n
		le := "+Inf"
		if i < len(u.Bounds) {
			le = strconv.FormatFloat(u.Bounds[i].Seconds(), 'g', -1, 64)
		}
		fmt.Fprintf(w, "amane_upstream_duration_seconds_bucket{%s,le=%q} %d\n", lbl, le, cum)
	}
	fmt.Fprintf(w, "amane_upstream_duration_seconds_sum{%s} %g\n", lbl, u.Sum.Seconds())
	fmt.Fprintf(w, "amane_upstream_duration_seconds_count{%s} %d\n", lbl, cum)
	fmt.Fprintf(w, "amane_upstream_errors_total{%s} %d\n", lbl, u.Errors)
}

// quote is a label value: Prometheus escapes backslash, quote and newline.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
