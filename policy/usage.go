package policy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/amane-dns/amane/blocklist"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// usageBucket holds today's use: key "DAY\x00DEVICE\x00BUDGET", value the
// minutes used and the bonus minutes granted, big-endian.
var usageBucket = []byte("policy.usage")

// saneAfter is a moment this build cannot predate: a clock before it (a Pi
// without a real-time clock, before NTP) is wrong, and must never reset or
// grant anyone's budget.
var saneAfter = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// UseKey names one device's use of one budget of its profile. It is a
// comparable value built without allocating, on the hot path.
type UseKey struct {
	Device string     // the device's name; "" for an unnamed device,
	Addr   netip.Addr // which is known by its address
	Budget uint8      // index in the profile's budgets
}

func (k UseKey) who() string {
	if k.Device != "" {
		return k.Device
	}
	return "@" + k.Addr.String()
}

// Use is one query that spent budgeted time, sent by the resolver.
type Use struct {
	Key UseKey
	At  time.Time
}

// usage is one device's use of one budget on one day.
type usage struct {
	minutes uint16
	granted uint16
	last    int64 // the last minute counted, unix minutes
}

// Usage counts the minutes each device spends in each budget today. One
// goroutine (Run) owns the writes; Decide reads under a read lock. A minute
// counts once, however many names the device resolved in it.
type Usage struct {
	db  *bolt.DB // nil: kept in memory only
	loc *time.Location

	mu  sync.RWMutex // guards following
	day string       // the local day the counts are for, "2026-11-23"
	// from and to bound the day in Unix seconds: Decide checks that an
	// answer falls in it with two comparisons, not by placing it on the
	// calendar.
	from, to int64
	uses     map[UseKey]*usage
	dirty    bool
}

// NewUsage loads today's counts from db (nil for memory only).
func NewUsage(db *bolt.DB, loc *time.Location, now time.Time) (*Usage, error) {
	u := &Usage{db: db, loc: loc, uses: map[UseKey]*usage{}}
	u.setDay(now)
	if db == nil {
		return u, nil
	}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(usageBucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			day, key, ok := splitUsageKey(k)
			if ok && day == u.day && len(v) == 4 {
				u.uses[key] = &usage{minutes: binary.BigEndian.Uint16(v), granted: binary.BigEndian.Uint16(v[2:])}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("loading usage: %w", err)
	}
	return u, nil
}

func usageKey(day string, k UseKey) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%d", day, k.who(), k.Budget)
}

func splitUsageKey(k []byte) (string, UseKey, bool) {
	var day, dev string
	var budget uint8
	parts := splitZero(k)
	if len(parts) != 3 {
		return "", UseKey{}, false
	}
	day, dev = parts[0], parts[1]
	if _, err := fmt.Sscanf(parts[2], "%d", &budget); err != nil {
		return "", UseKey{}, false
	}
	if a, ok := strings.CutPrefix(dev, "@"); ok {
		addr, err := netip.ParseAddr(a)
		return day, UseKey{Addr: addr, Budget: budget}, err == nil
	}
	return day, UseKey{Device: dev, Budget: budget}, true
}

func splitZero(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return append(out, string(b[start:]))
}

func (u *Usage) setDay(now time.Time) {
	lt := now.In(u.loc)
	u.day = lt.Format(time.DateOnly)
	y, m, d := lt.Date()
	u.from = time.Date(y, m, d, 0, 0, 0, 0, u.loc).Unix()
	u.to = time.Date(y, m, d+1, 0, 0, 0, 0, u.loc).Unix()
}

// todayLocked reports whether now falls on the day the counts are for.
func (u *Usage) todayLocked(now time.Time) bool {
	s := now.Unix()
	return s >= u.from && s < u.to
}

// rollover starts a new day's counts at local midnight. A clock that is
// obviously wrong changes nothing.
func (u *Usage) rolloverLocked(now time.Time) {
	if now.Before(saneAfter) {
		return
	}
	if !u.todayLocked(now) {
		u.setDay(now)
		u.uses, u.dirty = map[UseKey]*usage{}, true
	}
}

// record counts a use: a new minute for its device and budget. It
// returns the minutes used today when the use began a new minute, else 0.
func (u *Usage) record(use Use) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rolloverLocked(use.At)
	if use.At.Before(saneAfter) {
		return 0
	}
	x := u.uses[use.Key]
	if x == nil {
		x = &usage{}
		u.uses[use.Key] = x
	}
	if m := use.At.Unix() / 60; m != x.last {
		x.last = m
		x.minutes++
		u.dirty = true
		return int(x.minutes)
	}
	return 0
}

