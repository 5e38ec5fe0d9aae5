package resolver

import (
	"net/netip"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// drain takes events from r until it is closed, and says when it has. It
// polls, as activity.Log.Run does.
func drain(r *activity.Ring) (done chan struct{}) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(activity.DrainEvery)
		defer t.Stop()
		for range t.C {
			closed := r.Closed()
			r.Drain(func(*activity.Event) {})
			if closed {
				return
			}
		}
	}()
	return done
}

// stale is an event with every field set, none to what an answer of the
// tests below carries: a slot the resolver reuses holds one like it.
func stale(t *testing.T) *activity.Event {
	ev := &activity.Event{At: time.Unix(1, 0), Client: policy.Client{Addr: netip.MustParseAddr("10.9.9.9"), MAC: [6]byte{9}, HasMAC: true},
		Policy: &policy.Snapshot{}, Upstream: time.Hour, Categories: blocklist.CategoriesOf(blocklist.Games, blocklist.Abuse),
		QType: dns.TypeSRV, Action: policy.Rewrite, Why: policy.ByService, Mandatory: true, Service: 77, Cached: true}
	ev.SetName("an-old-event-the-slot-held.example")
	v := reflect.ValueOf(ev).Elem()
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && v.Field(i).IsZero() {
			t.Fatalf("stale() leaves Event.%s zero: set it, so the test sees whether noteEvent writes it", f.Name)
		}
	}
	return ev
}

// TestAReusedSlotKeepsNothingOld: the resolver writes its event over the
// one a ring slot held before, field by field; a field it forgot would
// carry the old event's value. The same answers are put in a new ring and
// in one whose slots held stale events, and must come out the same.
func TestAReusedSlotKeepsNothingOld(t *testing.T) {
	h, pkts := warmHandler(t, 1)
	h.SetPolicy(filterPolicy(t, "nxdomain", nil, testSet(t, "adult: bad.example"), "adult"))
	blocked := newQuery("www.bad.example", dns.TypeAAAA)
	events := func(r *activity.Ring) (got []activity.Event) {
		h.RecordEvents(r)
		var q query
		hit(h, &q, pkts[0], make([]byte, 0, 4096))
		ask(t, h, blocked)
		r.Drain(func(ev *activity.Event) { got = append(got, *ev) })
		if len(got) != 2 {
			t.Fatalf("%d events, want 2", len(got))
		}
		return got
	}
	clean := events(activity.NewRing(2))
	old := stale(t)
	reused := activity.NewRing(2)
	for range 2 {
		reused.Put(old)
	}
	reused.Drain(func(*activity.Event) {})
	for i, ev := range events(reused) {
		if ev.At.Equal(old.At) {
			t.Errorf("event %d kept the old time", i)
		}
		ev.At = clean[i].At
		if ev.Name() != clean[i].Name() {
			t.Errorf("event %d from a reused slot is for %q, want %q", i, ev.Name(), clean[i].Name())
		}
		v, w := reflect.ValueOf(ev), reflect.ValueOf(clean[i])
		for f := range v.NumField() {
			if v.Type().Field(f).IsExported() && !reflect.DeepEqual(v.Field(f).Interface(), w.Field(f).Interface()) {
				t.Errorf("event %d from a reused slot has %s %v, want %v as from a new one",
					i, v.Type().Field(f).Name, v.Field(f).Interface(), w.Field(f).Interface())
			}
		}
	}
}

