package blocklist

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"unsafe"
)

// A compiled file is a Set as it lies in memory, so that a boot loads it
// with a few reads into slices of their final size instead of parsing the
// lists again (issue 14: filtering within 0.2 s of exec with 1M names).
//
// Layout: a 64-byte header, then the body.
//
//	magic "AMANESET", version (u32), byte-order mark (u32), body length
//	(u64), SHA-256 of the body, 8 reserved bytes
//	body: seed (u64); inputs; lists; entries; the clear table; the hashed table
//
// Small fields are little-endian. The tables' arrays (16-byte headers,
// 12-byte slots) are written as they are in memory: the file is only ever
// read back by the machine that wrote it, and the byte-order mark makes a
// file from another byte order fail like any other mismatch. Nothing in the
// file is trusted before the checksum and every bound are checked, and every
// count is bounded by the bytes that remain, so a hostile file can neither
// crash the reader nor make it allocate more than the file's size.

// compiledVersion changes whenever the layout or the meaning of a
// fingerprint changes; a file of another version is rebuilt.
const compiledVersion = 1

const (
	compiledMagic  = "AMANESET"
	compiledHeader = 64
	byteOrderMark  = 0x01020304
)

// Input identifies one list a compiled Set was built from: the Set is
// reused only while every input, in order, is the same.
type Input struct {
	Name     string
	Category Category
	Format   Format
	// SHA256 is the digest of the file parsed; zero when the list had no
	// file (not downloaded yet) and was left out.
	SHA256 [sha256.Size]byte
	// Stats is what parsing it said, kept for the status a load reports.
	Stats Stats
}

// sameInputs reports whether a and b identify the same lists; Stats are
// what the lists gave, not who they are, and do not count.
func sameInputs(a, b []Input) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Category != b[i].Category || a[i].Format != b[i].Format || a[i].SHA256 != b[i].SHA256 {
			return false
		}
	}
	return true
}

// writeCompiled writes s and the inputs it was built from to f, header
// last, once the body's checksum is known.
func writeCompiled(f io.WriteSeeker, s *Set, inputs []Input) error {
	if _, err := f.Seek(compiledHeader, io.SeekStart); err != nil {
		return err
	}
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<16)
	e := encoder{w: bw}
	e.u64(s.seed)
	e.u32(uint32(len(inputs)))
	for _, in := range inputs {
		e.str(in.Name)
		e.u8(uint8(in.Category))
		e.u8(uint8(in.Format))
		e.bytes(in.SHA256[:])
		e.stats(&in.Stats)
	}
	e.u32(uint32(len(s.lists)))
	for _, l := range s.lists {
		e.str(l.Name)
		e.u8(uint8(l.Category))
	}
	e.u32(uint32(len(s.entries)))
	for _, en := range s.entries {
		e.u32(uint32(en.self))
		e.u32(uint32(en.below))
		e.u8(en.allow)
		e.u16(en.list)
	}
	e.table(&s.names)
	e.table(&s.hashed)
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.err != nil {
		return e.err
	}
	var h [compiledHeader]byte
	copy(h[:], compiledMagic)
	binary.LittleEndian.PutUint32(h[8:], compiledVersion)
	binary.NativeEndian.PutUint32(h[12:], byteOrderMark)
	binary.LittleEndian.PutUint64(h[16:], uint64(e.n))
	sum.Sum(h[24:24])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := f.Write(h[:])
	return err
}

// encoder writes the body, keeping the first error and the bytes written.
type encoder struct {
	w   io.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		var n int
		n, e.err = e.w.Write(b)
		e.n += int64(n)
	}
}

