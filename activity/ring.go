package activity

import (
	"sync/atomic"
	"unsafe"
)

// Ring carries events from the resolver's goroutines to the log's writer:
// a bounded queue of Event slots with any number of producers and one
// consumer (Dmitry Vyukov's bounded queue, each slot with its own sequence
// number). A producer claims a slot with one compare-and-swap, writes the
// event in place and publishes it with one store: no lock, no copy of the
// whole event, nothing that wakes a goroutine. When the writer has fallen a
// whole ring behind, Reserve fails and the caller counts a drop; the
// resolver never waits for the log.
//
// A channel of Event did the same job before and cost a cached answer
// 20–28 % more CPU: the send and the receive each lock the channel and copy
// the 340-byte value, and the sender builds it on its stack first.
type Ring struct {
	tail atomic.Uint64 // the next slot a producer claims
	_    [56]byte      // the producers' line apart from the consumer's

	head   uint64 // the next slot the consumer reads: the consumer's alone
	mask   uint64
	slots  []ringSlot
	closed atomic.Bool

	// idle is set while the writer waits for an event instead of
	// draining on its tick: the producer that claims the next slot clears
	// it and wakes the writer. An idle appliance then wakes for nothing
	// (the tick alone was 50 wakeups a second, a Pi's power for no
	// answer); under load the flag stays false and its line stays in
	// every core's cache, so a producer pays one load that hits.
	idle atomic.Bool
	wake chan struct{} // capacity 1
}

type ringSlot struct {
	slotBody
	// A slot is a whole number of cache lines (the array is allocated
	// page-aligned): an event with a name of up to 34 bytes touches two.
	_ [(64 - unsafe.Sizeof(slotBody{})%64) % 64]byte
}

type slotBody struct {
	// seq is the slot's turn: equal to the position a producer may claim
	// it at, position+1 once that producer has published, and
	// position+len(slots) once the consumer has read it.
	seq atomic.Uint64
	ev  Event
}

// NewRing returns a ring of at least size slots (a power of two).
func NewRing(size int) *Ring {
	n := 1
	for n < size {
		n <<= 1
	}
	r := &Ring{mask: uint64(n - 1), slots: make([]ringSlot, n), wake: make(chan struct{}, 1)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// Ticket is a claimed slot, to Commit once its event is written.
type Ticket struct {
	slot *ringSlot
	pos  uint64
}

// Reserve claims a slot and returns its event to fill in, or nil when the
// ring is full. Every field must be written (the slot holds an older
// event), then the ticket committed; until then the writer waits for this
// slot, so nothing may block in between.
func (r *Ring) Reserve() (*Event, Ticket) {
	for {
		pos := r.tail.Load()
		s := &r.slots[pos&r.mask]
		switch seq := s.seq.Load(); {
		case seq == pos:
			if r.tail.CompareAndSwap(pos, pos+1) {
				if pos%drainBatch == drainBatch-1 || r.idle.Load() && r.idle.CompareAndSwap(true, false) {
					r.nudge()
				}
				return &s.ev, Ticket{s, pos}
			}
		case seq < pos:
			return nil, Ticket{} // the writer has not read this slot's last turn yet
		}
		// Another producer claimed pos first: try the next.
	}
}

// Commit publishes the event of a reserved slot to the writer.
func (r *Ring) Commit(t Ticket) { t.slot.seq.Store(t.pos + 1) }

// Put copies ev into the ring; it reports false when the ring is full. For
// tests and simulations: the resolver fills the slot in place.
func (r *Ring) Put(ev *Event) bool {
	slot, t := r.Reserve()
	if slot == nil {
		return false
	}
	*slot = *ev
	r.Commit(t)
	return true
}

// Drain hands each published event, in order, to f and frees its slot; it
// returns how many it handed. It stops at the first slot whose producer has
// not committed yet: the next Drain takes it. f must not keep the pointer.
// Only one goroutine may drain.
func (r *Ring) Drain(f func(*Event)) int {
	n := 0
	for {
		s := &r.slots[r.head&r.mask]
		if s.seq.Load() != r.head+1 {
			return n
		}
		f(&s.ev)
		s.ev.Policy = nil // the writer keeps no snapshot alive
		s.seq.Store(r.head + r.mask + 1)
		r.head++
		n++
	}
}

// Idle tells the ring that the writer, having drained it, will wait on
// Woken until a producer claims a slot. It returns false, and the writer
// must go on draining, when a slot was claimed since the drain.
func (r *Ring) Idle() bool {
	r.idle.Store(true)
	// A producer claims its slot (tail) before it looks at idle, and the
	// writer sets idle before it looks at tail: one of the two sees the
	// other, so no event waits unseen.
	if r.tail.Load() != r.head {
		r.idle.Store(false)
		return false
	}
	return true
}

// drainBatch is how many events the writer takes at once, at most about:
// the producer of every drainBatch-th event wakes it. The writer shares
// the read loops' cores, and an answer that comes while it drains waits:
// 800 events (20 ms at 40k queries a second) kept a read loop waiting
// up to 0.9 ms, as long as the whole p99 target of a cached answer
// (issue 14); 256 keep it to about a quarter of that.
const drainBatch = 256

// Woken is where the writer waits: it receives once the next slot is
// claimed while the writer is idle, when a batch of events waits, and
// when the ring is closed. A wakeup may also come for events already
// drained; it means nothing.
func (r *Ring) Woken() <-chan struct{} { return r.wake }

func (r *Ring) nudge() {
	select {
	case r.wake <- struct{}{}:
	default: // one is waiting to be taken already
	}
}

// Close tells the writer that no more events will come: Log.Run drains
// what is left and returns. Producers must have stopped.
func (r *Ring) Close() {
	r.closed.Store(true)
	r.nudge()
}

// Closed reports whether Close was called.
func (r *Ring) Closed() bool { return r.closed.Load() }
