package metrics

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestMetricsParseAndNameNoClient(t *testing.T) {
	m := New(Sources{
		Version:  "1.2.3",
		Counters: func() map[string]uint64 { return map[string]uint64{"queries": 7, "cache_hits": 3, "events_dropped": 1} },
		Upstreams: func() []Upstream {
			return []Upstream{{Name: "tls://family.example", Bounds: []time.Duration{10 * time.Millisecond, time.Second},
				Buckets: []uint64{2, 1, 1}, Sum: 1500 * time.Millisecond, Errors: 4}}
		},
		Lists:  func() []List { return []List{{Name: "adult-list", Names: 1000, Updated: time.Unix(1764600000, 0)}} },
		Feeds:  func() []Feed { return []Feed{{Name: "emc", Version: 42}} },
		Outbox: func() (int, bool) { return 3, true },
	})
	client := policy.Client{Addr: netip.MustParseAddr("192.168.1.10")}
	ev := activity.Event{At: time.Now(), Client: client, QType: 1, Action: policy.Block,
		Categories: blocklist.CategoriesOf(blocklist.Adult)}
	ev.SetName("secret-site.example")
	m.Observe(&ev, policy.Identity{Device: "Yasmine's tablet", Profile: "yasmine"})
	ev = activity.Event{At: time.Now(), Client: client, QType: 28, Cached: true}
	ev.SetName("cached-site.example")
	m.Observe(&ev, policy.Identity{Device: "Yasmine's tablet", Profile: "yasmine"})

	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	for _, want := range []string{"amane_build_info", "amane_queries_total", "amane_cache_hits_total", "amane_dropped_total",
		"amane_answers_total", "amane_blocked_total", "amane_blocked_by_category_total",
		"amane_upstream_duration_seconds_bucket", "amane_upstream_errors_total", "amane_list_names",
		"amane_list_last_update_timestamp_seconds", "amane_feed_version", "amane_outbox_depth"} {
		if fams[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	for _, secret := range []string{"192.168.1.10", "secret-site", "cached-site", "Yasmine", "yasmine"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/metrics names %q", secret)
		}
	}
	for _, line := range []string{`amane_answers_total{type="A",outcome="blocked"} 1`, `amane_answers_total{type="AAAA",outcome="cached"} 1`,
		`amane_blocked_by_category_total{category="adult"} 1`, `amane_upstream_duration_seconds_bucket{upstream="tls://family.example",le="1"} 3`,
		`amane_upstream_duration_seconds_count{upstream="tls://family.example"} 4`} {
		if !strings.Contains(string(body), line) {
			t.Errorf("no line %s in\n%s", line, body)
		}
	}
}

// TestInterleavedAnswersCountEachOnItsOwnCounter: answers of different
// outcomes, types, reasons and categories in turn each reach their own
// counter, however Observe finds it.
func TestInterleavedAnswersCountEachOnItsOwnCounter(t *testing.T) {
	m := New(Sources{})
	client := policy.Client{Addr: netip.MustParseAddr("192.168.1.10")}
	seq := []activity.Event{
		{QType: 1, Action: policy.Block, Categories: blocklist.CategoriesOf(blocklist.Adult)},
		{QType: 1, Cached: true},
		{QType: 28, Cached: true},
		{QType: 1, Action: policy.Block, Categories: blocklist.CategoriesOf(blocklist.Adult, blocklist.Games)},
		{QType: 1, Cached: true},
		{QType: 1, Action: policy.Block, Categories: blocklist.CategoriesOf(blocklist.Games)},
	}
	for i := range seq {
		ev := seq[i]
		ev.At, ev.Client = time.Now(), client
		ev.SetName("site.example")
		m.Observe(&ev, policy.Identity{})
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range []string{`amane_answers_total{type="A",outcome="blocked"} 3`, `amane_answers_total{type="A",outcome="cached"} 2`,
		`amane_answers_total{type="AAAA",outcome="cached"} 1`, `amane_blocked_by_category_total{category="adult"} 2`,
		`amane_blocked_by_category_total{category="games"} 2`} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("no line %s in\n%s", line, body)
		}
	}
}
