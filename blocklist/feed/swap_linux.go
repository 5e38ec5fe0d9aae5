package feed

import "golang.org/x/sys/unix"

// exchangeDirs swaps the names a and b in one step (Linux 3.15 and later,
// on file systems that support it).
func exchangeDirs(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