// Grant adds minutes to today's allowance of one budget of one device.
func (u *Usage) Grant(k UseKey, minutes int, now time.Time) error {
	if now.Before(saneAfter) {
		return fmt.Errorf("the clock says %s, before this build: no grant until it is set", now.Format(time.DateOnly))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rolloverLocked(now)
	x := u.uses[k]
	if x == nil {
		x = &usage{}
		u.uses[k] = x
	}
	x.granted = uint16(min(int(x.granted)+minutes, 24*60))
	u.dirty = true
	return nil
}

// used returns the minutes used and granted today; it is the one read of
// the usage counters that Decide makes.
func (u *Usage) used(k UseKey, now time.Time) (used, granted int, counted bool) {
	if u == nil {
		return 0, 0, false
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	if x, ok := u.uses[k]; ok && (now.Before(saneAfter) || u.todayLocked(now)) {
		return int(x.minutes), int(x.granted), x.last == now.Unix()/60
	}
	return 0, 0, false
}

// Run records uses until uses is closed, flushing to bbolt every flush
// (an SD card must last years: one write a minute, not one a query), and
// once more at the end. counted, if not nil, is told of each minute newly
// counted (at most one call a minute for each device and budget).
func (u *Usage) Run(uses <-chan Use, flush time.Duration, counted func(k UseKey, minutes int)) {
	t := time.NewTicker(flush)
	defer t.Stop()
	for {
		select {
		case use, ok := <-uses:
			if !ok {
				u.Flush()
				return
			}
			if n := u.record(use); n > 0 && counted != nil {
				counted(use.Key, n)
			}
		case <-t.C:
			u.Flush()
		}
	}
}

// Flush writes the counts if they changed, and drops past days.
func (u *Usage) Flush() error {
	u.mu.Lock()
	if !u.dirty || u.db == nil {
		u.mu.Unlock()
		return nil
	}
	day := u.day
	snapshot := make(map[UseKey]usage, len(u.uses))
	for k, v := range u.uses {
		snapshot[k] = *v
	}
	u.dirty = false
	u.mu.Unlock()
	return u.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(usageBucket); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		b, err := tx.CreateBucket(usageBucket)
		if err != nil {
			return err
		}
		for k, v := range snapshot {
			val := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, v.minutes), v.granted)
			if err := b.Put(usageKey(day, k), val); err != nil {
				return err
			}
		}
		return nil
	})
}

// Today is one line of `amane usage`.
type Today struct {
	Key     UseKey
	Minutes int
	Granted int
}

// List returns today's counts, by device then budget.
func (u *Usage) List() []Today {
	u.mu.RLock()
	defer u.mu.RUnlock()
	var out []Today
	for k, v := range u.uses {
		out = append(out, Today{k, int(v.minutes), int(v.granted)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key.who() != out[j].Key.who() {
			return out[i].Key.who() < out[j].Key.who()
		}
		return out[i].Key.Budget < out[j].Key.Budget
	})
	return out
}

// BudgetKey finds the budget of device's profile that covers category, for
// `amane grant`.
func (s *Snapshot) BudgetKey(device, category string) (UseKey, error) {
	c, err := blocklist.ParseCategory(category)
	if err != nil {
		return UseKey{}, err
	}
	for _, d := range s.id.devices() {
		if d.name != device {
			continue
		}
		for i, b := range d.profile.budgets {
			if b.cats.Has(c) {
				return UseKey{Device: device, Budget: uint8(i)}, nil
			}
		}
		return UseKey{}, fmt.Errorf("profile %q of %q has no budget for %s", d.profile.name, device, category)
	}
	return UseKey{}, fmt.Errorf("no device named %q", device)
}

// Describe says what a use key counts against: its profile, categories
// and today's allowance, for `amane usage`.
func (s *Snapshot) Describe(k UseKey, now time.Time) (profile, categories string, allowance int) {
	p := s.id.fallback
	if k.Device != "" {
		for _, d := range s.id.devices() {
			if d.name == k.Device {
				p = d.profile
			}
		}
	} else {
		p, _ = s.id.identify(Client{Addr: k.Addr})
	}
	if int(k.Budget) >= len(p.budgets) {
		return p.name, "?", 0
	}
	b := p.budgets[k.Budget]
	allowance = b.weekday
	if wd := now.In(s.loc).Weekday(); wd == time.Saturday || wd == time.Sunday {
		allowance = b.weekend
	}
	return p.name, b.cats.String(), allowance
}
