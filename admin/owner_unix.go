//go:build unix

package admin

import (
	"os"
	"syscall"
)

// giveToStateOwner makes f belong to the owner of the state directory
// dir when root writes it: `sudo amane password` must leave a file that
// the daemon, which runs as its own user (User=amane), can read.
func giveToStateOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
