// Package policy decides, for one device and one name at one moment, whether
// the name is answered or blocked. It owns the default filter ([filter]:
// the categories blocked for every device) and the immutable snapshot the
// resolver reads once per query; devices, profiles, schedules, budgets,
// pause and safe search build on the same decision point.
//
// It works on lower-case names without a trailing dot, netip.Addr and
// time.Time, and never imports a DNS wire library.
package policy

import (
	"net/netip"
	"time"

	"github.com/amane-dns/amane/blocklist"
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
	Block               // answer with the snapshot's BlockAnswer
)

// Decision is the outcome of Decide. It is a small value: the hot path
// copies it and never allocates for it.
type Decision struct {
	Action Action
	// Categories are the categories that blocked the name.
	Categories blocklist.Categories
	// Mandatory is set when a mandatory category (abuse, or one a helpline
	// feed marks so) blocked it: the operator's rule, not a family's choice.
	Mandatory bool
	// Rule is the most specific list rule that matched, for explanations.
	Rule blocklist.RuleRef
	// TTLCap, when not zero, caps the TTL of the answer: the decision may
	// change then (a schedule boundary, a budget running out).
	TTLCap time.Duration
}

// Snapshot is one immutable, compiled policy. The resolver loads it with a
// single atomic read per query; a reload builds a new one and swaps it.
type Snapshot struct {
	set       *blocklist.Set       // never nil
	block     blocklist.Categories // blocked for every device
	mandatory blocklist.Categories // blocked even where a list makes an exception
	answer    BlockAnswer
}

// alwaysMandatory are blocked whatever any configuration says (DESIGN.md:
// child sexual abuse material is never a family's choice).
var alwaysMandatory = blocklist.CategoriesOf(blocklist.Abuse)

// NewSnapshot compiles the filter over set (nil: no lists). mandatory adds
// the categories that helpline feeds mark mandatory.
func NewSnapshot(cfg FilterConfig, set *blocklist.Set, mandatory blocklist.Categories) (*Snapshot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set == nil {
		var err error
		if set, err = blocklist.NewBuilder().Build(); err != nil {
			return nil, err
		}
	}
	block, _ := blocklist.ParseCategories(joinCategories(cfg.Block))
	s := &Snapshot{set: set, block: block, mandatory: mandatory | alwaysMandatory, answer: cfg.answer()}
	return s, nil
}

// Allowing returns the policy that allows everything: what amane does
// before any list or filter is configured, and in tests.
func Allowing() *Snapshot {
	s, err := NewSnapshot(FilterConfig{BlockMode: "nxdomain", BlockTTL: time.Minute}, nil, 0)
	if err != nil {
		panic(err)
	}
	return s
}

// Set returns the compiled lists the snapshot decides with.
func (s *Snapshot) Set() *blocklist.Set { return s.set }

// BlockAnswer says how blocked names are answered.
func (s *Snapshot) BlockAnswer() BlockAnswer { return s.answer }

// Decide returns what to do with a query for name (lower case, no trailing
// dot) of type qtype from c at now. name is only valid during the call: the
// hot path passes a view of a reused buffer, so Decide must not keep it.
func (s *Snapshot) Decide(c Client, name string, qtype uint16, now time.Time) Decision {
	m := s.set.Lookup(name)
	// A list's exception may lift a category the filter blocks, but never a
	// mandatory one.
	cats := m.Categories&(s.block|s.mandatory) | m.Allowed&s.mandatory
	if cats == 0 {
		return Decision{Action: Allow}
	}
	return Decision{Action: Block, Categories: cats, Mandatory: cats&s.mandatory != 0, Rule: m.Rule}
}
