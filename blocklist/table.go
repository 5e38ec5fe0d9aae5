package blocklist

import (
	"cmp"
	"math/bits"
	"slices"
	"unsafe"
)

// table is an immutable set of 64-bit name fingerprints with a payload each,
// laid out for a small footprint, one likely cache miss a probe, and few
// unpredictable branches (on random names those cost more than the misses).
//
// The top `bits` bits of a fingerprint k pick a bucket; buckets hold 8 to
// 16 names. A bucket header (16 bytes, four to a cache line) gives where its
// slots start and carries a 96-bit filter of its names (one bit in each of
// three 32-bit words, from k's low 15 bits), so that about 94% of the
// probes for an absent name end at the header, without a data-dependent
// branch. A slot holds what a lookup needs of one name in 8 bytes: the low
// 48 bits of k (a 16-bit tag and a 32-bit low word) and the payload index,
// sorted by (bucket, tag, low) and searched from where interpolation puts
// the tag, so the probe that finds a name also has its answer. The line of
// the rule Explain cites is in lines, beside the slots and not in them: no
// lookup reads it, so in a Set mapped from its compiled file (compiled.go)
// those pages are never brought into memory unless someone asks why.
//
// Per name: 8 bytes of slot plus 16/load of header, 9 to 10 bytes, and the
// 4 bytes of its line where nothing is mapped; against 16+ for a sorted
// []uint64 with payloads and 60+ for a map[string].
// Below 2^20 names a table keeps 48+bits bits of each fingerprint, and a
// probe falsely matches with probability about load/2^48 ≤ 5.7e-14; from
// 2^20 names on it keeps all 64 and it is n/2^64 (1.1e-13 at 2M names). See
// set.go for what that means per query.
type table struct {
	shift   uint8    // 64 - bucket bits: bucket of k is k >> shift
	buckets []header // 1<<bits headers and a sentinel; empty when the table is
	slots   []slot
	lines   []uint32 // lines[i] is the line of slots[i]'s rule; Explain only
}

// header is a bucket's start in slots and its filter.
type header struct {
	start  uint32
	filter [3]uint32
}

// slot is one name of a table. Go lays it out in 8 bytes.
type slot struct {
	tag     uint16 // bits 32..47 of the fingerprint
	payload uint16 // index into Set.entries
	low     uint32 // bits 0..31 of the fingerprint
}

// maxBucketBits bounds the headers at 256 MiB, far beyond any real list.
const maxBucketBits = 24

// bucketBits picks 2^bits buckets for n keys, 8 to 16 keys a bucket.
func bucketBits(n int) uint8 {
	return uint8(min(max(bits.Len(uint(n))-4, 0), maxBucketBits))
}

// sortKey orders fingerprints by (bucket, low 48 bits), the slot order;
// two fingerprints with one sort key are one name to the table. From 16
// bucket bits on, the bucket overlaps the low 48 bits and k itself has that
// order. A shift by 64 (one bucket) yields 0 in Go.
func sortKey(k uint64, shift uint8) uint64 {
	if shift <= 48 {
		return k
	}
	return (k>>shift)<<48 | k&(1<<48-1)
}

// sortBucket returns the bucket of a sort key.
func sortBucket(sk uint64, shift uint8) uint64 {
	if shift <= 48 {
		return sk >> shift
	}
	return sk >> 48
}

// mayHold tests k against a bucket's filter: false means k is not there.
func (h *header) mayHold(k uint64) bool {
	return h.filter[0]>>(k&31)&(h.filter[1]>>(k>>5&31))&(h.filter[2]>>(k>>10&31))&1 != 0
}

// add sets k's bits in the filter.
func (h *header) add(k uint64) {
	h.filter[0] |= 1 << (k & 31)
	h.filter[1] |= 1 << (k >> 5 & 31)
	h.filter[2] |= 1 << (k >> 10 & 31)
}

// find returns the index of fingerprint k, or -1. It does not allocate.
func (t *table) find(k uint64) int {
	if len(t.buckets) == 0 {
		return -1
	}
	h := &t.buckets[k>>t.shift]
	if !h.mayHold(k) {
		return -1
	}
	lo, end := h.start, t.buckets[k>>t.shift+1].start
	p := start(k, lo, end)
	return t.search(k, lo, end, p, t.tagAt(p, end))
}

