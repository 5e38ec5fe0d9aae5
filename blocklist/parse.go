package blocklist

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

const (
	// MaxLineLength bounds a line. A longer line is skipped and counted
	// (ReasonLineTooLong), never fatal: no real rule is that long, and the
	// bound keeps a hostile or broken file from growing a buffer.
	MaxLineLength = 8 << 10
	// readBufferSize is the bufio buffer, and the head DetectFormat sees.
	readBufferSize = 64 << 10
	// maxExample bounds the example line kept for each skip reason.
	maxExample = 160
)

// utf8BOM is the byte order mark a list saved by a Windows editor starts with.
const utf8BOM = "\xef\xbb\xbf"

// Parse reads a list in format (FormatAuto detects it from the first lines)
// and calls fn for each rule, in file order. It streams: it keeps one line
// and one scratch name at a time, never the list, so that compiling a
// million names costs the Set's memory and not a copy of the file. Bad lines
// are counted in the returned Stats, never fatal; the error is only for a
// failing reader, an unknown format, or an archive (FormatUT1Tar) that
// cannot be read.
func Parse(r io.Reader, format Format, fn func(Rule)) (Stats, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	if format == FormatAuto {
		head, err := br.Peek(readBufferSize)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return Stats{}, fmt.Errorf("detecting list format: %w", err)
		}
		format = DetectFormat(head)
	}
	switch {
	case format >= numFormats:
		return Stats{}, fmt.Errorf("parsing list: unknown format %d", format)
	case format == FormatUT1Tar:
		return parseArchive(br, MaxArchiveBytes, fn)
	}
	return parseLines(br, format, fn)
}

// parseLines parses a text list in a known format.
func parseLines(br *bufio.Reader, format Format, fn func(Rule)) (Stats, error) {
	p := parser{fn: fn, buf: make([]byte, 0, 2*MaxNameLength)}
	p.stats.Format = format
	err := p.run(br, format)
	return p.stats, err
}

// parser holds the state of one Parse. Its format-specific parts are only
// used by the matching xxxLine method.
type parser struct {
	fn    func(Rule)
	stats Stats
	line  int    // 1-based number of the current line
	raw   []byte // the current line, for skip examples
	buf   []byte // scratch for the normalized name handed to fn
	rpz   rpzState
}

// run reads lines until EOF and dispatches each to its format's parser.
func (p *parser) run(br *bufio.Reader, format Format) error {
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			p.line++
			p.stats.Lines++
			p.raw = line
			if errors.Is(err, bufio.ErrBufferFull) {
				p.skip(ReasonLineTooLong)
				err = discardLine(br)
			} else {
				if p.line == 1 {
					line = bytes.TrimPrefix(line, []byte(utf8BOM))
				}
				p.parseLine(format, trimEOL(line))
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parsing %s line %d: %w", format, p.line, err)
		}
	}
}

// parseLine dispatches one line without its end-of-line bytes.
func (p *parser) parseLine(format Format, line []byte) {
	p.raw = line
	if len(line) > MaxLineLength {
		p.skip(ReasonLineTooLong)
		return
	}
	switch format {
	case FormatHosts:
		p.hostsLine(line)
	case FormatDomains, FormatWildcard:
		p.domainsLine(line)
	case FormatAdblock:
		p.adblockLine(line)
	case FormatDnsmasq:
		p.dnsmasqLine(line)
	case FormatUnbound:
		p.unboundLine(line)
	case FormatRPZ:
		p.rpzLine(line)
	case FormatHashed:
		p.hashedLine(line)
	}
}

// discardLine drops the rest of an overlong line.
func discardLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// skip counts reason for the current line, keeping the first example.
func (p *parser) skip(r Reason) {
	s := &p.stats.reasons[r]
	s.Count++
	if s.Count == 1 {
		s.Line = p.line
		s.Example = string(trimEOL(p.raw[:min(len(p.raw), maxExample)]))
	}
}

// normal normalizes field into the scratch buffer, or counts why it cannot.
func (p *parser) normal(field []byte) ([]byte, bool) {
	name, r := appendNormal(p.buf[:0], field)
	p.buf = name[:0]
	if r != ReasonNone {
		p.skip(r)
		return nil, false
	}
	return name, true
}

