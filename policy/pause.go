package policy

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// pauseBucket is the policy's bbolt bucket for pauses: key the device or
// profile name, value the pause's end as JSON.
var pauseBucket = []byte("policy.pauses")

// Pauses holds the devices and profiles a parent paused, until when. The
// table is replaced whole on each change, so Decide reads it with one
// atomic load; changes are written to bbolt before they take effect, so a
// pause survives a restart or a power cut.
type Pauses struct {
	db    *bolt.DB                             // nil: kept in memory only
	table atomic.Pointer[map[string]time.Time] // never nil after NewPauses
	mu    sync.Mutex                           // serialises changes
}

// NewPauses loads the pauses kept in db (nil for memory only).
func NewPauses(db *bolt.DB) (*Pauses, error) {
	p := &Pauses{db: db}
	t := map[string]time.Time{}
	if db != nil {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(pauseBucket)
			if err != nil {
				return err
			}
			return b.ForEach(func(k, v []byte) error {
				var until time.Time
				if json.Unmarshal(v, &until) == nil {
					t[string(k)] = until
				}
				return nil
			})
		})
		if err != nil {
			return nil, fmt.Errorf("loading pauses: %w", err)
		}
	}
	p.table.Store(&t)
	return p, nil
}

// Pause pauses target (a device or profile name) until until.
func (p *Pauses) Pause(target string, until time.Time) error {
	return p.change(func(t map[string]time.Time) { t[target] = until }, func(b *bolt.Bucket) error {
		v, _ := json.Marshal(until)
		return b.Put([]byte(target), v)
	})
}

// Resume ends target's pause now.
func (p *Pauses) Resume(target string) error {
	return p.change(func(t map[string]time.Time) { delete(t, target) }, func(b *bolt.Bucket) error {
		return b.Delete([]byte(target))
	})
}

func (p *Pauses) change(edit func(map[string]time.Time), store func(*bolt.Bucket) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		err := p.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(pauseBucket)
			if err != nil {
				return err
			}
			return store(b)
		})
		if err != nil {
			return fmt.Errorf("saving the pause: %w", err)
		}
	}
	next := map[string]time.Time{}
	for k, v := range *p.table.Load() {
		next[k] = v
	}
	edit(next)
	p.table.Store(&next)
	return nil
}

// Pause is one pause in force, for `amane usage` and the admin page.
type Pause struct {
	Target string
	Until  time.Time
}

// List returns the pauses still in force at now, soonest end first.
func (p *Pauses) List(now time.Time) []Pause {
	var out []Pause
	for k, v := range *p.table.Load() {
		if now.Before(v) {
			out = append(out, Pause{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Until.Before(out[j].Until) })
	return out
}

// until returns when a pause of any of the names ends, if one is in force.
func (p *Pauses) until(now time.Time, names ...string) (time.Time, bool) {
	if p == nil {
		return time.Time{}, false
	}
	t := *p.table.Load()
	if len(t) == 0 {
		return time.Time{}, false
	}
	var end time.Time
	for _, n := range names {
		if u, ok := t[n]; ok && now.Before(u) && u.After(end) {
			end = u
		}
	}
	return end, !end.IsZero()
}
