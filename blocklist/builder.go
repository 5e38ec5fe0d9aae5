package blocklist

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// maxLists is how many lists one Set can hold: a record keeps the list
// index in 16 bits.
const maxLists = math.MaxUint16 + 1

// ListInfo names one list of a Set and the category it feeds.
type ListInfo struct {
	Name     string
	Category Category
}

// Builder compiles lists into an immutable Set. Rules are streamed in from
// parsers; each costs a 12-byte record (fingerprint, line and flags; the
// list is kept once per chunk) appended to fixed-size chunks, which are
// never copied or regrown: Build sorts each chunk in place and merges them
// straight into the Set's tables, in memory or in a compiled file
// (buildFile). Compiling 1M names into a file therefore peaks at about
// 12 MB of records, with no regrowth garbage and nothing proportional to
// the text of the lists. A Builder is not safe for concurrent use; the Set
// it builds is.
type Builder struct {
	seed   uint64
	lists  []ListInfo
	names  recordLog // clear names
	hashed recordLog // SHA-256 digests from hashed lists
	err    error     // the first misuse, reported by Build
}

// record is one rule as the merge sees it.
type record struct {
	key   uint64 // fingerprint: seeded hash of the name (fingerprint.go), or digest prefix
	line  uint32
	list  uint16
	flags uint8 // recException, recSelf, recBelow
}

const (
	recException = 1 << iota // the rule allows rather than blocks
	recSelf                  // it covers the name itself
	recBelow                 // it covers the names below
	recFlagBits  = iota
)

// packed is a record as it waits in a chunk, in 12 bytes: its key in two
// halves (so that it is 4-byte aligned), and its line and flags in one
// word. Lines past maxPackedLine (a list of over 5 GB) are cited as it.
type packed struct {
	hi, lo uint32
	aux    uint32 // line<<recFlagBits | flags
}

const maxPackedLine = 1<<(32-recFlagBits) - 1

func (p packed) key() uint64 { return uint64(p.hi)<<32 | uint64(p.lo) }

func (p *packed) setKey(k uint64) { p.hi, p.lo = uint32(k>>32), uint32(k) }

func pack(r record) packed {
	p := packed{aux: min(r.line, maxPackedLine)<<recFlagBits | uint32(r.flags)}
	p.setKey(r.key)
	return p
}

// unpack is p, from a chunk of list.
func (p packed) unpack(list uint16) record {
	return record{key: p.key(), line: p.aux >> recFlagBits, list: list, flags: uint8(p.aux & (1<<recFlagBits - 1))}
}

// recordLog is an append-only list of records in chunks, each of one list,
// that double from 256 records up to 32768 (384 KiB) for each list, so that
// a small list costs little and a big one is never copied: a growing slice
// would allocate five times its final size on the way (Go grows big slices
// by 1.25).
type recordLog struct {
	chunks [][]packed
	lists  []uint16 // the list of each chunk
	open   []int32  // by list: its chunk being filled, plus one; 0 for none
	n      int
}

const (
	firstChunk = 1 << 8
	maxChunk   = 1 << 15
)

// add appends r.
func (l *recordLog) add(r record) {
	if int(r.list) >= len(l.open) {
		l.open = append(l.open, make([]int32, int(r.list)+1-len(l.open))...)
	}
	c := int(l.open[r.list]) - 1
	if c < 0 || len(l.chunks[c]) == cap(l.chunks[c]) {
		size := firstChunk
		if c >= 0 {
			size = min(2*cap(l.chunks[c]), maxChunk)
		}
		l.chunks = append(l.chunks, make([]packed, 0, size))
		l.lists = append(l.lists, r.list)
		c = len(l.chunks) - 1
		l.open[r.list] = int32(c + 1)
	}
	l.chunks[c] = append(l.chunks[c], pack(r))
	l.n++
}

