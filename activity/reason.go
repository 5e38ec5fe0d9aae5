package activity

import (
	"fmt"

	"github.com/amane-dns/amane/policy"
)

// The reasons an answer was blocked, as the log and the API name them.
const (
	ReasonCategory  = "category"  // a blocked category's list
	ReasonMandatory = "mandatory" // a mandatory category (abuse): the operator's rule
	ReasonDeny      = "deny"      // the profile's own deny list
	ReasonSchedule  = "schedule"  // bedtime, an exam
	ReasonBypass    = "bypass"    // a way around the filter (the canary, Private Relay, DDR)
	ReasonPause     = "pause"     // a parent paused the device
	ReasonBudget    = "budget"    // the day's time is used up
	ReasonApp       = "app"       // an app the profile or a schedule blocks by name
)

// reasons are indexed by policy.Why, and count blocked answers in Hour.
var reasons = [...]string{
	policy.ByCategory: ReasonCategory, policy.ByDeny: ReasonDeny, policy.BySchedule: ReasonSchedule,
	policy.ByBypass: ReasonBypass, policy.ByPause: ReasonPause, policy.ByBudget: ReasonBudget,
	policy.ByService: ReasonApp,
}

// Reason is why ev was blocked (one of the Reason constants), "" when it
// was not.
func Reason(ev *Event) string {
	if !ev.Blocked() {
		return ""
	}
	return reason(ev.Mandatory, ev.Why)
}

// reason is why an answer was blocked.
func reason(mandatory bool, why policy.Why) string {
	switch {
	case mandatory:
		return ReasonMandatory
	case int(why) < len(reasons):
		return reasons[why]
	}
	return ReasonCategory
}

// typeNames are the query types a family's devices ask for, by number
// (RFC 1035, 3596, 9460); the rest print as TYPEn (RFC 3597).
var typeNames = map[uint16]string{1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
	28: "AAAA", 33: "SRV", 64: "SVCB", 65: "HTTPS"}

// TypeName returns the mnemonic of a query type.
func TypeName(t uint16) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("TYPE%d", t)
}
