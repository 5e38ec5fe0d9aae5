package activity

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRingHandsEveryEventOnceInOrderPerProducer: four producers put
// 5,000 events each while the writer drains; every event arrives once,
// and each producer's in the order it put them. Run with -race, it also
// checks that a slot is never read while it is written.
func TestRingHandsEveryEventOnceInOrderPerProducer(t *testing.T) {
	const producers, each = 4, 5000
	r := NewRing(64)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				ev, tk := r.Reserve()
				if ev == nil {
					runtime.Gosched() // full: the writer is behind; a resolver would count a drop
					continue
				}
				ev.QType, ev.Service = uint16(p), uint16(i%65536)
				ev.Upstream = time.Duration(i)
				r.Commit(tk)
				i++
			}
		}()
	}
	go func() { wg.Wait(); r.Close() }()

	next := make([]int, producers)
	deadline := time.After(30 * time.Second)
	for {
		closed := r.Closed()
		r.Drain(func(ev *Event) {
			p, i := int(ev.QType), int(ev.Upstream)
			if i != next[p] {
				t.Fatalf("producer %d: event %d arrived, want %d", p, i, next[p])
			}
			next[p]++
		})
		if closed {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("after 30 s the writer has %v of %d each", next, each)
		default:
		}
	}
	for p, n := range next {
		if n != each {
			t.Errorf("producer %d: %d events arrived, want %d", p, n, each)
		}
	}
}

// TestAFullRingRefusesAndFrees: a ring of 4 takes 4 events, refuses the
// fifth, and takes more once the writer has drained.
func TestAFullRingRefusesAndFrees(t *testing.T) {
	r := NewRing(3) // rounded up to 4
	ev := &Event{}
	for i := range 4 {
		if !r.Put(ev) {
			t.Fatalf("event %d refused by a ring of 4", i)
		}
	}
	if r.Put(ev) {
		t.Fatal("a full ring took a fifth event")
	}
	if n := r.Drain(func(*Event) {}); n != 4 {
		t.Fatalf("drained %d, want 4", n)
	}
	if !r.Put(ev) {
		t.Fatal("a drained ring refused an event")
	}
}

// TestDrainStopsAtAnUncommittedSlot: an event reserved but not yet
// committed holds back the ones after it, which come on the next drain.
func TestDrainStopsAtAnUncommittedSlot(t *testing.T) {
	r := NewRing(4)
	first, tk := r.Reserve()
	first.SetName("first.example")
	r.Put(&Event{QType: 2})
	if n := r.Drain(func(*Event) {}); n != 0 {
		t.Fatalf("drained %d past an uncommitted slot", n)
	}
	r.Commit(tk)
	var names []string
	r.Drain(func(ev *Event) { names = append(names, ev.Name()) })
	if len(names) != 2 || names[0] != "first.example" {
		t.Fatalf("drained %q, want first.example then the other", names)
	}
}

// TestRunTakesWhatWasPutBeforeClose: Log.Run returns once the ring is
// closed, having recorded every event put before.
func TestRunTakesWhatWasPutBeforeClose(t *testing.T) {
	l, err := New(nil, Config{Log: LogAll, Recent: 10}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRing(16)
	done := make(chan struct{})
	go func() { l.Run(r, time.Hour); close(done) }()
	ev := &Event{At: time.Now(), QType: 1}
	ev.SetName("last.example")
	r.Put(ev)
	r.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after Close")
	}
	if got := l.Recent("", Filter{}); len(got) != 1 || got[0].Name != "last.example" {
		t.Fatalf("recorded %+v, want last.example", got)
	}
}

// BenchmarkRing is one event put and taken, as the resolver and the
// writer do, the writer draining every 1,024 events.
func BenchmarkRing(b *testing.B) {
	for _, n := range []int{64, 1024, 4096} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchRing(b, n) })
	}
}

func benchRing(b *testing.B, n int) {
	r := NewRing(n)
	now := time.Now()
	i := 0
	for b.Loop() {
		ev, tk := r.Reserve()
		ev.At, ev.QType, ev.Upstream = now, 1, 0
		ev.SetName("www.some-site.example.com")
		r.Commit(tk)
		if i++; i%n == 0 {
			r.Drain(func(*Event) {})
		}
	}
}

// BenchmarkChannel is the same with a channel of Event, as before the
// ring: for comparison.
func BenchmarkChannel(b *testing.B) {
	ch := make(chan Event, 4096)
	now := time.Now()
	i := 0
	for b.Loop() {
		ev := Event{At: now, QType: 1}
		ev.SetName("www.some-site.example.com")
		ch <- ev
		if i++; i%1024 == 0 {
			for range 1024 {
				<-ch
			}
		}
	}
}

