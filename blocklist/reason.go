package blocklist

import (
	"fmt"
	"strings"
)

// Reason says why a name or a line was not taken as a rule, or, for the few
// notes (see Reason.Skips), what was approximated in a rule that was taken.
// Real lists are messy (see shared/data/README.md): nothing here is fatal,
// every reason is counted so that `amane lists check` can show it.
type Reason uint8

// The reasons. ReasonNone is the zero value: the name is fine.
const (
	ReasonNone Reason = iota

	// Reasons a name is invalid, from Normalize.
	ReasonEmpty        // nothing left once trimmed
	ReasonEmptyLabel   // leading dot, "..", or two trailing dots
	ReasonLabelTooLong // a label over 63 bytes (RFC 1035 2.3.4)
	ReasonNameTooLong  // over 253 bytes in text form (RFC 1035 2.3.4)
	ReasonBadChar      // a byte outside [a-z0-9-_.] after IDN mapping
	ReasonIDN          // Unicode the IDNA lookup profile rejects
	ReasonIP           // an IP address where a name belongs

	// Reasons a line is skipped, from the parsers.
	ReasonLineTooLong // longer than MaxLineLength
	ReasonSyntax      // not a rule of the list's format
	ReasonLocal       // a hosts preamble or machine name (localhost, ip6-*, single label)
	ReasonURL         // a URL or a path: a DNS filter sees host names only
	ReasonRegex       // an AdGuard /regex/ rule
	ReasonCosmetic    // an element-hiding or other browser-only rule
	ReasonGlob        // a '*' inside a name
	ReasonPattern     // a URL fragment that is not a whole host name ("-ads1.", "||name." without ^)
	ReasonModifier    // a $modifier a DNS filter cannot honour ($client, $dnstype, $third-party...)
	ReasonBadfilter   // $badfilter: kept as blocked, see adblock.go
	ReasonRewrite     // a rewrite to another answer ($dnsrewrite, RPZ CNAME to a name, local data)
	ReasonForward     // a dnsmasq server= line that forwards elsewhere: not a block
	ReasonDirective   // a directive that is not a name rule (conf-file, include, $INCLUDE...)
	ReasonRPZTrigger  // an RPZ trigger other than a query name (rpz-ip, rpz-nsdname, rpz-client-ip...)
	ReasonRPZAction   // an RPZ action with no DNS filter meaning (rpz-tcp-only)
	ReasonOutOfZone   // an absolute RPZ owner name outside the zone's $ORIGIN
	ReasonBadHash     // a hashed-list line that is not 64 hex digits

	// Notes: the rule was accepted, with an approximation worth showing.
	NoteImportant // $important: blocked, but its priority over exceptions is not kept
	NoteMapped    // an RPZ NODATA (CNAME *.) or DROP action answered as a block

	numReasons // not a reason
)

// reasonIDs and reasonTexts are indexed by Reason. They are constant strings
// split on demand so that the package keeps no mutable state.
const (
	reasonIDs = "none empty empty-label label-too-long name-too-long bad-char bad-idn ip-address " +
		"line-too-long syntax local-name url regex cosmetic glob url-pattern modifier badfilter " +
		"rewrite forward directive rpz-trigger rpz-action out-of-zone bad-hash " +
		"important-ignored mapped-to-block"
	reasonTexts = "no problem|empty name|empty label|label longer than 63 bytes|name longer than 253 bytes|" +
		"character not allowed in a host name|invalid internationalized name|IP address where a name belongs|" +
		"line too long|line not understood in this format|" +
		"local name (hosts preamble or machine name), not a block|URL or path: a DNS filter sees host names only|" +
		"regular expression rule, not supported|browser-only (cosmetic or URL) rule|" +
		"wildcard inside a name, not supported|URL fragment that is not a whole host name|" +
		"rule modifier a DNS filter cannot honour|$badfilter ignored: the rule it disables stays active|" +
		"rewrite to another answer, not a block|forwarding rule, not a block|directive that is not a name rule|" +
		"RPZ trigger other than a query name|RPZ action with no meaning for a DNS filter|" +
		"RPZ owner name outside the zone|not a hex SHA-256 digest|" +
		"accepted as a block; $important priority not kept|accepted as a block: RPZ NODATA or DROP action"
)

// String returns a short stable id for r ("ip-address"), for logs and tests.
func (r Reason) String() string {
	if r >= numReasons {
		return fmt.Sprintf("reason(%d)", uint8(r))
	}
	return nthField(reasonIDs, ' ', int(r))
}

// Description returns a phrase for people, as `amane lists check` prints it.
func (r Reason) Description() string {
	if r >= numReasons {
		return r.String()
	}
	return nthField(reasonTexts, '|', int(r))
}

// nthField returns the n-th sep-separated field of s without allocating.
func nthField(s string, sep byte, n int) string {
	for ; n > 0; n-- {
		i := strings.IndexByte(s, sep)
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

// Skips reports whether r means the rule was dropped; false for ReasonNone
// and for the notes, whose rules were accepted.
func (r Reason) Skips() bool { return r != ReasonNone && r < NoteImportant }
