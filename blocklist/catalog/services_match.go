package catalog

import (
	"iter"
	"math/bits"
	"strings"
)

// MaxServices is how many services a ServiceSet holds; loading a catalog
// with more fails.
const MaxServices = 256

// ServiceSet is a set of services by Index: a fixed-size bitset, so that a
// profile's, a schedule window's or a budget's services are compared with
// a few AND instructions on the query path and copied without allocating.
// The zero value is the empty set.
type ServiceSet [MaxServices / 64]uint64

// Add puts service i in the set. i must be in [0, MaxServices).
func (s *ServiceSet) Add(i int) { s[i>>6] |= 1 << (i & 63) }

// Has reports whether service i is in the set; out of range is false.
func (s ServiceSet) Has(i int) bool {
	return uint(i) < MaxServices && s[i>>6]&(1<<(i&63)) != 0
}

// Empty reports whether the set holds no service.
func (s ServiceSet) Empty() bool { return s == ServiceSet{} }

// Intersects reports whether s and o share a service.
func (s ServiceSet) Intersects(o ServiceSet) bool {
	return s[0]&o[0]|s[1]&o[1]|s[2]&o[2]|s[3]&o[3] != 0
}

// And returns the services in both s and o.
func (s ServiceSet) And(o ServiceSet) ServiceSet {
	return ServiceSet{s[0] & o[0], s[1] & o[1], s[2] & o[2], s[3] & o[3]}
}

// Or returns the services in s or o.
func (s ServiceSet) Or(o ServiceSet) ServiceSet {
	return ServiceSet{s[0] | o[0], s[1] | o[1], s[2] | o[2], s[3] | o[3]}
}

// Len returns how many services the set holds.
func (s ServiceSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// First returns the lowest index in the set, or -1 when it is empty.
func (s ServiceSet) First() int {
	for i, w := range s {
		if w != 0 {
			return i<<6 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// All yields the indexes in the set, lowest first.
func (s ServiceSet) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, w := range s {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				w &^= 1 << b
				if !yield(i<<6 + b) {
					return
				}
			}
		}
	}
}

// Match is what the Matcher says about a name. It is a small value: the
// query path copies it and never allocates for it.
type Match struct {
	// Service is the index of the service owning the most specific listed
	// domain the name is at or under ("edge-chat.facebook.com": messenger),
	// or -1 when no service owns it. It is the one `amane explain` names.
	Service int
	// Services are every service owning the name: Service, the services
	// owning a listed parent ("facebook" for facebook.com), and those
	// sharing the domain on purpose. Policy blocks the name when this
	// intersects the services it blocks.
	Services ServiceSet
}

// Matched reports whether some service owns the name.
func (m Match) Matched() bool { return m.Service >= 0 }

// In returns the service of set that owns the name, to name in a block
// page or `amane explain`: the most specific owner when set holds it
// (Messenger for edge-chat.facebook.com when both Messenger and Facebook
// are blocked), else the lowest-indexed owner set holds; -1 when set holds
// none of the name's owners.
func (m Match) In(set ServiceSet) int {
	if set.Has(m.Service) {
		return m.Service
	}
	return m.Services.And(set).First()
}

// Matcher finds the services that own a name by suffix: a domain listed
// for a service matches itself and every name under it. It is immutable
// after construction and safe for concurrent use.
type Matcher struct {
	// names maps each listed domain (no trailing dot) to its entry.
	names map[string]uint16
	// entries are the distinct answers: most domains share one (a single
	// service), so they are stored once.
	entries []entry
	// tails are the last two labels of every listed domain: a name whose
	// own last two labels are not here matches nothing, found in one probe
	// instead of one per label. Most names asked belong to no app.
	tails map[string]struct{}
}

// entry is one listed domain's answer, with its parents' services folded
// in at build time so that Lookup stops at the first (most specific) hit.
type entry struct {
	service  uint16
	services ServiceSet
}

// newMatcher compiles services, whose Index fields are set.
func newMatcher(services []*Service) *Matcher {
	own := map[string]entry{} // domain -> lowest owning index, owners
	for _, s := range services {
		for _, d := range s.Domains {
			e, ok := own[d.Name]
			if !ok {
				e.service = uint16(s.Index)
			}
			e.services.Add(s.Index)
			own[d.Name] = e
		}
	}
	m := &Matcher{names: make(map[string]uint16, len(own)), tails: map[string]struct{}{}}
	ids := map[entry]uint16{}
	for name, e := range own {
		for p := parent(name); p != ""; p = parent(p) {
			if pe, ok := own[p]; ok {
				e.services = e.services.Or(pe.services)
			}
		}
		id, ok := ids[e]
		if !ok {
			id = uint16(len(m.entries))
			ids[e] = id
			m.entries = append(m.entries, e)
		}
		m.names[name] = id
		m.tails[tail(name)] = struct{}{}
	}
	return m
}

// tail returns name's last two labels (name itself when it has fewer).
func tail(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name
	}
	return name[strings.LastIndexByte(name[:i], '.')+1:]
}

// parent returns name without its first label, or "" when what is left
// would be a single label (no service lists a bare TLD).
func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 {
		return ""
	}
	p := name[i+1:]
	if strings.IndexByte(p, '.') < 0 {
		return ""
	}
	return p
}

// Lookup returns the services owning name, a lower-case FQDN with or
// without its trailing dot ("v16.tiktokcdn.com." matches tiktok's
// tiktokcdn.com). It probes name and its parents, most specific first,
// and stops at the first listed one, since parents' services are folded
// into each entry; names are sliced, never copied, so it does not
// allocate. A nil Matcher matches nothing.
func (m *Matcher) Lookup(name string) Match {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if m == nil {
		return Match{Service: -1}
	}
	if _, ok := m.tails[tail(name)]; !ok {
		return Match{Service: -1}
	}
	for s := name; s != ""; s = parent(s) {
		if id, ok := m.names[s]; ok {
			e := &m.entries[id]
			return Match{Service: int(e.service), Services: e.services}
		}
	}
	return Match{Service: -1}
}

// Len returns how many domains the matcher holds.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.names)
}
