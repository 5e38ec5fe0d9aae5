package fakeupstream

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// publicFirstOctets are first octets of IPv4 /8s in ordinary public unicast
// space (RIR allocations). Every synthesized A record starts with one of them,
// so no answer is private, loopback, link-local, CGNAT, multicast or
// documentation space, all of which a filtering resolver may strip from a
// public name's answer (rebinding defence).
var publicFirstOctets = [...]byte{
	23, 31, 37, 45, 46, 52, 62, 64, 77, 78, 80, 81, 85, 88, 91, 93,
	94, 95, 104, 109, 128, 130, 141, 142, 151, 152, 176, 178, 185, 188, 193, 212,
}

// hashName returns a 64-bit FNV-1a hash of name, lower-cased, so that 0x20
// mixed case (draft-vixie-dnsext-dns0x20) gets the same address.
func hashName(name string) uint64 {
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= prime64
	}
	return h
}

// AddrA returns the IPv4 address the fake upstream gives name: a public
// address derived from a hash of the lower-cased name, the same on every
// run and every machine.
func AddrA(name string) net.IP {
	h := hashName(dns.Fqdn(name))
	first := publicFirstOctets[h%uint64(len(publicFirstOctets))]
	h >>= 8
	// Avoid .0 and .255 in the last octet: some filters treat them as
	// network or broadcast addresses.
	last := byte(1 + (h>>16)%254)
	return net.IPv4(first, byte(h), byte(h>>8), last).To4()
}

// AddrAAAA returns the IPv6 address the fake upstream gives name: inside
// 2a00::/12 (allocated to RIPE NCC, so global unicast and not documentation
// space), the rest derived from a hash of the lower-cased name.
func AddrAAAA(name string) net.IP {
	h := hashName(dns.Fqdn(name))
	ip := make(net.IP, net.IPv6len)
	ip[0] = 0x2a
	ip[1] = byte(h) & 0x0f
	for i := 2; i < 10; i++ {
		h = h*0x100000001b3 + uint64(i)
		ip[i] = byte(h >> 32)
	}
	// Interface identifier: a stable non-zero value.
	ip[15] = 1 + byte(h>>40)%254
	return ip
}

// isUnder reports whether name (a FQDN) is zone or below it, ignoring case.
func isUnder(name, zone string) bool {
	if len(name) < len(zone) || !strings.EqualFold(name[len(name)-len(zone):], zone) {
		return false
	}
	return len(name) == len(zone) || name[len(name)-len(zone)-1] == '.'
}

// soa returns the SOA record put in the authority section of negative
// answers; its minimum (300 s) is the negative TTL (RFC 2308 section 5).
func soa(zone string, ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: min(ttl, 300)},
		Ns:      "ns.fake-upstream.invalid.",
		Mbox:    "hostmaster.fake-upstream.invalid.",
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  300,
	}
}
