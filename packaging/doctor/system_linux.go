//go:build linux

package doctor

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// clockSynced asks the kernel whether NTP disciplines the clock: the
// STA_UNSYNC status bit, which systemd-timesyncd, chrony, ntpd and
// OpenWrt's busybox ntpd all clear once they have synchronized.
func clockSynced() (bool, error) {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false, err
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0, nil
}

// diskSpace returns the bytes free for an unprivileged user (as amane runs)
// and the size of the file system holding dir.
func diskSpace(dir string) (free, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// fileOwner returns the user id owning a file.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
