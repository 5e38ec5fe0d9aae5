package blocklist

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"
)

// compiledWriter lays a compiled file out in f (see compiled.go): the
// tables' sections from page 1 on, each where the previous one ended,
// then the meta, then the header with the checksum of it all.
type compiledWriter struct {
	f    *os.File
	next int64 // where the next section starts
}

func newCompiledWriter(f *os.File) *compiledWriter {
	return &compiledWriter{f: f, next: compiledPage}
}

// fileTable is a tableOut that writes the table's sections into the file
// as buildTable makes them: slots and lines through buffers at their own
// offsets, the buckets (a sixteenth of the slots' count) when done.
type fileTable struct {
	w            *compiledWriter
	sh           tableShape
	bucketsAt    int64
	slots, lines *bufio.Writer
	buf          [8]byte
}

func (t *fileTable) shape(shift uint8, buckets, slots int) error {
	t.sh = tableShape{shift: shift, buckets: int64(buckets), slots: int64(slots)}
	var slotsAt, linesAt int64
	t.bucketsAt, slotsAt, linesAt, t.w.next = t.sh.sections(t.w.next)
	t.slots = bufio.NewWriterSize(io.NewOffsetWriter(t.w.f, slotsAt), 1<<16)
	t.lines = bufio.NewWriterSize(io.NewOffsetWriter(t.w.f, linesAt), 1<<16)
	return nil
}

// put writes slot i. The fields go in the order and byte order Go lays a
// slot out in memory (tag, payload, low), so that a mapping reads them.
func (t *fileTable) put(_ int, s slot, line uint32) {
	binary.NativeEndian.PutUint16(t.buf[0:], s.tag)
	binary.NativeEndian.PutUint16(t.buf[2:], s.payload)
	binary.NativeEndian.PutUint32(t.buf[4:], s.low)
	t.slots.Write(t.buf[:slotSize]) // a bufio.Writer keeps its first error for Flush
	binary.NativeEndian.PutUint32(t.buf[:], line)
	t.lines.Write(t.buf[:lineSize])
}

func (t *fileTable) done(buckets []header) error {
	if err := t.slots.Flush(); err != nil {
		return err
	}
	if err := t.lines.Flush(); err != nil {
		return err
	}
	_, err := t.w.f.WriteAt(asBytes(buckets), t.bucketsAt)
	return err
}

// finish writes the meta of s (whose tables are already written as names
// and hashed) and the header, and checksums the file.
func (w *compiledWriter) finish(s *Set, inputs []Input, names, hashed *fileTable) error {
	metaAt := w.next
	bw := bufio.NewWriterSize(io.NewOffsetWriter(w.f, metaAt), 1<<16)
	e := encoder{w: bw}
	e.u64(s.seed)
	e.u32(uint32(len(inputs)))
	for _, in := range inputs {
		e.str(in.Name)
		e.u8(uint8(in.Category))
		e.u8(uint8(in.Format))
		e.bytes(in.SHA256[:])
		e.stamp(in.stamp)
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
	for _, t := range []*fileTable{names, hashed} {
		e.u8(t.sh.shift)
		e.u32(uint32(t.sh.buckets))
		e.u32(uint32(t.sh.slots))
	}
	if e.err == nil {
		e.err = bw.Flush()
	}
	if e.err != nil {
		return e.err
	}
	size := metaAt + e.n
	var h [compiledHeader]byte
	copy(h[:], compiledMagic)
	binary.LittleEndian.PutUint32(h[hdrVersion:], compiledVersion)
	binary.NativeEndian.PutUint32(h[hdrBOM:], byteOrderMark)
	binary.LittleEndian.PutUint64(h[hdrSize:], uint64(size))
	binary.LittleEndian.PutUint64(h[hdrMetaOff:], uint64(metaAt))
	binary.LittleEndian.PutUint64(h[hdrMetaLen:], uint64(e.n))
	if _, err := w.f.WriteAt(h[:], 0); err != nil {
		return err
	}
	if err := w.f.Truncate(size); err != nil {
		return err
	}
	// The file is read back once for its checksum: the sections were
	// written out of order, and the pages are still in the page cache.
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if _, err := io.Copy(sum, io.NewSectionReader(w.f, 0, size)); err != nil {
		return err
	}
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], sum.Sum32())
	_, err := w.f.WriteAt(crc[:], hdrCRC)
	return err
}

// writeCompiled writes s, built in memory, and the inputs it was built
// from to f, a new empty file.
func writeCompiled(f *os.File, s *Set, inputs []Input) error {
	w := newCompiledWriter(f)
	var out [2]*fileTable
	for i, t := range []*table{&s.names, &s.hashed} {
		out[i] = &fileTable{w: w}
		if err := out[i].shape(t.shift, len(t.buckets), len(t.slots)); err != nil {
			return err
		}
		for j, sl := range t.slots {
			out[i].put(j, sl, uint32(t.lineAt(j)))
		}
		if err := out[i].done(t.buckets); err != nil {
			return err
		}
	}
	return w.finish(s, inputs, out[0], out[1])
}

// buildFile compiles everything added straight into f, a new empty file,
// as a compiled file of inputs, and resets the Builder: the tables go to
// the file as they are made, so that compiling holds the records but
// never the tables too (issue 14: peak while compiling). The Set is then
// read from the file (mapCompiled).
func (b *Builder) buildFile(f *os.File, inputs []Input) error {
	w := newCompiledWriter(f)
	names, hashed := &fileTable{w: w}, &fileTable{w: w}
	s, err := b.build(names, hashed)
	if err != nil {
		return err
	}
	return w.finish(s, inputs, names, hashed)
}

// encoder writes the meta, keeping the first error and the bytes written.
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

func (e *encoder) stamp(st fileStamp) {
	e.u64(uint64(st.Size))
	e.u64(uint64(st.Mod))
	e.u64(uint64(st.Change))
	e.u64(st.Ino)
	e.u64(st.Dev)
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
