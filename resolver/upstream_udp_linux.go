package resolver

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// dialUpstreamUDP opens a UDP socket connected to addr from a port the
// kernel picks at random at connect. It is net.DialUDP without the three
// system calls the net package adds for nothing we need (SO_BROADCAST,
// getsockname, getpeername) nor its address allocations: with a socket per
// query (RFC 5452 9.2) those were a third of the socket's cost. os.NewFile
// sees the descriptor is non-blocking and puts it in Go's network poller,
// so reads wait without a thread and keep their deadlines.
func dialUpstreamUDP(addr netip.AddrPort) (udpPeer, error) {
	ip := addr.Addr().Unmap()
	if ip.Zone() != "" {
		return dialUDPPeer(addr) // a link-local upstream: the net package maps the zone to an interface
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Port: int(addr.Port()), Addr: ip.As16()})
	if ip.Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: ip.As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	return os.NewFile(uintptr(fd), "udp"), nil
}
