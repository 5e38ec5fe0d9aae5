package blocklist

import (
	"bytes"
	"net/netip"
	"strings"
)

// This file holds the configuration syntaxes of other resolvers that lists
// are published in: dnsmasq and unbound. Their record helpers (splitRR,
// isNullAddr) serve the RPZ parser too.

// dnsmasqLine parses one line of a dnsmasq configuration used as a list.
// Three directives name domains, and in a blocklist all three mean "answer
// here, do not resolve", for the names and their subdomains:
//
//	address=/x/#   address=/x/0.0.0.0   address=/x/   NXDOMAIN or a null answer
//	local=/x/                                         local only: NXDOMAIN
//	server=/x/                                        no upstream: local only
//
// A server= line with an upstream (server=/x/1.2.3.4, server=/x/#) forwards
// the names elsewhere and is not a block (ReasonForward). One line may name
// several domains (address=/a/b/#). "*.x" is strictly the subdomains, "#"
// as a domain means every name and is not taken. Other directives
// (bogus-nxdomain, conf-file...) are not name rules. Comments are whole
// lines starting with '#': a '#' later on is an address.
func (p *parser) dnsmasqLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return
	}
	key, val, _ := bytes.Cut(line, []byte{'='})
	k := string(bytes.TrimSpace(key))
	switch k {
	case "address", "local", "server":
	default:
		p.skip(ReasonDirective)
		return
	}
	last := bytes.LastIndexByte(val, '/')
	if len(val) == 0 || val[0] != '/' || last == 0 {
		// server=1.1.1.1 is an upstream; address= without domains is broken.
		if k == "server" {
			p.skip(ReasonForward)
		} else {
			p.skip(ReasonSyntax)
		}
		return
	}
	if r := dnsmasqTarget(k, val[last+1:]); r != ReasonNone {
		p.skip(r)
		return
	}
	for d := range bytes.SplitSeq(val[1:last], []byte{'/'}) {
		p.dnsmasqDomain(d)
	}
}

// dnsmasqDomain emits one domain of an address/local/server line.
func (p *parser) dnsmasqDomain(d []byte) {
	scope := Subtree
	if rest, ok := bytes.CutPrefix(d, []byte("*.")); ok {
		d, scope = rest, Subdomains
	}
	switch {
	case len(d) == 0:
		p.skip(ReasonSyntax) // "//" means unqualified names
	case bytes.ContainsAny(d, "*#"):
		p.skip(ReasonGlob)
	default:
		p.emitField(d, Block, scope)
	}
}

// dnsmasqTarget says whether what follows the last '/' makes the line a
// block. For address= any address is a block (a sinkhole answer, as in a
// hosts file); for local= and server= only an empty target is.
func dnsmasqTarget(key string, target []byte) Reason {
	if len(target) == 0 {
		return ReasonNone
	}
	if key != "address" {
		return ReasonForward
	}
	if string(target) == "#" || isIPBytes(target) {
		return ReasonNone
	}
	return ReasonSyntax
}

// unboundLine parses one line of an unbound configuration used as a list:
//
//	server:
//	local-zone: "x." always_null
//	local-data: "x. A 0.0.0.0"
//
// A local-zone covers x and its subdomains. The zone types that refuse or
// answer locally (deny, refuse, static, redirect, always_*, inform_deny)
// block; the transparent ones (transparent, typetransparent, inform,
// always_transparent) let resolution happen below a blocked parent, so they
// are exceptions. A local-data record answers for x alone: to a null or
// loopback address it is a block of x, to any other data a rewrite, not
// taken. Other options and clauses are not name rules.
func (p *parser) unboundLine(line []byte) {
	line = cutComment(line, '#')
	if len(line) == 0 {
		return
	}
	key, val, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		p.skip(ReasonSyntax)
		return
	}
	val = bytes.TrimSpace(val)
	switch string(bytes.TrimSpace(key)) {
	case "server":
		if len(val) > 0 {
			p.skip(ReasonSyntax)
		}
	case "local-zone":
		p.localZone(val)
	case "local-data":
		p.localData(val)
	default:
		p.skip(ReasonDirective)
	}
}

// localZone parses the value of a local-zone option.
func (p *parser) localZone(val []byte) {
	name, rest := quotedField(val)
	typ, _ := nextField(rest)
	switch strings.ToLower(string(typ)) {
	case "deny", "refuse", "static", "redirect", "always_refuse", "always_nxdomain",
		"always_null", "always_nodata", "always_deny", "inform_deny", "inform_redirect":
		p.emitField(name, Block, Subtree)
	case "transparent", "typetransparent", "always_transparent", "inform":
		p.emitField(name, Exception, Subtree)
	case "nodefault":
		p.skip(ReasonDirective)
	default:
		p.skip(ReasonSyntax)
	}
}

// localData parses the value of a local-data option: one quoted record.
func (p *parser) localData(val []byte) {
	rr, _ := quotedField(val)
	owner, rest := nextField(rr)
	typ, rdata := splitRR(rest)
	if !isAddrType(typ) || !isNullAddr(rdata) {
		p.skip(ReasonRewrite)
		return
	}
	p.emitField(owner, Block, Exact)
}

// quotedField returns the first field of b, unquoted when it is in single or
// double quotes (unbound accepts both, and none).
func quotedField(b []byte) (field, rest []byte) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		if end := bytes.IndexByte(b[1:], b[0]); end >= 0 {
			return bytes.TrimSpace(b[1 : end+1]), bytes.TrimSpace(b[end+2:])
		}
	}
	return nextField(b)
}

// splitRR skips the optional TTL and class of a record's text after its
// owner and returns the type and the data.
func splitRR(fields []byte) (typ, rdata []byte) {
	for len(fields) > 0 {
		typ, fields = nextField(fields)
		if len(typ) == 0 {
			break
		}
		if c := typ[0]; '0' <= c && c <= '9' {
			continue // TTL, in seconds or with units (1h)
		}
		switch strings.ToUpper(string(typ)) {
		case "IN", "CH", "HS", "ANY":
			continue
		}
		return typ, fields
	}
	return nil, nil
}

// isAddrType reports whether typ is A or AAAA, in any case.
func isAddrType(typ []byte) bool {
	return bytes.EqualFold(typ, []byte("A")) || bytes.EqualFold(typ, []byte("AAAA"))
}

// isNullAddr reports whether rdata is an unspecified or loopback address,
// the answers blocklists use to mean "nothing here".
func isNullAddr(rdata []byte) bool {
	f, _ := nextField(rdata)
	a, err := netip.ParseAddr(string(f))
	return err == nil && (a.IsUnspecified() || a.IsLoopback())
}
