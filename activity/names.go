package activity

import (
	"hash/maphash"
	"slices"
	"strings"
)

// nameTracker is the space-saving counters of one device's hour: the
// trackNames names most asked, each with a count that is at most the
// count of the rarest one above its true count (Metwally, Agrawal and El
// Abbadi, "Efficient computation of frequent and top-k elements in data
// streams", 2005).
//
// It is the activity writer's hottest piece: a child's device asks mostly
// names new to the hour, and each new name takes the place of the rarest.
// So a name is hashed once; the hash finds its counter in a small table of
// its own (no Go map: a map hashes the string again on every delete and
// insert); and the counts are kept sorted, so that the rarest is the first
// and a count goes up by one with a binary search over one array of 80
// counts and a swap (the "stream summary" of the paper, in an array).
type nameTracker struct {
	n     int                     // counters in use
	c     [trackNames]nameCounter // by id
	cnt   [trackNames]uint32      // by rank: ascending
	id    [trackNames]uint8       // by rank: the counter's id
	rank  [trackNames]uint8       // by id
	table [trackTable]uint8       // open addressing by hash: 1 + id, 0 empty
}

// trackTable is the hash table's size: a power of two, at most a third
// full, so that a probe ends within a slot or two.
const trackTable = 256

// A counter's id and rank fit in a byte.
var _ [255 - trackNames]struct{}

var nameSeed = maphash.MakeSeed()

// nameCounter is a tracked name.
type nameCounter struct {
	Name     string
	app      string // appOf(Name), once appKnown: matched on first need
	appKnown bool
	hash     uint64
}

func newNameTracker(top []NameCount) *nameTracker {
	t := &nameTracker{}
	top = slices.Clone(top)
	slices.SortFunc(top, func(a, b NameCount) int { return int(int64(a.Count) - int64(b.Count)) })
	for _, nc := range top {
		if t.n == trackNames {
			break
		}
		h := maphash.String(nameSeed, nc.Name)
		if t.find(nc.Name, h) >= 0 {
			continue // a damaged record naming one twice
		}
		id := t.n
		t.n++
		t.c[id] = nameCounter{Name: nc.Name, hash: h}
		t.cnt[id], t.id[id], t.rank[id] = nc.Count, uint8(id), uint8(id) // ascending: appended in order
		t.insert(id)
	}
	return t
}

// count adds one to name's count and returns its counter: its Name a
// string of its own (name may be a view of a ring slot), its app matched
// once.
func (t *nameTracker) count(name string) *nameCounter {
	h := maphash.String(nameSeed, name)
	if id := t.find(name, h); id >= 0 {
		t.bump(int(t.rank[id]))
		return &t.c[id]
	}
	name = strings.Clone(name)
	var id int
	if t.n < trackNames {
		// A new counter at count 0 is the rarest: rank 0, the others
		// one rank up.
		id = t.n
		copy(t.cnt[1:t.n+1], t.cnt[:t.n])
		copy(t.id[1:t.n+1], t.id[:t.n])
		t.n++
		for r := 1; r < t.n; r++ {
			t.rank[t.id[r]] = uint8(r)
		}
		t.cnt[0], t.id[0], t.rank[id] = 0, uint8(id), 0
	} else {
		// The rarest gives way, and its count goes to the new name.
		id = int(t.id[0])
		t.remove(id)
	}
	t.c[id] = nameCounter{Name: name, hash: h}
	t.insert(id)
	t.bump(0)
	return &t.c[id]
}

// bump adds one to the count at rank r, keeping the counts sorted: the
// counter changes places with the last of those with the same count.
func (t *nameTracker) bump(r int) {
	c := t.cnt[r]
	// The first rank past r with a greater count, by binary search.
	lo, hi := r+1, t.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.cnt[m] > c {
			hi = m
		} else {
			lo = m + 1
		}
	}
	last := lo - 1
	if last != r {
		a, b := t.id[r], t.id[last]
		t.id[r], t.id[last] = b, a
		t.rank[a], t.rank[b] = uint8(last), uint8(r)
	}
	t.cnt[last]++
}

// find returns the id of name's counter, -1 when it has none.
func (t *nameTracker) find(name string, h uint64) int {
	for s := h & (trackTable - 1); ; s = (s + 1) & (trackTable - 1) {
		e := t.table[s]
		if e == 0 {
			return -1
		}
		if c := &t.c[e-1]; c.hash == h && c.Name == name {
			return int(e - 1)
		}
	}
}

// insert puts counter id in the table.
func (t *nameTracker) insert(id int) {
	s := t.c[id].hash & (trackTable - 1)
	for t.table[s] != 0 {
		s = (s + 1) & (trackTable - 1)
	}
	t.table[s] = uint8(id + 1)
}

// remove takes counter id out of the table, moving back the entries after
// it that would no longer be found (deletion without tombstones, for
// linear probing: Knuth's algorithm R).
func (t *nameTracker) remove(id int) {
	s := t.c[id].hash & (trackTable - 1)
	for int(t.table[s]) != id+1 {
		s = (s + 1) & (trackTable - 1)
	}
	t.table[s] = 0
	for j := (s + 1) & (trackTable - 1); t.table[j] != 0; j = (j + 1) & (trackTable - 1) {
		home := t.c[t.table[j]-1].hash & (trackTable - 1)
		// Entry j may move to the hole at s unless its home lies
		// cyclically in (s, j].
		if (j-home)&(trackTable-1) >= (j-s)&(trackTable-1) {
			t.table[s], t.table[j] = t.table[j], 0
			s = j
		}
	}
}

// counts returns the tracked names and their counts, rarest first.
func (t *nameTracker) counts() []NameCount {
	out := make([]NameCount, t.n)
	for r := range t.n {
		out[r] = NameCount{Name: t.c[t.id[r]].Name, Count: t.cnt[r]}
	}
	return out
}
