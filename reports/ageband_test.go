package reports

import (
	"strings"
	"testing"

	"github.com/amane-dns/amane/policy"
)

// A report carries the age band of a profile: the two lists must agree.
func TestReportsTakeThePolicysAgeBands(t *testing.T) {
	for _, band := range append(ageBands, "7-10") {
		cfg := policy.Config{Profiles: []policy.ProfileConfig{{Name: "child", AgeBand: band}}}
		err := cfg.Validate()
		inPolicy := err == nil || !strings.Contains(err.Error(), "age_band")
		r := Report{Kind: Manual, Domain: "bad.example", Category: "abuse", Day: "2026-11-23", Count: 1, AgeBand: band}
		inReports := r.Validate() == nil
		if inPolicy != inReports {
			t.Errorf("age band %q: policy takes it %v, reports %v", band, inPolicy, inReports)
		}
	}
}
