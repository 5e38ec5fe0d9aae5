package policy

import "net/netip"

// TrustsForwarder reports whether a is a trusted forwarder (identify's
// trusted_forwarders): a router that speaks for the devices behind it and
// carries each one's MAC in EDNS option 65001. The resolver reads it to
// tell those devices apart before any decision: for the rate limit and the
// fair share of the upstreams, a MAC from anyone else is ignored, as it is
// for profiles, or a flooder could claim a new MAC with every query.
func (s *Snapshot) TrustsForwarder(a netip.Addr) bool {
	return len(s.id.trusted) > 0 && s.id.trusted[a.Unmap()]
}
