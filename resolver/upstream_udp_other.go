//go:build !linux

package resolver

import "net/netip"

// dialUpstreamUDP opens a UDP socket connected to addr from a port the
// kernel picks; Linux has a cheaper one in upstream_udp_linux.go.
func dialUpstreamUDP(addr netip.AddrPort) (udpPeer, error) { return dialUDPPeer(addr) }
