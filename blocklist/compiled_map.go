//go:build unix

package blocklist

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// mapCompiled returns the Set of the compiled file f, of size bytes, with
// its tables mapped read-only from the file rather than copied into the
// heap: their pages are the page cache's, shared and clean, brought in by
// the lookups that touch them and given back by the kernel under memory
// pressure without any swap, and the lines only Explain reads are never
// brought in at all. A boot then costs one pass over the file (the
// checksum and the bounds, with read(2), so that even that pass leaves no
// page mapped) and no copy.
//
// The mapping lives as long as the Set: it is unmapped once the Set is
// unreachable. The file is never written in place (compileToFile renames
// a new one over it, and the mapping keeps the old one's pages), so what
// was checked is what stays mapped.
func mapCompiled(f *os.File, size int64, want func([]Input) bool) (*Set, []Input, error) {
	cf, err := openCompiled(f, size, want)
	if err != nil {
		return nil, cf.inputs, err
	}
	var none [2]table
	if err := cf.scan(f, &none); err != nil {
		return nil, nil, err
	}
	if size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%w: %d bytes do not fit this machine's memory", errCompiled, size)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil { // a file system that cannot map files: read it, as elsewhere
		return readCompiled(f, size, nil)
	}
	s, sp := cf.set, cf.spans()
	for i, t := range []*table{&s.names, &s.hashed} {
		*t = table{shift: cf.shapes[i].shift,
			buckets: fromBytes[header](m[sp[3*i].at:sp[3*i].end]),
			slots:   fromBytes[slot](m[sp[3*i+1].at:sp[3*i+1].end]),
			lines:   fromBytes[uint32](m[sp[3*i+2].at:sp[3*i+2].end]),
		}
	}
	// Nothing but s refers to the tables (Lookup and Explain copy what
	// they return), so once s is unreachable nothing reads the mapping.
	runtime.AddCleanup(s, func(m []byte) { syscall.Munmap(m) }, m)
	return s, cf.inputs, nil
}
