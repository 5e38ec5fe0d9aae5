package activity

import (
	"time"
	"unsafe"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
)

// MaxName is the longest name an Event carries; longer ones (escaped
// presentation forms) are cut.
const MaxName = 255

// Event is one answer, as the resolver saw it. It is a plain value with the
// name in a fixed array, so that sending it on a channel copies it and
// allocates nothing on the hot path.
type Event struct {
	At     time.Time
	Client policy.Client
	// Policy is the snapshot that decided the answer: the writer asks it
	// who the client is, off the hot path. Nil counts as the default.
	Policy     *policy.Snapshot
	Upstream   time.Duration // time waited for an upstream; 0 for a cached or local answer
	Categories blocklist.Categories
	QType      uint16
	Action     policy.Action
	Why        policy.Why // when Action is Block
	Mandatory  bool
	// Service is the decision's app (policy.Decision.Service): 1 + its
	// catalog index, 0 for none.
	Service uint16
	Cached  bool // answered from the answer cache
	nameLen uint8
	name    [MaxName]byte
}

// SetName copies name into the event, without allocating.
func (e *Event) SetName(name string) { e.nameLen = uint8(copy(e.name[:], name)) }

// nameView is the queried name without a copy: valid only while the event
// is, and never to be kept.
func (e *Event) nameView() string { return unsafe.String(&e.name[0], e.nameLen) }

// Name returns the queried name (a new string).
func (e *Event) Name() string { return string(e.name[:e.nameLen]) }

// Blocked reports whether the answer was blocked.
func (e *Event) Blocked() bool { return e.Action == policy.Block }
