package blocklist

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"runtime"
	"slices"
	"unsafe"
)

// Set is the compiled, immutable union of many lists: it answers which
// categories block a name, whether an exception allows it, and which rule
// decided. It is built by a Builder off the hot path, published whole with
// atomic.Pointer.Store, and safe for any number of concurrent readers.
//
// Semantics (DESIGN.md "List formats"): a rule for x covers x, the names
// below x, or both (see Scope). A query is compared with each of its
// suffixes, from the TLD to the full name; the most specific rule wins, an
// exception beating a block at the same name. Blocks from several lists at
// or below the most specific exception add up: a name can be both "ads"
// and "malware".
//
// Names are not stored: each rule name is a 64-bit fingerprint (a seeded
// hash, fingerprint.go, with a random seed drawn for each build and saved
// with the compiled file) in a bucketed sorted table (see table.go),
// about 9 bytes a name, plus 4 for the line Explain cites, kept apart. A
// hashed list's entries are the first 64 bits of their SHA-256, in a second
// table probed with the SHA-256 of each suffix only when such a list is
// loaded. A false match needs an unrelated name to share 64 bits (48 plus
// the bucket) with a listed one: about 1e-13 a probe, so with five probes a
// query and 2M names, one wrong answer in some 2e12 queries, decades of a
// busy school's traffic. Two listed names sharing a fingerprint would merge
// into one entry: about n²/2^65, 1e-7 at 2M names, again per build. The
// random seed keeps anyone from crafting either: it never leaves the
// appliance (only its compiled file, in the state directory, holds it), and
// a new one is drawn whenever the lists are compiled again.
type Set struct {
	seed    uint64     // of the fingerprints: see fingerprint.go
	names   table      // clear names
	hashed  table      // SHA-256 digests; empty unless a hashed list is loaded
	entries []entry    // payloads, indexed by table.payload
	lists   []ListInfo // indexed by RuleRef.List
}

// RuleRef points at one rule: the list it came from (an index into Lists)
// and its line there, so that `amane explain` can say "list Y, line Z".
// Line is 0 in what Lookup returns: the lines are kept apart from what the
// hot path reads (see table), and Explain gives them.
type RuleRef struct {
	List int
	Line int
}

// Match is the answer of Lookup. The zero Match means no rule applies.
type Match struct {
	// Categories are the categories that block the name: those of every
	// block rule that matches and is not overridden by a more specific (or
	// equally specific) exception.
	Categories Categories
	// Allowed are the block categories an exception lifted. Policy uses it
	// to keep mandatory categories (abuse) blocked whatever a list allows.
	Allowed Categories
	// Exception is set when the most specific matching rule is an exception.
	Exception bool
	// Rule is the most specific matching rule, when Matched.
	Rule RuleRef
}

// Blocked reports whether some category blocks the name.
func (m Match) Blocked() bool { return m.Categories != 0 }

// Matched reports whether any rule applied, and so whether Rule is set.
func (m Match) Matched() bool { return m.Categories != 0 || m.Allowed != 0 || m.Exception }

// Lookup returns what the Set says about name, a lower-case FQDN with or
// without its trailing dot (upper case is folded too, at no extra cost). It
// does not allocate: the name is copied into a stack buffer, folded and
// searched for dots eight bytes at a time, and its suffixes are probed in
// batches from the TLD to the whole name. A nil Set matches nothing.
func (s *Set) Lookup(name string) Match { return s.lookup(name, false) }

// lookup is Lookup; with lines, the Rule's Line is read too (Explain).
func (s *Set) lookup(name string, lines bool) Match {
	var m Match
	name, whole := fitName(name)
	if s == nil || len(name) == 0 {
		return m
	}
	var buf [MaxNameLength + fpPad]byte // whole blocks; the bytes after name stay 0
	var dots [4]uint64                  // bit i: name[i] is a dot
	foldWords(&buf, &dots, name)
	q := buf[:len(name)]
	var starts [batch]int
	n := 0
	for w := (len(name) - 1) >> 6; w >= 0; w-- {
		for d := dots[w]; d != 0; {
			top := 63 - bits.LeadingZeros64(d)
			d &^= 1 << top
			starts[n] = w<<6 + top + 1
			if n++; n == batch {
				s.levels(&m, q, starts[:n], whole, lines)
				n = 0
			}
		}
	}
	starts[n] = 0
	s.levels(&m, q, starts[:n+1], whole, lines)
	// The tables may be a mapping that is unmapped once s is unreachable
	// (mapCompiled): s must outlive every read of them, not only its last
	// use in the code.
	runtime.KeepAlive(s)
	return m
}

// foldWords copies name into buf in ASCII lower case and marks its dots in
// a 256-bit set. It works on 64-bit words (SWAR) without a branch per byte
// or per dot, because on random names those branches cost more than the
// arithmetic; bytes past the name are zero, neither dots nor letters.
func foldWords(buf *[MaxNameLength + fpPad]byte, dots *[4]uint64, name string) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
		low7 = 0x7f7f7f7f7f7f7f7f
	)
	copy(buf[:], name)
	for w := 0; w < len(name); w += 8 {
		x := binary.LittleEndian.Uint64(buf[w:])
		h := x &^ high
		upper := (h + (0x80-'A')*ones) &^ (h + (0x80-'Z'-1)*ones) &^ x & high
		x |= upper >> 2
		binary.LittleEndian.PutUint64(buf[w:], x)
		d := x ^ '.'*ones
		d = ^((d&low7 + low7) | d | low7) // 0x80 in each byte that is a dot
		// Gather the eight flags into one byte: byte j lands on bit 56+j.
		dots[w>>6&3] |= (d >> 7 * 0x0102040810204080 >> 56) << (w & 63)
	}
}

