package resolver

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/miekg/dns"
)

// warmHandler returns a handler whose cache holds answers for n names, and
// the packed queries for them.
func warmHandler(tb testing.TB, n int) (*Handler, [][]byte) {
	up := startUpstream(tb, func(q *dns.Msg, _ bool) [][]byte {
		b, _ := answerA(q, "93.184.215.14", 3600).Pack()
		return [][]byte{b}
	})
	h := newTestHandler(tb, testConfig(up.addr()), nil)
	pkts := make([][]byte, n)
	for i := range pkts {
		m := newQuery(fmt.Sprintf("www.site%d.example.com", i), dns.TypeA)
		m.SetEdns0(1232, false)
		pkts[i], _ = m.Pack()
		if r := ask(tb, h, m); len(r.Answer) != 1 {
			tb.Fatalf("warming: %v", r)
		}
	}
	return h, pkts
}

// hit answers one cached query the way the UDP read loop does.
func hit(h *Handler, q *query, pkt, buf []byte) []byte {
	q.reset(loopback, false, pkt)
	out, done := h.prepare(q, buf[:0], h.now())
	if !done {
		panic("a warmed name missed the cache")
	}
	return out
}

func BenchmarkCachedAnswer(b *testing.B) {
	h, pkts := warmHandler(b, 1000)
	benchHits(b, h, pkts)
}

// benchHits answers the warmed queries in turn, as fast as it can.
func benchHits(b *testing.B, h *Handler, pkts [][]byte) {
	var q query
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		hit(h, &q, pkts[i%len(pkts)], buf)
		i++
	}
}

func BenchmarkCachedAnswerParallel(b *testing.B) {
	h, pkts := warmHandler(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var q query
		buf := make([]byte, 0, 4096)
		i := 0
		for pb.Next() {
			hit(h, &q, pkts[i%len(pkts)], buf)
			i++
		}
	})
}

// TestCachedAnswerAllocates nothing: the allocation budget of the hot
// path, as tailscale's TestAllocs keeps its own.
func TestCachedAnswerAllocatesNothing(t *testing.T) {
	h, pkts := warmHandler(t, 10)
	var q query
	buf := make([]byte, 0, 4096)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		hit(h, &q, pkts[i%len(pkts)], buf)
		i++
	})
	if allocs != 0 {
		t.Fatalf("a cache hit allocates %.1f times; the budget is 0", allocs)
	}
}

// BenchmarkCachedAnswerRealisticPolicy is a cache hit for a named device
// under PERFORMANCE.md's realistic policy: 5 profiles with schedules and
// budgets, 20 devices, a 1M-name list.
func BenchmarkCachedAnswerRealisticPolicy(b *testing.B) {
	h, pkts := warmHandler(b, 1000)
	var sb strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&sb, "host%d.site%d.example\n", i, i%977)
	}
	bld := blocklist.NewBuilder()
	if _, err := bld.Parse(bld.AddList("bench", blocklist.Malware), strings.NewReader(sb.String()), blocklist.FormatDomains); err != nil {
		b.Fatal(err)
	}
	set, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	cfg := policy.Config{Timezone: "Africa/Casablanca", Filter: policy.DefaultFilterConfig()}
	bed := policy.ScheduleConfig{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "21:00", To: "07:00", Block: policy.CategorySpec{All: true}}
	for i, preset := range []string{"under-9", "9-12", "13-17", "adult", "school-lab"} {
		cfg.Profiles = append(cfg.Profiles, policy.ProfileConfig{Name: fmt.Sprintf("p%d", i), Preset: preset,
			Schedules: []policy.ScheduleConfig{bed}, Budgets: []policy.BudgetConfig{{Categories: []string{"games"}, Minutes: 60}}})
	}
	for i := range 20 {
		cfg.Devices = append(cfg.Devices, policy.DeviceConfig{Name: fmt.Sprintf("d%d", i), IP: netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i)}), Profile: "p3"})
	}
	p, err := policy.NewSnapshot(cfg, set, 0, policy.Contacts{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lists", func(b *testing.B) {
		h.SetPolicy(p)
		benchHits(b, h, pkts)
	})
	// And with a helpline's watch lists (5,000 names) and the hits
	// channel on: the cost every query pays for counting.
	var wb strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&wb, "suspect%d.example\n", i)
	}
	bld = blocklist.NewBuilder()
	if _, err := bld.Parse(bld.AddList("watch", blocklist.Cyberviolence), strings.NewReader(wb.String()), blocklist.FormatDomains); err != nil {
		b.Fatal(err)
	}
	watch, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	hits := make(chan reports.Hit, 16)
	h.RecordHits(hits)
	b.Run("lists+watch", func(b *testing.B) {
		h.SetPolicy(p.WithWatch(watch))
		benchHits(b, h, pkts)
	})
}

// BenchmarkUDPExchange is one upstream round trip over UDP to a fake
// upstream on loopback, socket and all: the part of a cache miss that a
// fresh source port per query makes dearer.
func BenchmarkUDPExchange(b *testing.B) {
	up := startUpstream(b, func(q *dns.Msg, _ bool) [][]byte {
		return [][]byte{pack(b, answerA(q, "93.184.215.14", 60))}
	})
	tr := newUDPTransport(up.addr())
	defer tr.close()
	q := newQuery("www.example.com", dns.TypeA)
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
		if _, err := tr.exchange(ctx, q); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}
