package blocklist

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		reason         Reason
	}{
		{"a normal name is returned as is", "ads.example.com", "ads.example.com", ReasonNone},
		{"upper case is folded", "Free-4paid.COM", "free-4paid.com", ReasonNone},
		{"one trailing dot is dropped", "10xcryptotrade.uk.", "10xcryptotrade.uk", ReasonNone},
		{"two trailing dots are an empty label", "a.com..", "", ReasonEmptyLabel},
		{"spaces around are trimmed", "  a.com\t", "a.com", ReasonNone},
		{"a leading dot is an empty label", ".afshin.ir", "", ReasonEmptyLabel},
		{"a double dot is an empty label", "a..com", "", ReasonEmptyLabel},
		{"underscores are allowed", "abbyfaer_rkoa.tripod.com", "abbyfaer_rkoa.tripod.com", ReasonNone},
		{"a leading hyphen is allowed, real queries carry it", "-container.supertms.com", "-container.supertms.com", ReasonNone},
		{"a single label is a TLD", "apartments", "apartments", ReasonNone},
		{"an IPv4 address is not a name", "146.145.203.221", "", ReasonIP},
		{"an IPv6 address is not a name", "2001:db8::1", "", ReasonIP},
		{"digits that are not an address are a name", "0.0.0.0.beeglivesex.com", "0.0.0.0.beeglivesex.com", ReasonNone},
		{"five numbers are not an address", "1.2.3.4.5", "1.2.3.4.5", ReasonNone},
		{"a slash is a bad character", "google.com/flights", "", ReasonBadChar},
		{"a space inside is a bad character", "gravity forms.com", "", ReasonBadChar},
		{"a port is a bad character", "a.com:8080", "", ReasonBadChar},
		{"an empty string is empty", " ", "", ReasonEmpty},
		{"a 63-byte label is fine", strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com", ReasonNone},
		{"a 64-byte label is too long", strings.Repeat("a", 64) + ".com", "", ReasonLabelTooLong},
		{"a 253-byte name is fine", longName(253), longName(253), ReasonNone},
		{"a 254-byte name is too long", longName(254), "", ReasonNameTooLong},
		{"Unicode becomes punycode", "Bücher.example", "xn--bcher-kva.example", ReasonNone},
		{"an ideographic full stop separates labels", "例え。テスト", "xn--r8jz45g.xn--zckzah", ReasonNone},
		{"Arabic becomes punycode", "مثال.إختبار", "xn--mgbh0fb.xn--kgbechtv", ReasonNone},
		{"invalid UTF-8 is rejected", "a\xff.com", "", ReasonIDN},
		{"punycode is kept", "www.xn--d1acpjx3f.xn--p1ai", "www.xn--d1acpjx3f.xn--p1ai", ReasonNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, r := Normalize(c.in)
			if got != c.want || r != c.reason {
				t.Errorf("Normalize(%q) = %q, %s; want %q, %s", c.in, got, r, c.want, c.reason)
			}
			if r == ReasonNone {
				if again, r2 := Normalize(got); again != got || r2 != ReasonNone {
					t.Errorf("Normalize is not idempotent: %q -> %q, %s", got, again, r2)
				}
			}
		})
	}
}

// longName returns a valid name of exactly n bytes: "x.x.x...x" or "...xx".
func longName(n int) string {
	if n%2 == 1 {
		return strings.Repeat("x.", n/2) + "x"
	}
	return strings.Repeat("x.", n/2-1) + "xx"
}

func TestNormalizeAllocatesNothingForNormalNames(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, r := Normalize("tracker.ads.example.co.uk"); r != ReasonNone {
			t.Fatal(r)
		}
	})
	if allocs != 0 {
		t.Errorf("Normalize allocated %.0f times for a normal name", allocs)
	}
}