// batch is how many suffixes Lookup probes together. A probe's first load
// (the bucket header) usually misses the cache; issuing it for every suffix
// before using any lets the misses of a 5-label name overlap instead of
// adding up, and so do the slot loads of the few probes the filters pass.
// Longer names take more batches.
const batch = 8

// levels applies the suffixes q[start:] of one batch, least specific first.
func (s *Set) levels(m *Match, q []byte, starts []int, whole, lines bool) {
	var ks [batch]uint64
	var maybe [batch]bool
	var lo, end, p [batch]uint32
	var tp [batch]uint16
	t := &s.names
	if len(t.buckets) > 0 {
		for i, st := range starts {
			ks[i] = fingerprintPadded(s.seed, q[st:len(q)+fpPad], len(q)-st)
			maybe[i] = t.buckets[ks[i]>>t.shift].mayHold(ks[i])
		}
	}
	for i := range starts {
		if maybe[i] {
			b := ks[i] >> t.shift
			lo[i], end[i] = t.buckets[b].start, t.buckets[b+1].start
			p[i] = start(ks[i], lo[i], end[i])
			tp[i] = t.tagAt(p[i], end[i])
		}
	}
	for i, st := range starts {
		at := -1
		if maybe[i] {
			at = t.search(ks[i], lo[i], end[i], p[i], tp[i])
		}
		cats, allow, ref, ok := s.at(t, at, st == 0 && whole, lines)
		if s.hashed.len() > 0 {
			d := sha256.Sum256(q[st:])
			c2, a2, r2, ok2 := s.at(&s.hashed, s.hashed.find(binary.BigEndian.Uint64(d[:8])), st == 0 && whole, lines)
			if ok2 && (!ok || a2 && !allow) {
				ref = r2
			}
			cats, allow, ok = cats|c2, allow || a2, ok || ok2
		}
		if ok {
			m.apply(cats, allow, ref)
		}
	}
}

// apply folds one suffix's verdict into m: an exception lifts everything
// less specific, a block adds its categories.
func (m *Match) apply(cats Categories, allow bool, ref RuleRef) {
	m.Rule = ref
	if allow {
		m.Allowed |= m.Categories | cats
		m.Categories, m.Exception = 0, true
		return
	}
	m.Categories |= cats
	m.Exception = false
}

// fitName drops name's trailing dot. A name longer than DNS allows
// (escaped text forms can be) keeps only its longest suffix of whole labels
// that fits, and whole is false: no rule names the query itself then, but
// its parents still match, so a long name cannot slip under a blocked
// domain.
func fitName(name string) (fit string, whole bool) {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) <= MaxNameLength {
		return name, true
	}
	cut := len(name) - MaxNameLength
	for cut < len(name) && name[cut-1] != '.' {
		cut++
	}
	return name[cut:], false
}

// foldName is fitName followed by an ASCII lower-case copy into buf.
func foldName(buf *[MaxNameLength]byte, name string) (q []byte, whole bool) {
	name, whole = fitName(name)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(name)], whole
}

// at returns what entry i of t says at this position of the query (self:
// the whole query; otherwise a parent of it); ok is false when nothing
// applies here: no entry (i < 0), or a "*.x" rule met at x itself. The
// rule's line is read only when lines is set: Lookup never touches them.
func (s *Set) at(t *table, i int, self, lines bool) (cats Categories, allow bool, ref RuleRef, ok bool) {
	if i < 0 {
		return 0, false, RuleRef{}, false
	}
	e := &s.entries[t.slots[i].payload]
	cats, allow = e.below, e.allow&allowBelow != 0
	if self {
		cats, allow = e.self, e.allow&allowSelf != 0
	}
	ref = RuleRef{List: int(e.list)}
	if lines {
		ref.Line = t.lineAt(i)
	}
	return cats, allow, ref, cats != 0 || allow
}

// Len returns the number of distinct rule names (and digests) in the Set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.names.len() + s.hashed.len()
}

// List returns list i of the Set (a RuleRef.List) without allocating, for
// logging a decision; the zero ListInfo when there is no such list.
func (s *Set) List(i int) ListInfo {
	if s == nil || i < 0 || i >= len(s.lists) {
		return ListInfo{}
	}
	return s.lists[i]
}

// Lists returns the lists the Set was built from, indexed by RuleRef.List.
func (s *Set) Lists() []ListInfo {
	if s == nil {
		return nil
	}
	return slices.Clone(s.lists)
}

// MemSize returns the bytes the Set holds, for the bytes-per-name figure
// and for /metrics. List names are counted, map overheads are not. For a
// Set mapped from its compiled file (Sources.Build) the tables are file
// pages, resident only where lookups touched them, the lines hardly ever.
func (s *Set) MemSize() int {
	if s == nil {
		return 0
	}
	n := int(unsafe.Sizeof(*s)) + s.names.memSize() + s.hashed.memSize()
	n += len(s.entries) * int(unsafe.Sizeof(entry{}))
	for _, l := range s.lists {
		n += int(unsafe.Sizeof(l)) + len(l.Name)
	}
	return n
}
