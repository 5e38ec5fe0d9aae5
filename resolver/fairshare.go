package resolver

import (
	"sync"
	"sync/atomic"
)

// missShares divides the upstream capacity — server.max_concurrent queries
// waiting for an upstream at once — among the devices that wait, so that
// one device sending unique names at full speed cannot hold every slot
// while its neighbours' misses are refused (issue 9, item 4).
//
// The rule, with B the budget and n the devices waiting (the asker
// counted):
//   - no device holds more than B/8 (128 of the default 1024): more names
//     at once than a browser asks for a whole page, while 7/8 of the
//     upstreams stay free for the rest of the home. Slots are not CPU: at
//     a 20 ms upstream, 128 in flight is already 6,400 misses a second,
//     most of a small router's CPU, and the rest of the home's queries
//     (cached ones included) must still find some. A trusted forwarder's
//     own queries, which carry no MAC, stand for a whole home and are
//     exempt;
//   - while fewer than B/2 queries wait, that is all (nobody is short,
//     and a burst of names must not be cut for nothing);
//   - beyond that, a device gets another slot only while it holds fewer
//     than B/(n+1). The +1 keeps a share free for a device that has
//     nothing in flight yet: the next device to miss always finds room
//     unless every slot is taken, which the shares make transient.
//
// A device over its share is refused until its own queries drain, within
// one upstream timeout at worst. Prefetches count in the total but belong
// to no device.
type missShares struct {
	total *atomic.Int64 // the handler's inflight: every query waiting, prefetches included

	mu      sync.Mutex     // guards waiting
	waiting map[device]int // misses in flight per device; only devices with some
}

func newMissShares(total *atomic.Int64) *missShares {
	return &missShares{total: total, waiting: map[device]int{}}
}

// admit takes a slot for d if the rule above allows it. A mutex per miss
// is cheap beside the upstream exchange that follows; hits never come here.
func (m *missShares) admit(d device, budget int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	total, held := int(m.total.Load()), m.waiting[d]
	n := len(m.waiting)
	if held == 0 {
		n++
	}
	share, most := max(1, budget/(n+1)), max(1, budget/8)
	if d.home {
		most = budget
	}
	if total >= budget || held >= most || (total >= budget/2 && held >= share) {
		return false
	}
	m.waiting[d] = held + 1
	m.total.Add(1)
	return true
}

// done gives d's slot back.
func (m *missShares) done(d device) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if held := m.waiting[d]; held > 1 {
		m.waiting[d] = held - 1
	} else {
		delete(m.waiting, d)
	}
	m.total.Add(-1)
}
