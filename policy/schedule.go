package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // a router without zoneinfo must still know when bedtime is

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
)

// minutesPerWeek is the length of the weekly cycle schedules repeat on.
const minutesPerWeek = 7 * 24 * 60

// ScheduleConfig is one [[profile.schedule]]: a weekly window that blocks
// everything (bedtime, exam mode) or chosen categories (school hours).
type ScheduleConfig struct {
	// Days are the days the window starts on: "mon" ... "sun", or
	// "weekdays", "weekend", "all".
	Days []string `toml:"days"`
	// From and To are local times "HH:MM". A window whose To is not after
	// its From runs overnight, into the next day.
	From string `toml:"from"`
	To   string `toml:"to"`
	// Block is "all" or a list of categories.
	Block CategorySpec `toml:"block"`
	// BlockServices are apps blocked in the window ("tiktok").
	BlockServices []string `toml:"block_services"`
}

// CategorySpec is "all" or a list of category ids, as TOML writes them.
type CategorySpec struct {
	All        bool
	Categories []string
}

// UnmarshalTOML reads a string ("all") or an array of strings.
func (c *CategorySpec) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		if v != "all" {
			return fmt.Errorf("%q: want \"all\" or a list of categories", v)
		}
		c.All = true
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("%v is not a category name", x)
			}
			c.Categories = append(c.Categories, s)
		}
	default:
		return fmt.Errorf("want \"all\" or a list of categories, not %T", v)
	}
	return nil
}

var dayIndex = map[string][]time.Weekday{
	"sun": {time.Sunday}, "mon": {time.Monday}, "tue": {time.Tuesday}, "wed": {time.Wednesday},
	"thu": {time.Thursday}, "fri": {time.Friday}, "sat": {time.Saturday},
	"weekdays": {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	"weekend":  {time.Saturday, time.Sunday},
	"all":      {time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 24:00)", s)
	}
	return h*60 + m, nil
}

// span is one stretch of the week, in minutes since Sunday 00:00 local time.
type span struct {
	from, to int // to may exceed minutesPerWeek: the span wraps into next week
	all      bool
	cats     blocklist.Categories
	services catalog.ServiceSet
}

// schedule is a profile's compiled windows: spans of the week, and the
// sorted minutes at which any of them starts or ends.
type schedule struct {
	spans      []span
	boundaries []int // sorted, unique, each < minutesPerWeek
	// last is what at found for the latest minute it was asked about. Every
	// answer to a device of the profile asks, and the calendar work (the
	// local time's fields, the next boundary placed on the calendar) was a
	// sixth of Decide's CPU (issue 14): within one minute, only the time
	// left to the next boundary changes.
	last *atomic.Pointer[scheduleMinute]
}

// scheduleMinute is what a schedule says for one minute.
type scheduleMinute struct {
	minute   int64          // the Unix minute it is for
	loc      *time.Location // the location it was placed in
	all      bool
	cats     blocklist.Categories
	services catalog.ServiceSet
	next     time.Time // the next boundary
}

func compileSchedule(cfgs []ScheduleConfig) (schedule, error) {
	s := schedule{last: new(atomic.Pointer[scheduleMinute])}
	seen := map[int]bool{}
	for _, c := range cfgs {
		from, err := parseClock(c.From)
		if err != nil {
			return s, err
		}
		to, err := parseClock(c.To)
		if err != nil {
			return s, err
		}
		if to <= from {
			to += 24 * 60 // overnight
		}
		cats, _ := blocklist.ParseCategories(strings.Join(c.Block.Categories, ","))
		services, err := catalog.ParseServices(c.BlockServices)
		if err != nil {
			return s, err
		}
		for _, d := range c.Days {
			for _, wd := range dayIndex[strings.ToLower(d)] {
				start := int(wd) * 24 * 60
				s.spans = append(s.spans, span{from: start + from, to: start + to, all: c.Block.All, cats: cats, services: services})
				for _, b := range []int{start + from, (start + to) % minutesPerWeek} {
					if !seen[b] {
						seen[b] = true
						s.boundaries = append(s.boundaries, b)
					}
				}
			}
		}
	}
	sort.Ints(s.boundaries)
	return s, nil
}

// weekMinute is t's minute of the week in loc, Sunday 00:00 being 0.
func weekMinute(lt time.Time) int {
	return int(lt.Weekday())*24*60 + lt.Hour()*60 + lt.Minute()
}

// at returns what the schedule blocks at local time lt, and how long until
// that may change (the next boundary of any window, 0 with no windows).
func (s *schedule) at(lt time.Time) (all bool, cats blocklist.Categories, services catalog.ServiceSet, next time.Duration) {
	if len(s.spans) == 0 {
		return false, 0, services, 0
	}
	// Within one Unix minute, the local minute is one too: every zone's
	// offset, and every change of it, falls on a whole minute (the
	// seconds of some zones' offsets before 1900 aside, which at never
	// stores).
	minute := lt.Unix() / 60
	if s.last != nil {
		if c := s.last.Load(); c != nil && c.minute == minute && c.loc == lt.Location() {
			return c.all, c.cats, c.services, max(c.next.Sub(lt), time.Second)
		}
	}
	m := weekMinute(lt)
	for _, sp := range s.spans {
		if (m >= sp.from && m < sp.to) || (m+minutesPerWeek >= sp.from && m+minutesPerWeek < sp.to) {
			all = all || sp.all
			cats |= sp.cats
			services = services.Or(sp.services)
		}
	}
	at := s.nextBoundary(lt, m)
	if _, offset := lt.Zone(); offset%60 == 0 && s.last != nil {
		s.last.Store(&scheduleMinute{minute: minute, loc: lt.Location(), all: all, cats: cats, services: services, next: at})
	}
	return all, cats, services, max(at.Sub(lt), time.Second)
}

// nextBoundary is the time of the next boundary after lt's minute m. The
// boundary is placed on the calendar in lt's location, so a daylight
// saving change (or Morocco's Ramadan change) between now and then is
// counted in hours as they will pass, not as the clock shows them.
func (s *schedule) nextBoundary(lt time.Time, m int) time.Time {
	i := sort.SearchInts(s.boundaries, m+1)
	b := 0
	if i < len(s.boundaries) {
		b = s.boundaries[i] - m
	} else {
		b = s.boundaries[0] + minutesPerWeek - m
	}
	day := lt.Day() + (lt.Hour()*60+lt.Minute()+b)/(24*60)
	min := (lt.Hour()*60 + lt.Minute() + b) % (24 * 60)
	return time.Date(lt.Year(), lt.Month(), day, min/60, min%60, 0, 0, lt.Location())
}

// MarshalTOML writes the spec as UnmarshalTOML reads it.
func (c CategorySpec) MarshalTOML() ([]byte, error) {
	if c.All {
		return []byte(`"all"`), nil
	}
	q := make([]string, len(c.Categories))
	for i, s := range c.Categories {
		q[i] = strconv.Quote(s)
	}
	return []byte("[" + strings.Join(q, ", ") + "]"), nil
}
