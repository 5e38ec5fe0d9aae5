package resolver

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The miss path's system calls on non-blocking sockets: they never wait,
// so they are made without telling Go's scheduler, as its own poller does.
// A call made through syscall.Syscall after the process was idle wakes the
// runtime's sysmon, which then polls every 20 µs until everything is idle
// again: with misses a few hundred µs apart, that was 15% of amane's CPU
// and a fifth of it in context switches (perf, issue 14).

func rawRead(fd int, b []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errnoErr(errno)
}

func rawWrite(fd int, b []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), errnoErr(errno)
}

// rawClose closes a UDP socket, which never waits.
func rawClose(fd int) error {
	_, _, errno := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return errnoErr(errno)
}

// rawEpollPoll returns the events ready now, without waiting.
func rawEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	return int(n), errnoErr(errno)
}

// rawConnect connects a UDP socket, which sends nothing and never waits.
func rawConnect(fd int, to netip.AddrPort, zone uint32) error {
	sa, n := rawSockaddr(to, zone)
	_, _, errno := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), n)
	return errnoErr(errno)
}

// rawSendto sends one datagram from a non-blocking UDP socket of family
// v6 (or not) to to.
func rawSendto(fd int, b []byte, to netip.AddrPort, v6 bool) error {
	if !v6 {
		to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	} else if to.Addr().Is4() {
		to = netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
	}
	sa, n := rawSockaddr(to, 0)
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
		0, uintptr(unsafe.Pointer(&sa)), n)
	return errnoErr(errno)
}

// rawSockaddr is struct sockaddr_in or sockaddr_in6 for to, in a buffer
// large enough for either, and its length.
func rawSockaddr(to netip.AddrPort, zone uint32) (unix.RawSockaddrInet6, uintptr) {
	var sa unix.RawSockaddrInet6
	raw := (*[unix.SizeofSockaddrInet6]byte)(unsafe.Pointer(&sa))
	binary.BigEndian.PutUint16(raw[2:], to.Port())
	if to.Addr().Is4() {
		sa.Family = unix.AF_INET
		a := to.Addr().As4()
		copy(raw[4:8], a[:])
		return sa, unix.SizeofSockaddrInet4
	}
	sa.Family = unix.AF_INET6
	sa.Addr = to.Addr().As16()
	sa.Scope_id = zone
	return sa, unix.SizeofSockaddrInet6
}

func errnoErr(errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return errno
}
