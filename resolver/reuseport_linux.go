package resolver

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort lets several UDP sockets share one address so the kernel can
// spread clients over one read loop per core.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
