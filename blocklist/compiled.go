package blocklist

import (
	"crypto/sha256"
	"errors"
	"unsafe"
)

// A compiled file is a Set as it lies in memory, so that a boot maps it
// (or, where mmap is missing, reads it into slices of their final size)
// instead of parsing the lists again (issue 14: filtering within 0.2 s of
// exec with 1M names).
//
// Layout: a header page, the tables' arrays, then the small things.
//
//	page 0: magic "AMANESET", version (u32), byte-order mark (u32), file
//	        size (u64), CRC-32C of the file with this field zero (u32),
//	        4 reserved bytes, meta offset (u64), meta length (u64); zeros
//	sections, each from a page boundary, in this order: the clear table's
//	        buckets, slots and lines, then the hashed table's
//	meta:   seed; inputs; lists; entries; each table's shape
//
// The arrays (16-byte headers, 8-byte slots, 4-byte lines) are written as
// they are in memory, so that a mapping of the file can be used as they
// are: the file is only ever read back by the machine that wrote it, and
// the byte-order mark makes a file from another byte order fail like any
// other mismatch. The meta comes last because the entries are known only
// once the tables are written: compiling streams the tables straight into
// the file (compiled_write.go) and never holds them in memory.
//
// The checksum detects damage (a torn write, a bad SD card block); it is
// CRC-32C rather than a cryptographic hash because whoever can write the
// state directory can write a matching digest of either kind, and because
// a Raspberry Pi without crypto extensions (a Zero 2 W, a Pi 3) hashes
// SHA-256 in software, on the order of 100 MB/s, a tenth of a second for
// 1M names, where CRC-32C has an instruction on every arm64 core. (Here,
// with SHA-NI, the boot's load went from 45 ms of CPU to about 3.) What
// keeps a made-up file from crashing the resolver or sending a lookup out
// of bounds is that nothing in it is used before every bound is checked: every
// count is bounded by the bytes it must occupy, the sections must tile the
// file exactly, the buckets must rise from 0 to the number of slots and
// every payload must name an entry (compiled_read.go).

// compiledVersion changes whenever the layout or the meaning of a
// fingerprint changes; a file of another version is rebuilt.
const compiledVersion = 2

const (
	compiledMagic  = "AMANESET"
	compiledHeader = 48   // the meaningful bytes of page 0
	compiledPage   = 4096 // sections start on multiples of it, for mmap
	byteOrderMark  = 0x01020304

	headerSize = int64(unsafe.Sizeof(header{}))
	slotSize   = int64(unsafe.Sizeof(slot{}))
	lineSize   = 4
)

// Offsets in the header page.
const (
	hdrVersion = 8
	hdrBOM     = 12
	hdrSize    = 16
	hdrCRC     = 24
	hdrMetaOff = 32
	hdrMetaLen = 40
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
	// stamp is what the file system said of the file parsed, when it had
	// been still long enough to be trusted (see fileStamp); zero otherwise.
	stamp fileStamp
}

// sameList reports whether a and b are the same list, content aside.
func sameList(a, b Input) bool {
	return a.Name == b.Name && a.Category == b.Category && a.Format == b.Format
}

// tableShape is what the meta says of a table: its shift and how many
// buckets and slots it has, from which the sections' places follow.
type tableShape struct {
	shift          uint8
	buckets, slots int64
}

// sections returns where a table of shape sh starting at off keeps its
// buckets, slots and lines, and where the next section starts.
func (sh tableShape) sections(off int64) (buckets, slots, lines, next int64) {
	buckets = off
	slots = alignPage(buckets + sh.buckets*headerSize)
	lines = alignPage(slots + sh.slots*slotSize)
	return buckets, slots, lines, alignPage(lines + sh.slots*lineSize)
}

func alignPage(n int64) int64 { return (n + compiledPage - 1) &^ (compiledPage - 1) }

// asBytes is the memory of s, which holds no pointers.
func asBytes[T header | slot | uint32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// fromBytes is asBytes the other way: b must be aligned for T and hold
// whole Ts, which the layout guarantees for a mapping or a scan buffer.
func fromBytes[T header | slot | uint32](b []byte) []T {
	var t T
	n := len(b) / int(unsafe.Sizeof(t))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

// errCompiled says why a compiled file was not used.
var errCompiled = errors.New("compiled lists unusable")

// errStale is returned by readCompiled when want refused the inputs.
var errStale = errors.New("built from other lists")
