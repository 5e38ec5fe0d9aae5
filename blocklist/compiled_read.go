package blocklist

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unsafe"
)

// compiledFile is a compiled file whose header and meta have been read:
// the Set without its tables, the inputs, and where the tables lie.
type compiledFile struct {
	set    *Set
	inputs []Input
	shapes [2]tableShape // the clear table's, then the hashed one's
	size   int64
}

// readCompiled reads a compiled file of size bytes from r into memory:
// the Set and the inputs it was built from. want, when not nil, sees the
// inputs before the tables are read, and stops the read (errStale) when it
// returns false: a stale file costs no read of its tables. Any flaw is an
// error wrapping errCompiled.
func readCompiled(r io.ReaderAt, size int64, want func([]Input) bool) (*Set, []Input, error) {
	cf, err := openCompiled(r, size, want)
	if err != nil {
		return nil, cf.inputs, err
	}
	var t [2]table
	for i, sh := range cf.shapes {
		t[i] = table{shift: sh.shift}
		if sh.buckets > 0 {
			t[i].buckets = make([]header, sh.buckets)
		}
		if sh.slots > 0 {
			t[i].slots, t[i].lines = make([]slot, sh.slots), make([]uint32, sh.slots)
		}
	}
	if err := cf.scan(r, &t); err != nil {
		return nil, nil, err
	}
	cf.set.names, cf.set.hashed = t[0], t[1]
	return cf.set, cf.inputs, nil
}

// openCompiled reads and checks the header and the meta of a compiled file.
func openCompiled(r io.ReaderAt, size int64, want func([]Input) bool) (compiledFile, error) {
	cf := compiledFile{size: size}
	fail := func(format string, args ...any) (compiledFile, error) {
		return cf, fmt.Errorf("%w: "+format, append([]any{errCompiled}, args...)...)
	}
	var h [compiledHeader]byte
	if size < compiledHeader {
		return fail("header: %d bytes", size)
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return fail("header: %v", err)
	}
	metaAt, metaLen := binary.LittleEndian.Uint64(h[hdrMetaOff:]), binary.LittleEndian.Uint64(h[hdrMetaLen:])
	switch {
	case string(h[:8]) != compiledMagic:
		return fail("not a compiled set")
	case binary.LittleEndian.Uint32(h[hdrVersion:]) != compiledVersion:
		return fail("format version %d, want %d", binary.LittleEndian.Uint32(h[hdrVersion:]), compiledVersion)
	case binary.NativeEndian.Uint32(h[hdrBOM:]) != byteOrderMark:
		return fail("written on a machine of another byte order")
	case binary.LittleEndian.Uint64(h[hdrSize:]) != uint64(size):
		return fail("file of %d bytes, header says %d (truncated?)", size, binary.LittleEndian.Uint64(h[hdrSize:]))
	case metaAt < compiledPage || metaAt%compiledPage != 0 || metaLen > uint64(size) || metaAt != uint64(size)-metaLen:
		return fail("meta at %d, %d bytes, in a file of %d: truncated", metaAt, metaLen, size)
	}
	d := decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, int64(metaAt), int64(metaLen)), 1<<12), left: int64(metaLen)}
	cf.set = &Set{seed: d.u64()}
	cf.inputs = d.inputs()
	if d.err == nil && want != nil && !want(cf.inputs) {
		return fail("%w", errStale)
	}
	d.set(cf.set)
	for i := range cf.shapes {
		cf.shapes[i] = d.shape()
	}
	if d.err == nil && d.left != 0 {
		d.fail("%d bytes after the meta", d.left)
	}
	if d.err == nil {
		d.err = cf.set.check()
	}
	if d.err == nil {
		d.err = cf.checkLayout(int64(metaAt))
	}
	if d.err != nil {
		return fail("%v", d.err)
	}
	return cf, nil
}

// checkLayout verifies that the tables' shapes are possible and that
// their sections end where the meta starts: nothing overlaps, nothing is
// left out, and no table claims more bytes than the file has.
func (cf *compiledFile) checkLayout(metaAt int64) error {
	at := int64(compiledPage)
	for _, sh := range cf.shapes {
		switch {
		case sh.buckets == 0 && sh.slots != 0:
			return fmt.Errorf("table: %d slots and no bucket", sh.slots)
		case sh.buckets != 0 && (sh.shift < 64-maxBucketBits || sh.shift > 64 || sh.buckets != 1<<(64-sh.shift)+1):
			return fmt.Errorf("table: %d buckets for shift %d", sh.buckets, sh.shift)
		case sh.slots > math.MaxUint32:
			return fmt.Errorf("table: %d slots", sh.slots)
		}
		_, _, _, at = sh.sections(at)
	}
	if at != metaAt {
		return fmt.Errorf("the tables take %d bytes, the file gives them %d", at-compiledPage, metaAt-compiledPage)
	}
	return nil
}