// start is where interpolation expects k's tag in the bucket [lo, end):
// tags in a bucket are uniform and sorted, so the search then walks about
// one slot, against four unpredictable branches for a binary search.
func start(k uint64, lo, end uint32) uint32 {
	return lo + uint32(uint64(uint16(k>>32))*uint64(end-lo)>>16)
}

// tagAt loads the tag at p, which brings the slots the search reads into
// the cache; 0 when the bucket is empty.
func (t *table) tagAt(p, end uint32) uint16 {
	if p >= end {
		return 0
	}
	return t.slots[p].tag
}

// search looks for k in the bucket [lo, end), starting at p, whose tag tp
// the caller loaded ahead.
func (t *table) search(k uint64, lo, end, p uint32, tp uint16) int {
	tag, low := uint16(k>>32), uint32(k)
	if p < end && tp < tag {
		for p++; p < end && t.slots[p].tag < tag; p++ {
		}
	} else {
		for p > lo && t.slots[p-1].tag >= tag {
			p--
		}
	}
	for ; p < end && t.slots[p].tag == tag; p++ {
		if t.slots[p].low == low {
			return int(p)
		}
	}
	return -1
}

// len returns the number of fingerprints.
func (t *table) len() int { return len(t.slots) }

// memSize returns the bytes held by t's arrays.
func (t *table) memSize() int {
	return int(unsafe.Sizeof(header{}))*len(t.buckets) + int(unsafe.Sizeof(slot{}))*len(t.slots) + 4*len(t.lines)
}

// lineAt returns the line of slot i, 0 when lines are not kept.
func (t *table) lineAt(i int) int {
	if i < 0 || i >= len(t.lines) {
		return 0
	}
	return int(t.lines[i])
}

// tableOut receives a table as buildTable makes it: its shape once the
// distinct fingerprints are counted, then every slot in order, then the
// buckets. heapTable keeps it in memory; a fileTable (compiled_write.go)
// streams it into a compiled file, so that compiling never holds the
// records and the table at once.
type tableOut interface {
	shape(shift uint8, buckets, slots int) error
	put(i int, s slot, line uint32)
	done(buckets []header) error
}

// heapTable builds a table in memory.
type heapTable struct{ t table }

func (h *heapTable) shape(shift uint8, _, slots int) error {
	h.t = table{shift: shift}
	if slots > 0 {
		h.t.slots, h.t.lines = make([]slot, slots), make([]uint32, slots)
	}
	return nil
}

func (h *heapTable) put(i int, s slot, line uint32) { h.t.slots[i], h.t.lines[i] = s, line }

func (h *heapTable) done(buckets []header) error { h.t.buckets = buckets; return nil }

// buildTable compiles the records of log into out: each chunk is sorted in
// place, then the chunks are merged twice, once to count the distinct
// fingerprints (so that every array is allocated once, at its final size)
// and once to fill the arrays, folding the records of one fingerprint into
// one interned entry. The chunks are clobbered.
func buildTable(log *recordLog, lists []ListInfo, in *interner, out tableOut) error {
	if log.n == 0 {
		if err := out.shape(0, 0, 0); err != nil {
			return err
		}
		return out.done(nil)
	}
	shift := 64 - bucketBits(log.n)
	for _, c := range log.chunks {
		for i := range c {
			c[i].setKey(sortKey(c[i].key(), shift))
		}
		slices.SortFunc(c, func(a, b packed) int { return cmp.Compare(a.key(), b.key()) })
	}
	n := 0
	newMerger(log).groups(func([]record) error { n++; return nil })
	buckets := make([]header, 1<<(64-shift)+1)
	if err := out.shape(shift, len(buckets), n); err != nil {
		return err
	}
	j := 0
	err := newMerger(log).groups(func(g []record) error {
		e, line := merge(g, lists)
		idx, err := in.intern(e)
		sk := g[0].key // its low 48 bits are the fingerprint's
		b := sortBucket(sk, shift)
		buckets[b+1].start++
		buckets[b].add(sk)
		out.put(j, slot{tag: uint16(sk >> 32), payload: idx, low: uint32(sk)}, line)
		j++
		return err
	})
	if err != nil {
		return err
	}
	for b := 1; b < len(buckets); b++ {
		buckets[b].start += buckets[b-1].start
	}
	return out.done(buckets)
}
