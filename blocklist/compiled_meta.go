package blocklist

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// decoder reads the meta; left is what remains of it, the bound of every
// count. The first error stops everything.
type decoder struct {
	r    *bufio.Reader
	left int64
	err  error
	buf  [8]byte
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// fill reads len(b) bytes, which must remain.
func (d *decoder) fill(b []byte) {
	switch {
	case d.err != nil:
	case int64(len(b)) > d.left:
		d.fail("truncated")
	default:
		if _, err := io.ReadFull(d.r, b); err != nil {
			d.fail("reading: %v", err)
		}
		d.left -= int64(len(b))
	}
}

// word reads an n-byte little-endian integer: the bytes land at the low
// end of the cleared buffer.
func (d *decoder) word(n int) uint64 {
	clear(d.buf[:])
	d.fill(d.buf[:n])
	return binary.LittleEndian.Uint64(d.buf[:])
}

func (d *decoder) u8() uint8   { return uint8(d.word(1)) }
func (d *decoder) u16() uint16 { return uint16(d.word(2)) }
func (d *decoder) u32() uint32 { return uint32(d.word(4)) }
func (d *decoder) u64() uint64 { return d.word(8) }

// int reads a u64 that must fit an int.
func (d *decoder) int() int {
	v := d.u64()
	if v > math.MaxInt32 {
		d.fail("count %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads a u32 count of items of at least each bytes, which must fit
// in what remains.
func (d *decoder) count(each int64) int {
	n := int64(d.u32())
	if d.err == nil && n*each > d.left {
		d.fail("%d items of %d bytes in %d bytes", n, each, d.left)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := int64(d.u16())
	if d.err != nil || n > d.left {
		d.fail("truncated")
		return ""
	}
	b := make([]byte, n)
	d.fill(b)
	return string(b)
}

// minInputBytes is the least an input takes in the file: name length,
// category, format, digest, stamp, and its Stats with empty strings.
const minInputBytes = 2 + 1 + 1 + sha256.Size + 5*8 + 2 + 1 + 3*8 + int64(numReasons)*(8+8+2)

func (d *decoder) inputs() []Input {
	inputs := make([]Input, d.count(minInputBytes))
	for i := range inputs {
		in := &inputs[i]
		in.Name = d.str()
		in.Category, in.Format = Category(d.u8()), Format(d.u8())
		d.fill(in.SHA256[:])
		in.stamp = fileStamp{Size: int64(d.u64()), Mod: int64(d.u64()), Change: int64(d.u64()), Ino: d.u64(), Dev: d.u64()}
		d.stats(&in.Stats)
	}
	return inputs
}

func (d *decoder) set(s *Set) {
	s.lists = make([]ListInfo, d.count(2+1))
	for i := range s.lists {
		s.lists[i].Name = d.str()
		s.lists[i].Category = Category(d.u8())
	}
	s.entries = make([]entry, d.count(4+4+1+2))
	for i := range s.entries {
		e := &s.entries[i]
		e.self, e.below = Categories(d.u32()), Categories(d.u32())
		e.allow, e.list = d.u8(), d.u16()
	}
}

// shape reads a table's shape; checkLayout judges it.
func (d *decoder) shape() tableShape {
	return tableShape{shift: d.u8(), buckets: int64(d.u32()), slots: int64(d.u32())}
}

func (d *decoder) stats(st *Stats) {
	st.Name = d.str()
	st.Format = Format(d.u8())
	st.Lines, st.Accepted, st.Exceptions = d.int(), d.int(), d.int()
	for i := range st.reasons {
		k := &st.reasons[i]
		k.Count, k.Line = d.int(), d.int()
		k.Example = d.str()
	}
}

// check verifies what Lookup relies on in the meta, so that a file that
// passed its checksum but was made by hand cannot send a lookup out of
// bounds; the tables are checked as they are scanned.
func (s *Set) check() error {
	for i, l := range s.lists {
		if !l.Category.Valid() {
			return fmt.Errorf("list %d: invalid category %d", i, l.Category)
		}
	}
	if len(s.lists) > maxLists {
		return fmt.Errorf("%d lists, at most %d", len(s.lists), maxLists)
	}
	for i, e := range s.entries {
		if int(e.list) >= len(s.lists) {
			return fmt.Errorf("entry %d: no list %d", i, e.list)
		}
	}
	if len(s.entries) > math.MaxUint16+1 {
		return fmt.Errorf("%d entries, at most %d", len(s.entries), math.MaxUint16+1)
	}
	return nil
}
