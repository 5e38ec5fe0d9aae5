package blocklist

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits of a name in text form, RFC 1035 section 2.3.4 (255 octets on the
// wire is 253 characters in text without the trailing dot).
const (
	MaxNameLength  = 253
	MaxLabelLength = 63
)

// Normalize returns name in the one form the Set stores and looks up: spaces
// trimmed, lower case, one trailing dot removed, Unicode (IDN) labels turned
// into punycode with the IDNA lookup profile (RFC 5891 section 5). It returns
// a Reason other than ReasonNone, and "", when the result is not a name a
// DNS filter can match: an empty label, a label over 63 or a name over 253
// bytes, a byte outside [a-z0-9-_], or an IP address.
//
// Hyphens are allowed anywhere in a label and underscores anywhere, because
// real query names carry them ("-container.supertms.com",
// "philadelphia_cbslocal.us.intellitxt.com") and a filter must match what
// clients actually ask. A name that is already normalized is returned as is,
// without allocating.
func Normalize(name string) (string, Reason) {
	if isNormal(name) {
		return name, ReasonNone
	}
	out, r := appendNormal(nil, []byte(name))
	if r != ReasonNone {
		return "", r
	}
	return string(out), ReasonNone
}

// isNormal reports whether name is already in normal form, so the common
// case costs one pass and no allocation.
func isNormal(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '.' && !isNameChar(c) {
			return false
		}
	}
	return checkName(name) == ReasonNone
}

// appendNormal appends the normal form of src to dst. It is the allocation-
// free core the parsers use: dst is their scratch buffer.
func appendNormal(dst, src []byte) ([]byte, Reason) {
	src = bytes.TrimSpace(src)
	start := len(dst)
	for _, c := range src {
		if c >= utf8.RuneSelf {
			return appendIDN(dst[:start], src)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return finishName(dst, start)
}

// appendIDN maps a name holding non-ASCII bytes. It allocates, which is fine:
// no list in shared/data carries raw Unicode, they ship punycode already.
func appendIDN(dst, src []byte) ([]byte, Reason) {
	if !utf8.Valid(src) {
		return dst, ReasonIDN
	}
	// A lookup profile, but with hyphen checks and STD3 rules off: labels
	// such as "r3---sn-apo3qvuoxuxbt-j5pe" and underscores are real.
	p := idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false),
		idna.CheckHyphens(false), idna.StrictDomainName(false))
	ascii, err := p.ToASCII(string(src))
	if err != nil {
		return dst, ReasonIDN
	}
	start := len(dst)
	dst = append(dst, strings.ToLower(ascii)...)
	return finishName(dst, start)
}

// finishName strips one trailing dot from dst[start:] and validates it.
func finishName(dst []byte, start int) ([]byte, Reason) {
	if n := len(dst); n > start && dst[n-1] == '.' {
		dst = dst[:n-1]
	}
	if r := checkName(dst[start:]); r != ReasonNone {
		return dst[:start], r
	}
	return dst, ReasonNone
}

// checkName validates a lower-case ASCII name without a trailing dot. It is
// generic so that strings are checked without a conversion that allocates.
func checkName[T string | []byte](b T) Reason {
	if len(b) == 0 {
		return ReasonEmpty
	}
	if len(b) > MaxNameLength {
		return ReasonNameTooLong
	}
	label, digitsAndDots := 0, true
	for i := range len(b) {
		switch c := b[i]; {
		case c == '.':
			if label == 0 {
				return ReasonEmptyLabel
			}
			label = 0
			continue
		case !isNameChar(c):
			if c == ':' && isIPBytes(b) {
				return ReasonIP
			}
			return ReasonBadChar
		case c < '0' || c > '9':
			digitsAndDots = false
		}
		if label++; label > MaxLabelLength {
			return ReasonLabelTooLong
		}
	}
	if label == 0 {
		return ReasonEmptyLabel
	}
	if digitsAndDots && isIPBytes(b) {
		return ReasonIP
	}
	return ReasonNone
}

// isNameChar reports whether c may appear in a normalized label.
func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// isIPBytes reports whether b is an IPv4 or IPv6 address. The fast path
// (dotted quads) avoids the string conversion the netip parser needs.
func isIPBytes[T string | []byte](b T) bool {
	for i := range len(b) {
		if b[i] == ':' {
			_, err := netip.ParseAddr(string(b))
			return err == nil
		}
	}
	return isDottedQuad(b)
}

// isDottedQuad reports whether b is four decimal numbers of 0-255 separated
// by dots, the only IPv4 form lists use.
func isDottedQuad[T string | []byte](b T) bool {
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts, n, digits = parts+1, 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || digits == 3 {
			return false
		}
		n, digits = n*10+int(c-'0'), digits+1
	}
	return parts == 4
}
