package blocklist

import (
	"bytes"
	"fmt"
	"strings"
)

// Format is a list syntax.
type Format uint8

// The formats. FormatAuto asks Parse to detect the format from the content.
const (
	FormatAuto     Format = iota
	FormatHosts           // "0.0.0.0 name name..." with any IP
	FormatDomains         // one name a line (hagezi domains, UT1 domains)
	FormatWildcard        // "*.name" a line; the domains parser reads both
	FormatAdblock         // AdGuard / Adblock Plus DNS syntax: ||name^, @@||name^
	FormatDnsmasq         // address=/name/..., local=/name/, server=/name/
	FormatUnbound         // local-zone: "name." always_nxdomain
	FormatRPZ             // RPZ zone file: name CNAME .
	FormatHashed          // one hex SHA-256 of a normalized name a line
	FormatUT1Tar          // a tar.gz archive whose `domains` member is a domains list (UT1); see archive.go
	numFormats
)

// formatIDs is indexed by Format.
const formatIDs = "auto hosts domains wildcard adblock dnsmasq unbound rpz hashed ut1-tar"

// String returns the format's id, as configs and `amane lists check` use it.
func (f Format) String() string {
	if f >= numFormats {
		return fmt.Sprintf("format(%d)", uint8(f))
	}
	return nthField(formatIDs, ' ', int(f))
}

// ParseFormat returns the format whose id is s. It also accepts "adguard",
// "abp" and "" (auto), the names people use.
func ParseFormat(s string) (Format, error) {
	id := strings.ToLower(strings.TrimSpace(s))
	switch id {
	case "", "detect":
		return FormatAuto, nil
	case "adguard", "abp", "adblockplus":
		return FormatAdblock, nil
	case "domain", "plain":
		return FormatDomains, nil
	case "ut1", "tar.gz", "tgz":
		return FormatUT1Tar, nil
	}
	for f := range numFormats {
		if f.String() == id {
			return f, nil
		}
	}
	return FormatAuto, fmt.Errorf("parsing list format %q: unknown format", s)
}

// detectLines is how many meaningful lines DetectFormat looks at.
const detectLines = 200

// DetectFormat guesses the format of a list from its first bytes (Parse
// gives it up to 64 KiB). Each of the first meaningful lines votes for the
// format it looks like; a header that only one format has ([Adblock Plus],
// $TTL, server:) decides at once. Comments vote for nothing, since '#' is
// used by five formats. An empty head is FormatDomains. gzip data is
// FormatUT1Tar: no text list starts with gzip's magic bytes.
func DetectFormat(head []byte) Format {
	if bytes.HasPrefix(head, gzipMagic) {
		return FormatUT1Tar
	}
	var votes [numFormats]int
	seen := 0
	head = bytes.TrimPrefix(head, []byte(utf8BOM))
	for len(head) > 0 && seen < detectLines {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte{'\n'})
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f, decisive := classify(line)
		if decisive {
			return f
		}
		if f != FormatAuto {
			votes[f]++
			seen++
		}
	}
	best := FormatDomains
	// Ties go to the more specific syntax: order of preference.
	for _, f := range []Format{FormatAdblock, FormatRPZ, FormatUnbound, FormatDnsmasq,
		FormatHosts, FormatHashed, FormatWildcard, FormatDomains} {
		if votes[f] > votes[best] {
			best = f
		}
	}
	return best
}

// classify says which format one trimmed, non-comment line looks like, and
// whether that settles it.
func classify(line []byte) (Format, bool) {
	switch {
	case bytes.HasPrefix(line, []byte("[Adblock")), bytes.HasPrefix(line, []byte("[AdGuard")):
		return FormatAdblock, true
	case bytes.HasPrefix(line, []byte("$TTL")), bytes.HasPrefix(line, []byte("$ORIGIN")):
		return FormatRPZ, true
	case bytes.Equal(line, []byte("server:")):
		return FormatUnbound, true
	case line[0] == '!':
		return FormatAuto, false // an AdGuard comment, but hosts files copy them too
	case line[0] == ';':
		return FormatRPZ, false
	case bytes.HasPrefix(line, []byte("||")), bytes.HasPrefix(line, []byte("@@")),
		line[0] == '|', line[0] == '/', bytes.IndexByte(line, '^') >= 0:
		return FormatAdblock, false
	case bytes.HasPrefix(line, []byte("local-zone:")), bytes.HasPrefix(line, []byte("local-data:")):
		return FormatUnbound, false
	case bytes.HasPrefix(line, []byte("address=/")), bytes.HasPrefix(line, []byte("server=/")),
		bytes.HasPrefix(line, []byte("local=/")):
		return FormatDnsmasq, false
	}
	first, rest := nextField(line)
	if len(rest) == 0 {
		switch {
		case isHexDigest(first):
			return FormatHashed, false
		case bytes.HasPrefix(first, []byte("*.")):
			return FormatWildcard, false
		}
		return FormatDomains, false
	}
	if isIPBytes(first) {
		return FormatHosts, false
	}
	if hasRRType(rest) {
		return FormatRPZ, false
	}
	return FormatAuto, false
}

// hasRRType reports whether fields hold a resource record type or class, as
// the fields after an owner name in a zone file do.
func hasRRType(fields []byte) bool {
	for len(fields) > 0 {
		var f []byte
		f, fields = nextField(fields)
		switch strings.ToUpper(string(f)) {
		case "CNAME", "IN", "SOA", "NS", "A", "AAAA", "TXT":
			return true
		}
	}
	return false
}
