package blocklist

import (
	"bytes"
	"encoding/hex"
)

// This file holds the line-per-entry formats: hosts files, plain domain
// lists (hagezi, UT1), wildcard lists and hashed lists.

// hostsLine parses one line of a hosts file: an address, then one or more
// names, then an optional # comment.
//
// Any address counts as a block, not only 0.0.0.0 and 127.0.0.1: lists use
// 127.0.0.7, ::, ::1 and more, and a filter never answers with the list's
// address anyway. The hosts preamble (localhost, broadcasthost, ip6-*) and
// the build machine's own name (khulnasoft's "127.0.1.1 codespaces-a0de1a")
// are local names, skipped: blocking "localhost" would break the appliance
// and blocking a one-label machine name would block a whole TLD. Names that
// merely contain "localhost" (localhost.weixin.qq.com) are ordinary names.
// hagezi's "compressed" hosts carry nine names after one address.
func (p *parser) hostsLine(line []byte) {
	line = cutComment(line, '#')
	if len(line) == 0 {
		return
	}
	addr, names := nextField(line)
	if !isHostsAddr(addr) || len(names) == 0 {
		p.skip(ReasonSyntax)
		return
	}
	for len(names) > 0 {
		var field []byte
		field, names = nextField(names)
		name, ok := p.normal(field)
		if !ok {
			continue
		}
		if isLocalName(name) {
			p.skip(ReasonLocal)
			continue
		}
		p.emit(name, Block, Subtree)
	}
}

// isHostsAddr reports whether b is the address field of a hosts line. The
// usual blocking addresses are compared first so that a million-line file
// does not parse a million addresses.
func isHostsAddr(b []byte) bool {
	switch string(b) {
	case "0.0.0.0", "127.0.0.1", "::", "::1":
		return true
	}
	// fe80::1%lo0 in the StevenBlack preamble carries a zone.
	if i := bytes.IndexByte(b, '%'); i > 0 && bytes.IndexByte(b, ':') >= 0 {
		b = b[:i]
	}
	return isIPBytes(b)
}

// isLocalName reports whether a normalized hosts name names this machine or
// its network rather than something to block: one label (localhost,
// broadcasthost, ip6-allnodes, a hostname), or a localhost alias with a
// domain, as distributions write them.
func isLocalName(name []byte) bool {
	if bytes.IndexByte(name, '.') < 0 {
		return true
	}
	switch string(name) {
	case "localhost.localdomain", "localhost4.localdomain4", "localhost6.localdomain6",
		"ip6-localhost.localdomain", "local.localdomain":
		return true
	}
	return false
}

// domainsLine parses one line of a plain domains list or a wildcard list:
// "name" blocks the name and its subdomains (DESIGN.md; hagezi's
// "onlydomains" and UT1 rely on it), "*.name" blocks strictly the
// subdomains (see Scope). '#' starts a comment. UT1 files mix in IP
// addresses, leading dots and, in their urls files, host/path lines: those
// are counted and skipped by Normalize's reasons or ReasonURL.
func (p *parser) domainsLine(line []byte) {
	line = cutComment(line, '#')
	if len(line) == 0 {
		return
	}
	scope := Subtree
	if rest, ok := bytes.CutPrefix(line, []byte("*.")); ok {
		line, scope = rest, Subdomains
	}
	switch {
	case bytes.IndexByte(line, '/') >= 0:
		p.skip(ReasonURL)
	case bytes.IndexByte(line, '*') >= 0:
		p.skip(ReasonGlob)
	default:
		p.emitField(line, Block, scope)
	}
}

// hashedLine parses one line of a hashed list: the hex SHA-256 of a
// normalized name (see HashName), blocking the name and its subdomains like
// a plain domains list. '#' starts a comment; hex may be upper case.
func (p *parser) hashedLine(line []byte) {
	line = cutComment(line, '#')
	if len(line) == 0 {
		return
	}
	if !isHexDigest(line) {
		p.skip(ReasonBadHash)
		return
	}
	r := Rule{Hashed: true, Kind: Block, Scope: Subtree, Line: p.line}
	if _, err := hex.Decode(r.Digest[:], line); err != nil {
		p.skip(ReasonBadHash)
		return
	}
	p.fn(r)
	p.stats.Accepted++
}

// isHexDigest reports whether b is exactly 64 hex digits. No name can look
// like that: its one label would be longer than 63 bytes.
func isHexDigest(b []byte) bool {
	if len(b) != 2*32 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
