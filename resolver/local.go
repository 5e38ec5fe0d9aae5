package resolver

import (
	"fmt"
	"github.com/amane-dns/amane/internal/fielderr"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// route says where a question goes once policy has allowed it.
type route uint8

const (
	routePublic   route = iota // the public upstreams
	routeRouter                // the LAN's own DNS server
	routeStatic                // answered from [local] hosts
	routeNXDomain              // a LAN-only name with nowhere to go (RFC 6303, RFC 6761)
)

// privateNets are the ranges that never belong in a public answer (DNS
// rebinding) and whose reverse zones stay local (RFC 6303, RFC 6761).
var privateNets = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("::ffff:0:0/96"),
}

func isPrivate(a netip.Addr) bool {
	for _, p := range privateNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// localZones is the compiled [local] section. Names are lower case, no
// trailing dot.
type localZones struct {
	domains     []string // the LAN domain, and home.arpa (RFC 8375)
	hasRouter   bool
	reverse     []netip.Prefix
	hosts       map[string][]netip.Addr
	ptr         map[string]string // reverse name -> host name
	rebind      bool
	rebindAllow []string
}

func (l *LocalConfig) validate() []error {
	var errs []error
	for i, line := range l.Hosts {
		if _, _, err := parseHostsLine(line); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("local.hosts[%d]", i), "%v", err))
		}
	}
	if l.Domain != "" {
		if _, ok := dns.IsDomainName(l.Domain); !ok || strings.Trim(l.Domain, ".") == "" {
			errs = append(errs, fielderr.New("local.domain", "%q is not a domain name", l.Domain))
		}
	}
	return errs
}

func parseHostsLine(line string) (netip.Addr, []string, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return netip.Addr{}, nil, fmt.Errorf("%q: want \"ADDRESS NAME...\"", line)
	}
	a, err := netip.ParseAddr(f[0])
	if err != nil {
		return netip.Addr{}, nil, fmt.Errorf("%q: %w", line, err)
	}
	names := make([]string, 0, len(f)-1)
	for _, n := range f[1:] {
		if _, ok := dns.IsDomainName(n); !ok {
			return netip.Addr{}, nil, fmt.Errorf("%q: %q is not a name", line, n)
		}
		names = append(names, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	return a.Unmap(), names, nil
}

func compileLocal(l LocalConfig) (*localZones, error) {
	z := &localZones{
		domains: []string{"home.arpa"}, hasRouter: l.Router != "", reverse: l.Reverse,
		hosts: map[string][]netip.Addr{}, ptr: map[string]string{},
		rebind: l.RebindProtection,
	}
	if d := strings.ToLower(strings.Trim(l.Domain, ".")); d != "" {
		z.domains = append(z.domains, d)
	}
	for _, d := range l.RebindAllow {
		z.rebindAllow = append(z.rebindAllow, strings.ToLower(strings.Trim(d, ".")))
	}
	// RFC 6761 6.3: localhost is loopback, whatever the upstreams think.
	lines := append([]string{"127.0.0.1 localhost", "::1 localhost"}, l.Hosts...)
	for _, line := range lines {
		a, names, err := parseHostsLine(line)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			z.hosts[n] = append(z.hosts[n], a)
		}
		if rev, err := dns.ReverseAddr(a.String()); err == nil && names[0] != "localhost" {
			z.ptr[strings.TrimSuffix(rev, ".")] = names[0]
		}
	}
	return z, nil
}

func under(name, domain string) bool {
	return name == domain || (len(name) > len(domain) && strings.HasSuffix(name, domain) && name[len(name)-len(domain)-1] == '.')
}

// route decides where name goes. Names of the LAN, names without a dot and
// reverse lookups of private addresses never reach a public upstream.
func (z *localZones) route(name string, qtype uint16) route {
	if _, ok := z.hosts[name]; ok && (qtype == dns.TypeA || qtype == dns.TypeAAAA) {
		return routeStatic
	}
	if _, ok := z.ptr[name]; ok && qtype == dns.TypePTR {
		return routeStatic
	}
	if p, ok := reversePrefix(name); ok {
		for _, r := range z.reverse {
			if r.Overlaps(p) && z.hasRouter {
				return routeRouter
			}
		}
		if privatePrefix(p) {
			return routeNXDomain
		}
		return routePublic
	}
	if under(name, "local") || under(name, "localhost") { // mDNS (RFC 6762) and RFC 6761 6.3
		return routeNXDomain
	}
	local := !strings.Contains(name, ".") && name != ""
	for _, d := range z.domains {
		local = local || under(name, d)
	}
	switch {
	case !local:
		return routePublic
	case z.hasRouter:
		return routeRouter
	}
	return routeNXDomain
}

// static answers name from the hosts table; nil when it has no such record.
func (z *localZones) static(name string, qtype uint16) []dns.RR {
	fqdn := dns.Fqdn(name)
	hdr := dns.RR_Header{Name: fqdn, Rrtype: qtype, Class: dns.ClassINET, Ttl: 60}
	var out []dns.RR
	if qtype == dns.TypePTR {
		if host, ok := z.ptr[name]; ok {
			out = append(out, &dns.PTR{Hdr: hdr, Ptr: dns.Fqdn(host)})
		}
		return out
	}
	for _, a := range z.hosts[name] {
		switch {
		case qtype == dns.TypeA && a.Is4():
			out = append(out, &dns.A{Hdr: hdr, A: a.AsSlice()})
		case qtype == dns.TypeAAAA && a.Is6():
			out = append(out, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	return out
}

// rebindExempt reports whether name may carry private addresses.
func (z *localZones) rebindExempt(name string) bool {
	if !z.rebind || z.route(name, dns.TypeA) != routePublic {
		return true
	}
	for _, d := range z.rebindAllow {
		if under(name, d) {
			return true
		}
	}
	return false
}

// stripPrivate removes A and AAAA records that point into private space
// from an answer for a public name, and reports how many it removed.
func stripPrivate(r *dns.Msg) int {
	n := 0
	keep := r.Answer[:0]
	for _, rr := range r.Answer {
		var a netip.Addr
		switch v := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(v.A)
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(v.AAAA)
		}
		if a.IsValid() && isPrivate(a.Unmap()) {
			n++
			continue
		}
		keep = append(keep, rr)
	}
	r.Answer = keep
	return n
}

func privatePrefix(p netip.Prefix) bool {
	for _, r := range privateNets {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// reversePrefix reads a name under in-addr.arpa or ip6.arpa as the network
// it stands for: "168.192.in-addr.arpa" is 192.168.0.0/16.
func reversePrefix(name string) (netip.Prefix, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) > 4 {
			return netip.Prefix{}, false
		}
		var b [4]byte
		for i, l := range labels {
			v, err := strconv.ParseUint(l, 10, 8)
			if err != nil {
				return netip.Prefix{}, false
			}
			b[len(labels)-1-i] = byte(v)
		}
		return netip.PrefixFrom(netip.AddrFrom4(b), 8*len(labels)), true
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) > 32 {
			return netip.Prefix{}, false
		}
		var b [16]byte
		for i, n := range nibbles {
			v, err := strconv.ParseUint(n, 16, 4)
			if err != nil || len(n) != 1 {
				return netip.Prefix{}, false
			}
			pos := len(nibbles) - 1 - i
			b[pos/2] |= byte(v) << (4 * (1 - pos%2))
		}
		return netip.PrefixFrom(netip.AddrFrom16(b), 4*len(nibbles)), true
	}
	return netip.Prefix{}, false
}
