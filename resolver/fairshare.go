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
// counted): while fewer than B/2 queries wait, any miss goes (nobody is
// short, and a page load's burst of names must not be cut for nothing);
// beyond that, a device gets another slot only while it holds fewer than
// B/(n+1). The +1 keeps a share free for a device that has nothing in
// flight yet: a lone flooder stops at B/2, and the next device to miss
// always finds room. A device over its share is refused until its own
// queries drain, within one upstream timeout at worst.
//
// Prefetches count in the total but belong to no device.
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
	share := max(1, budget/(n+1))
	if total >= budget || (total >= budget/2 && held >= share) {
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