// BenchmarkRecord is the writer's work for one answer of a child's device
// (the costliest mode: every name kept), cycling through 10,000 names as
// the load test's cached phase does: the space-saving counters see a new
// name nearly every time.
// BenchmarkRecord is the writer's work for one answer of a child's
// device asking 10,000 names in turn (nearly every answer a name new to
// the hour's counters, the worst case): synthetic names of no app, and the
// most popular names of the Umbrella list, where most answers are in an
// app of the catalog and matching them is the larger part.
func BenchmarkRecord(b *testing.B) {
	p := family(b)
	synthetic := make([]string, 10000)
	for i := range synthetic {
		synthetic[i] = "www.site" + strconv.Itoa(i) + ".example.com"
	}
	synthetic[7] = "www.tiktok.com"
	for _, set := range []struct {
		name  string
		names func(b *testing.B) []string
	}{
		{"synthetic", func(*testing.B) []string { return synthetic }},
		{"popular", func(b *testing.B) []string {
			data, err := os.ReadFile("../../shared/data/popular/umbrella-top-100k.txt")
			if err != nil {
				b.Skipf("shared data not available: %v", err)
			}
			var names []string
			for _, line := range strings.SplitN(string(data), "\n", 10001)[:10000] {
				names = append(names, strings.TrimSpace(line))
			}
			return names
		}},
	} {
		b.Run(set.name, func(b *testing.B) {
			l, err := New(nil, DefaultConfig(), Options{Location: casablanca, Now: (&clock{t0}).now})
			if err != nil {
				b.Fatal(err)
			}
			names := set.names(b)
			evs := make([]Event, len(names))
			for i, n := range names {
				evs[i] = event(p, tablet, n, t0)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l.record(&evs[i%len(evs)])
				i++
			}
		})
	}
}

// TestAnIdleWriterWakesForTheNextEvent: the writer may sleep only on an
// empty ring, and the next event claimed wakes it.
func TestAnIdleWriterWakesForTheNextEvent(t *testing.T) {
	r := NewRing(4)
	if !r.Idle() {
		t.Fatal("an empty ring refused the writer its sleep")
	}
	select {
	case <-r.Woken():
		t.Fatal("woken with nothing in the ring")
	default:
	}
	ev := &Event{QType: 1}
	ev.SetName("next.example")
	r.Put(ev)
	select {
	case <-r.Woken():
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was not woken by the event")
	}
	if r.Idle() {
		t.Fatal("the writer may sleep with an event in the ring")
	}
	if n := r.Drain(func(*Event) {}); n != 1 {
		t.Fatalf("drained %d, want 1", n)
	}
}

// TestRunRecordsEveryBurstBetweenIdleSpells: bursts from several
// producers, each once the writer has gone to sleep, are all recorded.
func TestRunRecordsEveryBurstBetweenIdleSpells(t *testing.T) {
	l, err := New(nil, Config{Log: LogAll, Recent: 1000}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRing(64)
	done := make(chan struct{})
	go func() { l.Run(r, time.Hour); close(done) }()
	waitIdle := func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		deadline := time.After(10 * time.Second)
		for !r.idle.Load() {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatal("the writer never went idle")
			}
		}
	}
	waitRecorded := func(n int) {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		deadline := time.After(10 * time.Second)
		for len(l.Recent("", Filter{})) < n {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("%d events recorded, want %d: the burst did not wake the writer", len(l.Recent("", Filter{})), n)
			}
		}
	}
	const rounds, producers, each = 10, 4, 5
	for round := range rounds {
		waitIdle()
		var wg sync.WaitGroup
		for range producers {
			wg.Go(func() {
				for range each {
					ev := &Event{At: time.Now(), QType: 1}
					ev.SetName("burst.example")
					for !r.Put(ev) {
						runtime.Gosched() // the ring is full: the writer is awake and draining
					}
				}
			})
		}
		wg.Wait()
		waitRecorded((round + 1) * producers * each)
	}
	r.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after Close")
	}
	if got := len(l.Recent("", Filter{})); got != rounds*producers*each {
		t.Fatalf("recorded %d events, want %d", got, rounds*producers*each)
	}
}

// TestABatchOfEventsWakesTheWriter: the writer, busy (not idle), is woken
// once a batch waits, and not before, so that no drain holds the core
// long.
func TestABatchOfEventsWakesTheWriter(t *testing.T) {
	r := NewRing(4 * drainBatch)
	ev := &Event{QType: 1}
	ev.SetName("batch.example")
	for range 2 {
		for i := range drainBatch {
			select {
			case <-r.Woken():
				t.Fatalf("woken at event %d of a batch of %d", i, drainBatch)
			default:
			}
			r.Put(ev)
		}
		select {
		case <-r.Woken():
		default:
			t.Fatalf("a whole batch (%d) waits and the writer was not woken", drainBatch)
		}
		if n := r.Drain(func(*Event) {}); n != drainBatch {
			t.Fatalf("drained %d, want %d", n, drainBatch)
		}
	}
}