// emit hands a normalized name to the callback and counts it.
func (p *parser) emit(name []byte, k Kind, s Scope) {
	p.fn(Rule{Name: name, Kind: k, Scope: s, Line: p.line})
	p.stats.Accepted++
	if k == Exception {
		p.stats.Exceptions++
	}
}

// emitField normalizes field and emits it, or counts why it cannot.
func (p *parser) emitField(field []byte, k Kind, s Scope) {
	if name, ok := p.normal(field); ok {
		p.emit(name, k, s)
	}
}

// trimEOL removes a trailing "\n" or "\r\n" (khulnasoft's hosts file is
// CRLF on every line) and a lone trailing "\r".
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// nextField splits off the first whitespace-separated field of b and
// returns it with the rest, leading space trimmed, without allocating.
func nextField(b []byte) (field, rest []byte) {
	b = bytes.TrimLeft(b, " \t\r\v\f")
	i := bytes.IndexAny(b, " \t\r\v\f")
	if i < 0 {
		return b, nil
	}
	return b[:i], bytes.TrimLeft(b[i:], " \t\r\v\f")
}

// cutComment returns line before the first c, with spaces trimmed.
func cutComment(line []byte, c byte) []byte {
	if i := bytes.IndexByte(line, c); i >= 0 {
		line = line[:i]
	}
	return bytes.TrimSpace(line)
}

// Kind says whether a rule blocks or allows.
type Kind uint8

// The kinds of rule.
const (
	Block     Kind = iota // the name is blocked for the list's category
	Exception             // the name is allowed whatever blocks it less specifically
)

// String returns "block" or "exception".
func (k Kind) String() string {
	if k == Exception {
		return "exception"
	}
	return "block"
}

// Scope says which names a rule covers, relative to the name it carries.
//
// DESIGN.md: blocking a name blocks its subdomains, so plain names in every
// format are Subtree. Only syntaxes that say more narrow it: the AdGuard
// exact-host anchor `|x^` and a bare RPZ owner `x` are Exact (RFC-draft RPZ
// matches an owner name alone), and `*.x` (wildcard lists, RPZ, dnsmasq,
// AdGuard `||*.x^` and `.x^`) is Subdomains: strictly below x, never x
// itself. The hagezi lists that use `*.x` ship `x` as well where they mean
// it (their RPZ form lists both), so this literal reading loses nothing and
// keeps `*.x` meaning the same thing in every format.
type Scope uint8

// The scopes of a rule.
const (
	Subtree    Scope = iota // the name and every name below it
	Exact                   // the name only
	Subdomains              // every name strictly below the name, not the name
)

// String returns "subtree", "exact" or "subdomains".
func (s Scope) String() string {
	switch s {
	case Exact:
		return "exact"
	case Subdomains:
		return "subdomains"
	}
	return "subtree"
}

// self and below report which positions of a query the scope reaches.
func (s Scope) self() bool  { return s != Subdomains }
func (s Scope) below() bool { return s != Exact }

// Rule is one rule a parser emits. Parsers stream rules through a callback
// and reuse their buffers, so Name is only valid during the callback, like
// bufio.Scanner.Bytes: a caller that keeps it must copy it.
type Rule struct {
	// Name is the normalized name (see Normalize); empty for a hashed rule.
	Name []byte
	// Digest is the SHA-256 of the normalized name, for a hashed rule.
	Digest [sha256.Size]byte
	// Hashed is set when the rule carries only Digest, from a hashed list.
	Hashed bool
	Kind   Kind
	Scope  Scope
	// Line is the 1-based line of the rule in its list, for explain.
	Line int
}

// HashName returns the digest a hashed list carries for name: the SHA-256 of
// its normal form. Feeds that must not ship names in clear (child-abuse
// domains) publish these instead of the names.
func HashName(name string) ([sha256.Size]byte, Reason) {
	n, r := Normalize(name)
	if r != ReasonNone {
		return [sha256.Size]byte{}, r
	}
	return sha256.Sum256([]byte(n)), ReasonNone
}