func TestEveryAnswerPutsOneEvent(t *testing.T) {
	h, pkts := warmHandler(t, 1)
	h.SetPolicy(filterPolicy(t, "nxdomain", nil, testSet(t, "adult: bad.example"), "adult"))
	r := activity.NewRing(4)
	// Every slot has held an event before, as in a running appliance.
	old := stale(t)
	for range 4 {
		if !r.Put(old) {
			t.Fatal("a new ring is full")
		}
	}
	r.Drain(func(*activity.Event) {})
	h.RecordEvents(r)
	next := func(what string) activity.Event {
		t.Helper()
		var got []activity.Event
		r.Drain(func(ev *activity.Event) { got = append(got, *ev) })
		if len(got) != 1 {
			t.Fatalf("%s: %d events, want 1", what, len(got))
		}
		return got[0]
	}

	t.Run("a cached answer is an allowed, cached event", func(t *testing.T) {
		var q query
		hit(h, &q, pkts[0], make([]byte, 0, 4096))
		ev := next("cache hit")
		if ev.Name() != "www.site0.example.com" || ev.Blocked() || !ev.Cached || ev.QType != dns.TypeA || ev.Upstream != 0 {
			t.Errorf("event %+v, name %q", ev, ev.Name())
		}
	})
	t.Run("a blocked name says why", func(t *testing.T) {
		ask(t, h, newQuery("www.bad.example", dns.TypeAAAA))
		ev := next("block")
		if ev.Name() != "www.bad.example" || !ev.Blocked() || ev.Cached || ev.Why != policy.ByCategory ||
			!ev.Categories.Has(blocklist.Adult) || ev.Policy == nil {
			t.Errorf("event %+v, name %q", ev, ev.Name())
		}
	})
	t.Run("an upstream answer carries the time it took", func(t *testing.T) {
		ask(t, h, newQuery("new.example", dns.TypeA))
		ev := next("miss")
		if ev.Name() != "new.example" || ev.Cached || ev.Upstream <= 0 {
			t.Errorf("event %+v, name %q", ev, ev.Name())
		}
	})
	t.Run("a refused query is no activity", func(t *testing.T) {
		ask(t, h, newQuery("x.example", dns.TypeAXFR))
		if n := r.Drain(func(ev *activity.Event) { t.Errorf("event %+v for a refused query", *ev) }); n != 0 {
			t.Errorf("%d events for a refused query", n)
		}
	})
	t.Run("a full ring drops and counts", func(t *testing.T) {
		before := h.Stats.EventsDropped.Load()
		var q query
		for range 5 {
			hit(h, &q, pkts[0], make([]byte, 0, 4096))
		}
		if got := h.Stats.EventsDropped.Load() - before; got != 1 {
			t.Errorf("dropped %d of 5 into a ring of 4, want 1", got)
		}
		if n := r.Drain(func(*activity.Event) {}); n != 4 {
			t.Errorf("the ring held %d events, want 4", n)
		}
	})
}

// TestCachedAnswerWithActivityAllocatesNothing: the event is a value with
// the name in an array, so the hot path's budget stays at zero (issue 12).
func TestCachedAnswerWithActivityAllocatesNothing(t *testing.T) {
	h, pkts := warmHandler(t, 10)
	r := activity.NewRing(1024)
	done := drain(r)
	h.RecordEvents(r)
	var q query
	buf := make([]byte, 0, 4096)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		hit(h, &q, pkts[i%len(pkts)], buf)
		i++
	})
	r.Close()
	<-done
	if allocs != 0 {
		t.Fatalf("a cache hit with activity on allocates %.1f times; the budget is 0", allocs)
	}
	if h.Stats.EventsDropped.Load() == uint64(i) {
		t.Fatal("every event was dropped: the test measured nothing")
	}
}

// BenchmarkCachedAnswerActivity is a cache hit with the activity ring off
// and on: issue 12 wants the difference under 5 %. "on" drains the ring on
// the benchmark's own goroutine every 1,024 answers (the writer's 20 ms at
// 50,000 queries a second), so that ns/op counts both the put and the take
// and nothing is dropped: a drain on another goroutine would measure the
// scheduler, or cheap drops once a benchmark answers faster than any
// network asks.
func BenchmarkCachedAnswerActivity(b *testing.B) {
	h, pkts := warmHandler(b, 1000)
	b.Run("off", func(b *testing.B) {
		h.RecordEvents(nil)
		defer reportCPU(b)()
		benchHits(b, h, pkts)
	})
	b.Run("on", func(b *testing.B) {
		r := activity.NewRing(1024)
		h.RecordEvents(r)
		defer h.RecordEvents(nil)
		before := h.Stats.EventsDropped.Load()
		defer reportCPU(b)()
		var q query
		buf := make([]byte, 0, 4096)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			hit(h, &q, pkts[i%len(pkts)], buf)
			i++
			if i%1024 == 0 {
				r.Drain(func(*activity.Event) {})
			}
		}
		if d := h.Stats.EventsDropped.Load() - before; d != 0 {
			b.Fatalf("%d events dropped", d)
		}
	})
}

// reportCPU reports the process's CPU time per op (user and system, every
// goroutine: the drain too) when the returned func is called: on a shared
// machine it moves less than wall time does.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
