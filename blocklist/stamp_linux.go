package blocklist

import (
	"os"
	"syscall"
)

func sysStamp(fi os.FileInfo) (fileStamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStamp{}, false
	}
	return fileStamp{
		Size: fi.Size(), Mod: st.Mtim.Nano(), Change: st.Ctim.Nano(),
		Ino: uint64(st.Ino), Dev: uint64(st.Dev), // Dev is 32 bits on some GOARCH
	}, true
}