// NewBuilder returns an empty Builder. Each Builder draws a fresh random
// seed for its fingerprints, so names that collide cannot be crafted in
// advance to slip past (or into) a Set.
func NewBuilder() *Builder {
	return &Builder{seed: newSeed()}
}

// AddList declares a list and returns its index, which Add and Parse take
// and which a Match's RuleRef reports.
func (b *Builder) AddList(name string, c Category) int {
	switch {
	case !c.Valid():
		b.fail(fmt.Errorf("adding list %q: invalid category %d", name, c))
	case len(b.lists) >= maxLists:
		b.fail(fmt.Errorf("adding list %q: more than %d lists", name, maxLists))
	}
	b.lists = append(b.lists, ListInfo{Name: name, Category: c})
	return len(b.lists) - 1
}

// Add adds one rule of list. r.Name must be normalized (parsers emit it so;
// see Normalize) and is not retained.
func (b *Builder) Add(list int, r Rule) {
	switch {
	case list < 0 || list >= len(b.lists):
		b.fail(fmt.Errorf("adding rule at line %d: no list %d", r.Line, list))
		return
	case !r.Hashed && len(r.Name) == 0:
		b.fail(fmt.Errorf("adding rule at line %d of list %d: empty name", r.Line, list))
		return
	}
	rec := record{line: clampLine(r.Line), list: uint16(list)}
	if r.Kind == Exception {
		rec.flags |= recException
	}
	if r.Scope.self() {
		rec.flags |= recSelf
	}
	if r.Scope.below() {
		rec.flags |= recBelow
	}
	if r.Hashed {
		rec.key = binary.BigEndian.Uint64(r.Digest[:8])
		b.hashed.add(rec)
		return
	}
	rec.key = fingerprint(b.seed, r.Name)
	b.names.add(rec)
}

// AddName normalizes name and adds it as a rule of list, for names that do
// not come from a list file (tests, a profile's own rules).
func (b *Builder) AddName(list int, name string, k Kind, s Scope) error {
	n, r := Normalize(name)
	if r != ReasonNone {
		return fmt.Errorf("adding name %q: %s", name, r.Description())
	}
	b.Add(list, Rule{Name: []byte(n), Kind: k, Scope: s})
	return nil
}

// Parse parses a list from r (see the package function Parse) straight into
// list, and returns its Stats.
func (b *Builder) Parse(list int, r io.Reader, format Format) (Stats, error) {
	st, err := Parse(r, format, func(rule Rule) { b.Add(list, rule) })
	if err != nil {
		return st, fmt.Errorf("parsing list %d: %w", list, err)
	}
	return st, nil
}

// Build compiles everything added into a Set and resets the Builder. The
// records are sorted in place and released as soon as their table exists.
func (b *Builder) Build() (*Set, error) {
	var names, hashed heapTable
	s, err := b.build(&names, &hashed)
	if err != nil {
		return nil, err
	}
	s.names, s.hashed = names.t, hashed.t
	return s, nil
}

// build compiles the clear and the hashed names into names and hashed and
// returns the Set without its tables, then resets the Builder.
func (b *Builder) build(names, hashed tableOut) (*Set, error) {
	if b.err != nil {
		return nil, b.err
	}
	s := &Set{seed: b.seed, lists: b.lists}
	var in interner
	if err := buildTable(&b.names, b.lists, &in, names); err != nil {
		return nil, fmt.Errorf("building set: %w", err)
	}
	b.names = recordLog{}
	if err := buildTable(&b.hashed, b.lists, &in, hashed); err != nil {
		return nil, fmt.Errorf("building set: %w", err)
	}
	s.entries = in.entries
	*b = Builder{seed: newSeed()}
	return s, nil
}

// clampLine fits a line number in a record. It is written so that it
// compiles where int is 32 bits (OpenWrt's MIPS and ARM routers).
func clampLine(n int) uint32 {
	switch {
	case n < 0:
		return 0
	case uint64(n) > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(n)
}

// fail keeps the first error for Build.
func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}
