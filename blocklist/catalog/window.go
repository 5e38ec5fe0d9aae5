package catalog

import (
	"fmt"
	"time"
)

// Window is a span of each day, in one time zone, when a source's own
// servers may be asked for a list: UT1 asks that nobody download
// between 08:00 and 19:00 GMT, which is Window{Start: 19 * 60, End: 8 * 60}.
// Start is included and End excluded; a Start after End runs overnight.
// The zero Window (Start == End) allows any time.
type Window struct {
	Start, End int            // minutes after midnight in Zone, 0 to 1439
	Zone       *time.Location // nil means UTC
}

// AnyTime reports whether w allows every moment.
func (w Window) AnyTime() bool { return w.Start == w.End }

func (w Window) zone() *time.Location {
	if w.Zone == nil {
		return time.UTC
	}
	return w.Zone
}

// Allows reports whether t falls inside w.
func (w Window) Allows(t time.Time) bool {
	if w.AnyTime() {
		return true
	}
	lt := t.In(w.zone())
	m := lt.Hour()*60 + lt.Minute()
	if w.Start < w.End {
		return w.Start <= m && m < w.End
	}
	return m >= w.Start || m < w.End
}

// Next returns the first moment at or after t that w allows: t itself
// when w allows it, else the next Start. The day is counted in w's zone,
// so a daylight-saving change there moves Start with the wall clock.
func (w Window) Next(t time.Time) time.Time {
	if w.Allows(t) {
		return t
	}
	z := w.zone()
	y, mo, d := t.In(z).Date()
	start := time.Date(y, mo, d, w.Start/60, w.Start%60, 0, 0, z)
	if !start.After(t) {
		start = time.Date(y, mo, d+1, w.Start/60, w.Start%60, 0, 0, z)
	}
	return start
}

// String returns w as people read it: "19:00-08:00 UTC", or "any time".
func (w Window) String() string {
	if w.AnyTime() {
		return "any time"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", w.Start/60, w.Start%60, w.End/60, w.End%60, w.zone())
}

// valid reports whether Start and End are minutes of a day.
func (w Window) valid() bool {
	return 0 <= w.Start && w.Start < 24*60 && 0 <= w.End && w.End < 24*60
}
