package blocklist

import (
	"fmt"
	"math"
)

// entry is what a Set knows about one name, shared by every name with the
// same combination: in practice a few per list, so a 16-bit index suffices.
type entry struct {
	self  Categories // categories blocking the name itself
	below Categories // categories blocking the names below it
	allow uint8      // allowSelf, allowBelow
	list  uint16     // list of the rule Explain cites
}

const (
	allowSelf  = 1 << iota // an exception covers the name itself
	allowBelow             // an exception covers the names below it
)

// interner deduplicates entries.
type interner struct {
	index   map[entry]uint16
	entries []entry
}

// intern returns the index of e, adding it if new.
func (in *interner) intern(e entry) (uint16, error) {
	if i, ok := in.index[e]; ok {
		return i, nil
	}
	if len(in.entries) > math.MaxUint16 {
		// Lists would have to combine categories and scopes in more ways
		// than a 16-bit payload indexes, which takes thousands of lists.
		return 0, fmt.Errorf("interning rule: more than %d distinct combinations", math.MaxUint16+1)
	}
	if in.index == nil {
		in.index = make(map[entry]uint16)
	}
	i := uint16(len(in.entries))
	in.index[e] = i
	in.entries = append(in.entries, e)
	return i, nil
}

// merge folds the records of one fingerprint into an entry and the line of
// the rule to cite: an exception before a block (it decides when both
// apply), then the first list, then the first line.
func merge(g []record, lists []ListInfo) (entry, uint32) {
	var e entry
	best := 0
	for i, r := range g {
		self, below := r.flags&recSelf != 0, r.flags&recBelow != 0
		cat := Categories(0).Add(lists[r.list].Category)
		switch {
		case r.flags&recException != 0 && self:
			e.allow |= allowSelf
		case self:
			e.self |= cat
		}
		switch {
		case r.flags&recException != 0 && below:
			e.allow |= allowBelow
		case below:
			e.below |= cat
		}
		if cites(r, g[best]) {
			best = i
		}
	}
	e.list = g[best].list
	return e, g[best].line
}

// cites reports whether Explain should cite a rather than b.
func cites(a, b record) bool {
	if ae, be := a.flags&recException != 0, b.flags&recException != 0; ae != be {
		return ae
	}
	if a.list != b.list {
		return a.list < b.list
	}
	return a.line < b.line
}

// merger yields the records of several sorted chunks in key order: a binary
// min-heap of chunk cursors, keyed by each cursor's first record. With 32
// chunks a million records cost about five comparisons each.
type merger struct {
	heap []cursor // non-empty remainders of the chunks
}

// cursor is what remains of one chunk, and its list.
type cursor struct {
	rest []packed
	list uint16
}

// newMerger starts a merge of log's sorted chunks; they are only resliced.
func newMerger(log *recordLog) *merger {
	m := &merger{}
	for i, c := range log.chunks {
		if len(c) > 0 {
			m.heap = append(m.heap, cursor{c, log.lists[i]})
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m
}

// next returns the smallest remaining record.
func (m *merger) next() (record, bool) {
	if len(m.heap) == 0 {
		return record{}, false
	}
	top := &m.heap[0]
	r := top.rest[0].unpack(top.list)
	if top.rest = top.rest[1:]; len(top.rest) == 0 {
		last := len(m.heap) - 1
		m.heap[0] = m.heap[last]
		m.heap = m.heap[:last]
	}
	m.down(0)
	return r, true
}

// down restores the heap below i.
func (m *merger) down(i int) {
	h := m.heap
	for {
		small, l := i, 2*i+1
		if l < len(h) && h[l].rest[0].key() < h[small].rest[0].key() {
			small = l
		}
		if r := l + 1; r < len(h) && h[r].rest[0].key() < h[small].rest[0].key() {
			small = r
		}
		if small == i {
			return
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
}

// groups calls fn with each run of records sharing a key, in key order. The
// slice passed to fn is reused.
func (m *merger) groups(fn func([]record) error) error {
	var g []record
	r, ok := m.next()
	for ok {
		g = append(g[:0], r)
		for r, ok = m.next(); ok && r.key == g[0].key; r, ok = m.next() {
			g = append(g, r)
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}