func (e *encoder) u8(v uint8)   { e.buf[0] = v; e.bytes(e.buf[:1]) }
func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.buf[:], v); e.bytes(e.buf[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.buf[:], v); e.bytes(e.buf[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.buf[:], v); e.bytes(e.buf[:8]) }

// str writes a string of up to 64 KiB; longer ones (no list name is) are cut.
func (e *encoder) str(s string) {
	s = s[:min(len(s), math.MaxUint16)]
	e.u16(uint16(len(s)))
	e.bytes([]byte(s))
}

func (e *encoder) stats(st *Stats) {
	e.str(st.Name)
	e.u8(uint8(st.Format))
	e.u64(uint64(st.Lines))
	e.u64(uint64(st.Accepted))
	e.u64(uint64(st.Exceptions))
	for _, k := range st.reasons {
		e.u64(uint64(k.Count))
		e.u64(uint64(k.Line))
		e.str(k.Example)
	}
}

func (e *encoder) table(t *table) {
	e.u8(t.shift)
	e.u32(uint32(len(t.buckets)))
	e.u32(uint32(len(t.slots)))
	e.bytes(asBytes(t.buckets))
	e.bytes(asBytes(t.slots))
}

// asBytes is the memory of s, which holds no pointers.
func asBytes[T header | slot](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// errCompiled says why a compiled file was not used.
var errCompiled = errors.New("compiled lists unusable")

// errStale is returned by readCompiled when want refused the inputs.
var errStale = errors.New("built from other lists")

// readCompiled reads a compiled file of size bytes from r: the Set and the
// inputs it was built from. want, when not nil, sees the inputs before the
// tables are read, and stops the read (errStale) when it returns false: a
// stale file costs no allocation of its tables. Any flaw is an error
// wrapping errCompiled.
func readCompiled(r io.Reader, size int64, want func([]Input) bool) (*Set, []Input, error) {
	var h [compiledHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", errCompiled, err)
	}
	switch {
	case string(h[:8]) != compiledMagic:
		return nil, nil, fmt.Errorf("%w: not a compiled set", errCompiled)
	case binary.LittleEndian.Uint32(h[8:]) != compiledVersion:
		return nil, nil, fmt.Errorf("%w: format version %d, want %d", errCompiled, binary.LittleEndian.Uint32(h[8:]), compiledVersion)
	case binary.NativeEndian.Uint32(h[12:]) != byteOrderMark:
		return nil, nil, fmt.Errorf("%w: written on a machine of another byte order", errCompiled)
	case binary.LittleEndian.Uint64(h[16:]) != uint64(size-compiledHeader):
		return nil, nil, fmt.Errorf("%w: body of %d bytes, file says %d (truncated?)", errCompiled, size-compiledHeader, binary.LittleEndian.Uint64(h[16:]))
	}
	sum := sha256.New()
	d := decoder{r: bufio.NewReaderSize(io.TeeReader(r, sum), 1<<16), left: size - compiledHeader, sum: sum}
	s := &Set{seed: d.u64()}
	inputs := d.inputs()
	if d.err == nil && want != nil && !want(inputs) {
		return nil, inputs, fmt.Errorf("%w: %w", errCompiled, errStale)
	}
	d.set(s)
	if d.err == nil && d.left != 0 {
		d.fail("%d bytes after the tables", d.left)
	}
	if d.err == nil && !bytes.Equal(sum.Sum(nil), h[24:56]) {
		d.fail("checksum mismatch: the file is damaged")
	}
	if d.err == nil {
		d.err = s.check()
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errCompiled, d.err)
	}
	return s, inputs, nil
}

// decoder reads the body; left is what remains of it, the bound of every
// count. The first error stops everything.
type decoder struct {
	r    *bufio.Reader
	left int64
	sum  hash.Hash
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
// category, format, digest, and its Stats with empty strings.
const minInputBytes = 2 + 1 + 1 + sha256.Size + 2 + 1 + 3*8 + int64(numReasons)*(8+8+2)

func (d *decoder) inputs() []Input {
	inputs := make([]Input, d.count(minInputBytes))
	for i := range inputs {
		in := &inputs[i]
		in.Name = d.str()
		in.Category, in.Format = Category(d.u8()), Format(d.u8())
		d.fill(in.SHA256[:])
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
	s.names = d.table()
	s.hashed = d.table()
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

func (d *decoder) table() table {
	t := table{shift: d.u8()}
	nb := d.count(int64(unsafe.Sizeof(header{})))
	ns := d.count(0)
	if d.err == nil && int64(ns)*int64(unsafe.Sizeof(slot{})) > d.left-int64(nb)*int64(unsafe.Sizeof(header{})) {
		d.fail("%d slots in %d bytes", ns, d.left)
	}
	if d.err != nil {
		return table{}
	}
	if nb > 0 {
		t.buckets = make([]header, nb)
		d.fill(asBytes(t.buckets))
	}
	if ns > 0 {
		t.slots = make([]slot, ns)
		d.fill(asBytes(t.slots))
	}
	return t
}

// check verifies what Lookup relies on, so that a file that passed its
// checksum but was made by hand cannot send a lookup out of bounds.
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
	for _, t := range []*table{&s.names, &s.hashed} {
		if err := t.check(len(s.entries)); err != nil {
			return err
		}
	}
	return nil
}

// check verifies the table's shape: its bucket count matches its shift,
// the buckets' starts rise from 0 to the number of slots, and every
// payload names an entry.
func (t *table) check(entries int) error {
	if len(t.buckets) == 0 {
		if len(t.slots) != 0 {
			return fmt.Errorf("table: %d slots and no bucket", len(t.slots))
		}
		return nil
	}
	if t.shift < 64-maxBucketBits || t.shift > 64 || len(t.buckets) != 1<<(64-t.shift)+1 {
		return fmt.Errorf("table: %d buckets for shift %d", len(t.buckets), t.shift)
	}
	if t.buckets[0].start != 0 || int(t.buckets[len(t.buckets)-1].start) != len(t.slots) {
		return errors.New("table: buckets do not span the slots")
	}
	for b := 1; b < len(t.buckets); b++ {
		if t.buckets[b].start < t.buckets[b-1].start {
			return fmt.Errorf("table: bucket %d starts before the previous one", b)
		}
	}
	for i := range t.slots {
		if int(t.slots[i].payload) >= entries {
			return fmt.Errorf("table: slot %d names entry %d of %d", i, t.slots[i].payload, entries)
		}
	}
	return nil
}
