//go:build !unix

package blocklist

import "os"

// mapCompiled reads the compiled file into memory where mmap is missing.
func mapCompiled(f *os.File, size int64, want func([]Input) bool) (*Set, []Input, error) {
	return readCompiled(f, size, want)
}
