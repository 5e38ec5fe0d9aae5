// Package policy decides, for one device and one name at one moment, whether
// the name is answered, blocked or rewritten. It owns devices and networks,
// profiles, schedules, daily budgets and usage, pause, safe search and the
// bypass defences (issue 4); today it holds the decision point the resolver
// calls before its cache, and the immutable snapshot it is read from.
//
// It works on lower-case names without a trailing dot, netip.Addr and
// time.Time, and never imports a DNS wire library.
package policy

import (
	"net/netip"
	"time"
)

// Client is what the resolver knows about who is asking.
type Client struct {
	Addr   netip.Addr
	MAC    [6]byte // carried in EDNS option 65001 by a trusted forwarder
	HasMAC bool
}

// Action is what a Decision tells the resolver to do.
type Action uint8

// The actions.
const (
	Allow Action = iota // resolve normally
	Block               // answer with the configured block answer
)

// Decision is the outcome of Decide.
type Decision struct {
	Action Action
	// TTLCap, when not zero, caps the TTL of the answer: the decision may
	// change then (a schedule boundary, a budget running out).
	TTLCap time.Duration
}

// Snapshot is one immutable, compiled policy. The resolver loads it with a
// single atomic read per query; a reload builds a new one and swaps it.
type Snapshot struct{}

// NewSnapshot returns the policy that allows everything: what amane does
// before any list or profile is configured.
func NewSnapshot() *Snapshot { return &Snapshot{} }

// Decide returns what to do with a query for name (lower case, no trailing
// dot) of type qtype from c at now. name is only valid during the call: the
// hot path passes a view of a reused buffer, so Decide must not keep it.
func (s *Snapshot) Decide(c Client, name string, qtype uint16, now time.Time) Decision {
	return Decision{Action: Allow}
}
