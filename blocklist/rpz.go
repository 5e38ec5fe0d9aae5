package blocklist

import (
	"bytes"
	"strings"
)

// rpzState is what an RPZ zone file carries from line to line.
type rpzState struct {
	zone    []byte // the first $ORIGIN, lower case, no trailing dot; the zone apex
	sub     []byte // the current $ORIGIN below the zone ("com" for "com.<zone>")
	outside bool   // the current $ORIGIN is not under the zone
	owner   []byte // the last owner name, for records that leave it blank
	parens  int    // open parentheses of a multi-line record (SOA)
	name    []byte // scratch for an owner joined to sub
}

// rpzLine parses one line of a Response Policy Zone (draft-vixie-dnsop-dns-
// rpz) used as a list. Only QNAME triggers are taken:
//
//	x CNAME .               block x (NXDOMAIN)
//	*.x CNAME .             block strictly below x
//	x CNAME rpz-passthru.   exception for x
//	x CNAME *.              NODATA: taken as a block (NoteMapped)
//	x CNAME rpz-drop.       drop: taken as a block (NoteMapped)
//	x A 0.0.0.0             local data to a null address: a block of x
//
// An owner alone matches only itself, as RPZ specifies; hagezi's RPZ lists
// both x and *.x. The other triggers (rpz-ip, rpz-nsip, rpz-nsdname,
// rpz-client-ip) test answers, servers or clients, not the query name: they
// are counted and skipped, never turned into names such as
// "32.165.164.0.1.rpz-ip". A CNAME to another name or other local data is a
// rewrite, not taken. $TTL, SOA and NS are zone structure; owners are
// relative to the zone, and absolute ones are made relative with $ORIGIN.
func (p *parser) rpzLine(line []byte) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if p.rpz.parens > 0 {
		p.rpz.parens = max(0, p.rpz.parens+parenDepth(line))
		return
	}
	blankOwner := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	if line[0] == '$' {
		p.rpzDirective(line)
		return
	}
	owner := p.rpz.owner
	if !blankOwner {
		owner, line = nextField(line)
		p.rpz.owner = append(p.rpz.owner[:0], owner...)
	}
	typ, rdata := splitRR(line)
	p.rpz.parens = max(0, parenDepth(rdata))
	switch strings.ToUpper(string(typ)) {
	case "SOA", "NS":
		return
	case "":
		p.skip(ReasonSyntax)
		return
	}
	p.rpzRecord(owner, typ, rdata)
}

// rpzRecord takes one policy record: the action from its type and data,
// then the trigger from its owner.
func (p *parser) rpzRecord(owner, typ, rdata []byte) {
	kind, note := rpzAction(typ, rdata)
	if note.Skips() {
		p.skip(note)
		return
	}
	field, scope, r := p.rpzOwner(owner)
	if r != ReasonNone {
		p.skip(r)
		return
	}
	name, ok := p.normal(field)
	if !ok {
		return
	}
	if note != ReasonNone {
		p.skip(note)
	}
	p.emit(name, kind, scope)
}

// rpzAction maps a record's type and data to a rule kind, a note, or the
// reason it is not taken.
func rpzAction(typ, rdata []byte) (Kind, Reason) {
	if isAddrType(typ) {
		if isNullAddr(rdata) {
			return Block, ReasonNone
		}
		return Block, ReasonRewrite
	}
	if !bytes.EqualFold(typ, []byte("CNAME")) {
		return Block, ReasonRewrite
	}
	target, _ := nextField(rdata)
	switch strings.ToLower(string(target)) {
	case ".":
		return Block, ReasonNone
	case "rpz-passthru.":
		return Exception, ReasonNone
	case "*.", "rpz-drop.":
		return Block, NoteMapped
	case "rpz-tcp-only.":
		return Block, ReasonRPZAction
	}
	return Block, ReasonRewrite
}

// rpzOwner turns an owner name into the query name it triggers on, relative
// to the zone, with its scope; or says why it is not a query-name trigger.
func (p *parser) rpzOwner(owner []byte) ([]byte, Scope, Reason) {
	if string(owner) == "@" {
		return nil, Exact, ReasonSyntax // the apex itself: not a trigger
	}
	name, r := p.rpzRelative(owner)
	if r != ReasonNone {
		return nil, Exact, r
	}
	scope := Exact
	if rest, ok := bytes.CutPrefix(name, []byte("*.")); ok {
		name, scope = rest, Subdomains
	}
	last := name[bytes.LastIndexByte(name, '.')+1:]
	switch strings.ToLower(string(last)) {
	case "rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip":
		return nil, scope, ReasonRPZTrigger
	}
	if bytes.IndexByte(name, '*') >= 0 {
		return nil, scope, ReasonGlob
	}
	return name, scope, ReasonNone
}

// rpzRelative makes an owner relative to the zone apex: absolute names lose
// the zone's suffix, relative ones gain the part of $ORIGIN below the zone.
func (p *parser) rpzRelative(owner []byte) ([]byte, Reason) {
	if abs, ok := bytes.CutSuffix(owner, []byte{'.'}); ok {
		zone := p.rpz.zone
		if len(zone) == 0 || len(abs) <= len(zone) || abs[len(abs)-len(zone)-1] != '.' ||
			!bytes.EqualFold(abs[len(abs)-len(zone):], zone) {
			return nil, ReasonOutOfZone
		}
		return abs[:len(abs)-len(zone)-1], ReasonNone
	}
	if p.rpz.outside {
		return nil, ReasonOutOfZone
	}
	if len(p.rpz.sub) == 0 {
		return owner, ReasonNone
	}
	p.rpz.name = append(append(append(p.rpz.name[:0], owner...), '.'), p.rpz.sub...)
	return p.rpz.name, ReasonNone
}

// rpzDirective handles $TTL, $ORIGIN and $INCLUDE.
func (p *parser) rpzDirective(line []byte) {
	dir, rest := nextField(line)
	switch strings.ToUpper(string(dir)) {
	case "$TTL":
	case "$ORIGIN":
		origin, _ := nextField(rest)
		origin = bytes.ToLower(bytes.TrimSuffix(origin, []byte{'.'}))
		zone := p.rpz.zone
		switch {
		case zone == nil:
			p.rpz.zone, p.rpz.sub, p.rpz.outside = origin, nil, false
		case bytes.Equal(origin, zone):
			p.rpz.sub, p.rpz.outside = nil, false
		case bytes.HasSuffix(origin, append([]byte{'.'}, zone...)):
			p.rpz.sub, p.rpz.outside = origin[:len(origin)-len(zone)-1], false
		default:
			p.rpz.outside = true
		}
	default:
		p.skip(ReasonDirective)
	}
}

// parenDepth returns the change in parenthesis depth over b.
func parenDepth(b []byte) int {
	return bytes.Count(b, []byte{'('}) - bytes.Count(b, []byte{')'})
}