// span is a section of the file: [at, end).
type span struct{ at, end int64 }

// spans returns the sections of the tables, in file order: for each table
// its buckets, slots and lines.
func (cf *compiledFile) spans() [6]span {
	var out [6]span
	at := int64(compiledPage)
	for i, sh := range cf.shapes {
		b, s, l, next := sh.sections(at)
		out[3*i] = span{b, b + sh.buckets*headerSize}
		out[3*i+1] = span{s, s + sh.slots*slotSize}
		out[3*i+2] = span{l, l + sh.slots*lineSize}
		at = next
	}
	return out
}

// scan reads the file once, in order: every byte goes through the
// checksum, and the tables' bytes are checked (and copied into dst, when
// dst's arrays are allocated) on the way. A mapping is made only after a
// scan passed, so that the checks never bring the tables' pages into the
// process: only lookups do, one page at a time.
func (cf *compiledFile) scan(r io.ReaderAt, dst *[2]table) error {
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	var want uint32
	// 64 KiB, 8-aligned: as sections start on page boundaries, each part
	// of a section in a chunk holds whole headers, slots or lines.
	buf := make([]uint64, 1<<13)
	chunk := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), 8*len(buf))
	checks := [2]tableCheck{
		{entries: len(cf.set.entries), slots: cf.shapes[0].slots},
		{entries: len(cf.set.entries), slots: cf.shapes[1].slots},
	}
	spans := cf.spans()
	for off := int64(0); off < cf.size; off += int64(len(chunk)) {
		c := chunk[:min(int64(len(chunk)), cf.size-off)]
		if _, err := r.ReadAt(c, off); err != nil {
			return fmt.Errorf("%w: reading at %d: %v", errCompiled, off, err)
		}
		if off == 0 {
			want = binary.LittleEndian.Uint32(c[hdrCRC:])
			clear(c[hdrCRC : hdrCRC+4])
		}
		sum.Write(c)
		for k, sp := range spans {
			lo, hi := max(sp.at, off), min(sp.end, off+int64(len(c)))
			if lo < hi {
				take(&dst[k/3], &checks[k/3], k%3, c[lo-off:hi-off], lo-sp.at)
			}
		}
	}
	if sum.Sum32() != want {
		return fmt.Errorf("%w: checksum mismatch: the file is damaged", errCompiled)
	}
	for _, chk := range checks {
		if err := chk.result(); err != nil {
			return fmt.Errorf("%w: %v", errCompiled, err)
		}
	}
	return nil
}

// take checks part, the bytes at pos of a table's buckets (which 0),
// slots (1) or lines (2), and copies them into t's array when it has one.
func take(t *table, chk *tableCheck, which int, part []byte, pos int64) {
	var into []byte // nil for a mapping
	switch which {
	case 0:
		chk.buckets(fromBytes[header](part))
		into = asBytes(t.buckets)
	case 1:
		chk.slotsOK(fromBytes[slot](part))
		into = asBytes(t.slots)
	case 2:
		into = asBytes(t.lines)
	}
	if into != nil {
		copy(into[pos:], part)
	}
}

// tableCheck verifies what Lookup relies on in a table's arrays, as they
// stream past: the buckets' starts rise from 0 to the number of slots, and
// every payload names an entry.
type tableCheck struct {
	entries int
	slots   int64
	seen    int64 // buckets seen
	last    uint32
	err     error
}

func (c *tableCheck) buckets(hs []header) {
	for _, h := range hs {
		switch {
		case c.err != nil:
			return
		case c.seen == 0 && h.start != 0:
			c.err = errors.New("table: buckets do not span the slots")
		case h.start < c.last:
			c.err = fmt.Errorf("table: bucket %d starts before the previous one", c.seen)
		}
		c.last = h.start
		c.seen++
	}
}

func (c *tableCheck) slotsOK(ss []slot) {
	for i := range ss {
		if c.err == nil && int(ss[i].payload) >= c.entries {
			c.err = fmt.Errorf("table: a slot names entry %d of %d", ss[i].payload, c.entries)
		}
	}
}

func (c *tableCheck) result() error {
	if c.err == nil && c.seen > 0 && int64(c.last) != c.slots {
		c.err = errors.New("table: buckets do not span the slots")
	}
	return c.err
}
