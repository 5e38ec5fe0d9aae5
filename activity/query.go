package activity

import (
	"math"
	"sort"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// Filter narrows Recent.
type Filter struct {
	Blocked bool      // blocked answers only
	Since   time.Time // zero: everything kept
	Limit   int       // at most this many, newest first; 0: all
}

// Recent returns the answers kept in memory for device (its name, or
// "@address" when unnamed; "" for every device), newest first.
func (l *Log) Recent(device string, f Filter) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for k, d := range l.devices {
		if device != "" && k.String() != device {
			continue
		}
		n := d.next
		if d.full {
			n = len(d.ring)
		}
		since := f.Since.UnixNano()
		if f.Since.IsZero() {
			since = math.MinInt64
		}
		for i := range n {
			r := &d.ring[(d.next-1-i+len(d.ring))%len(d.ring)]
			if r.at < since {
				break // older ones follow
			}
			if f.Blocked && r.flags&recentBlocked == 0 {
				continue
			}
			out = append(out, r.entry(k.String()))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// Period is how Totals groups hours.
type Period uint8

// The periods.
const (
	Daily  Period = iota // local days
	Weekly               // weeks starting on Monday, local time
)

// Total is what one device (or all) did in one day or week.
type Total struct {
	Start     time.Time `json:"start"` // local midnight of the day, or of the week's Monday
	Queries   uint32    `json:"queries"`
	Blocked   uint32    `json:"blocked"`
	Mandatory uint32    `json:"mandatory"`
	// Minutes are the minutes in which the device was answered a name:
	// its time online.
	Minutes  int               `json:"minutes"`
	ByReason map[string]uint32 `json:"by_reason,omitempty"`
	// Categories are by category id: answered and blocked names, and the
	// minutes in which the device resolved one of them (active minutes, as
	// budgets count them).
	Categories map[string]CategoryTotal `json:"categories,omitempty"`
	// Apps are the minutes of use of each app of the built-in catalog, by
	// its id.
	Apps map[string]int `json:"apps,omitempty"`
	Top  []NameCount    `json:"top,omitempty"`
}

// CategoryTotal is one category's share of a Total.
type CategoryTotal struct {
	Queries uint32 `json:"queries"`
	Blocked uint32 `json:"blocked"`
	Minutes int    `json:"minutes"`
}

// Totals returns device's aggregates (every device for "", or those of a
// profile with Who{Profile}) between from and to, by period, oldest first.
func (l *Log) Totals(who Who, from, to time.Time, by Period) ([]Total, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byStart := map[time.Time]*Total{}
	tops := map[time.Time]map[string]uint32{}
	err := l.eachHourLocked(unixHour(from), unixHour(to), func(hour uint32, h *Hour) {
		if !who.matches(h) {
			return
		}
		start := l.periodStart(hourStart(hour), by)
		t := byStart[start]
		if t == nil {
			t = &Total{Start: start, ByReason: map[string]uint32{}, Categories: map[string]CategoryTotal{}, Apps: map[string]int{}}
			byStart[start] = t
			tops[start] = map[string]uint32{}
		}
		t.add(h)
		for _, nc := range h.top() {
			tops[start][nc.Name] += nc.Count
		}
	})
	out := make([]Total, 0, len(byStart))
	for start, t := range byStart {
		for n, c := range tops[start] {
			t.Top = append(t.Top, NameCount{n, c})
		}
		sort.Slice(t.Top, func(i, j int) bool {
			return t.Top[i].Count > t.Top[j].Count || t.Top[i].Count == t.Top[j].Count && t.Top[i].Name < t.Top[j].Name
		})
		t.Top = t.Top[:min(len(t.Top), TopNames)]
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, err
}

func (t *Total) add(h *Hour) {
	t.Queries += h.Queries
	t.Blocked += h.Blocked
	t.Mandatory += h.Mandatory
	t.Minutes += popcount(h.Minutes)
	for why, n := range h.ByReason {
		if n > 0 {
			t.ByReason[reasons[why]] += n
		}
	}
	for i, c := range h.Cats {
		if c == (CategoryHour{}) {
			continue
		}
		id := blocklist.Category(i).String()
		ct := t.Categories[id]
		ct.Queries += c.Queries
		ct.Blocked += c.Blocked
		ct.Minutes += popcount(c.Minutes)
		t.Categories[id] = ct
	}
	for _, a := range h.Apps {
		t.Apps[a.ID] += popcount(a.Minutes)
	}
}

// periodStart is the local midnight that starts t's day or week.
func (l *Log) periodStart(t time.Time, by Period) time.Time {
	lt := t.In(l.loc)
	day := lt.Day()
	if by == Weekly {
		day -= (int(lt.Weekday()) + 6) % 7 // back to Monday
	}
	return time.Date(lt.Year(), lt.Month(), day, 0, 0, 0, 0, l.loc)
}

// Who selects aggregates: a device, a profile, or (zero) everyone.
type Who struct {
	Device  string // a device's name, or "@address"
	Profile string
}

func (w Who) matches(h *Hour) bool {
	return (w.Device == "" || w.Device == h.Device) && (w.Profile == "" || w.Profile == h.Profile)
}

// Today is the home page's line for a profile: "12 blocked attempts
// today, 2 adult".
type Today struct {
	Profile string `json:"profile"`
	Queries uint32 `json:"queries"`
	Blocked uint32 `json:"blocked"`
	Adult   uint32 `json:"adult"` // blocked for the adult category
	Abuse   uint32 `json:"abuse"` // blocked for a mandatory category
}

// TodayOf returns today's counts (local day) for profile.
func (l *Log) TodayOf(profile string) (Today, error) {
	now := l.now()
	start := l.periodStart(now, Daily)
	ts, err := l.Totals(Who{Profile: profile}, start, now, Daily)
	t := Today{Profile: profile}
	for _, x := range ts {
		t.Queries += x.Queries
		t.Blocked += x.Blocked
		t.Abuse += x.Mandatory
		t.Adult += x.Categories[blocklist.Adult.String()].Blocked
	}
	return t, err
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
