package blocklist

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// lineCase is one line (or a few) of a list, what it must yield, and the
// reason counted for what it must not.
type lineCase struct {
	name   string
	format Format
	text   string
	want   []string // "kind scope name", in order
	skip   Reason   // ReasonNone when nothing is skipped
}

func (c lineCase) run(t *testing.T) {
	rules, st := parseText(t, c.format, c.text)
	var have []string
	for _, r := range rules {
		have = append(have, r.Kind.String()+" "+r.Scope.String()+" "+r.Name)
	}
	if !slices.Equal(have, c.want) {
		t.Errorf("rules = %q, want %q", have, c.want)
	}
	if c.skip != ReasonNone && st.Skipped(c.skip) == 0 {
		t.Errorf("no skip counted for %s; skips: %+v", c.skip, st.Skips())
	}
	if c.skip == ReasonNone && st.SkippedTotal() != 0 {
		t.Errorf("unexpected skips: %+v", st.Skips())
	}
}

// The tricky lines are verbatim from shared/data/README.md.
func TestHostsLines(t *testing.T) {
	for _, c := range []lineCase{
		{"a zoned IPv6 preamble entry is a local name", FormatHosts, "fe80::1%lo0 localhost", nil, ReasonLocal},
		{"the null address as a name is an IP, not a block", FormatHosts, "0.0.0.0 0.0.0.0", nil, ReasonIP},
		{"an inline comment after the name is dropped", FormatHosts,
			"0.0.0.0 docs.pipenv.org # https://github.com/StevenBlack/hosts/issues/1635",
			[]string{"block subtree docs.pipenv.org"}, ReasonNone},
		{"a commented-out entry stays unblocked", FormatHosts,
			"#0.0.0.0 auto.search.msn.com  # Microsoft uses this server to redirect", nil, ReasonNone},
		{"any address blocks, 127.0.0.7 included", FormatHosts, "127.0.0.7 p19-sign.tiktokcdn-us.com",
			[]string{"block subtree p19-sign.tiktokcdn-us.com"}, ReasonNone},
		{"a compressed line yields its nine names", FormatHosts,
			"0.0.0.0 000nethost.com 000space.com dzorc.000space.com freeanywaresolutions.000space.com picsynth.000space.com sfbikes.000space.com 000webhost.com es.000webhost.com fi.000webhost.com",
			[]string{"block subtree 000nethost.com", "block subtree 000space.com", "block subtree dzorc.000space.com",
				"block subtree freeanywaresolutions.000space.com", "block subtree picsynth.000space.com",
				"block subtree sfbikes.000space.com", "block subtree 000webhost.com", "block subtree es.000webhost.com",
				"block subtree fi.000webhost.com"}, ReasonNone},
		{"a machine name on a CRLF line is local", FormatHosts, "127.0.1.1 codespaces-a0de1a\r\n", nil, ReasonLocal},
		{"a CRLF line loses its CR", FormatHosts, "0.0.0.0 a.example.com\r\n0.0.0.0 b.example.com\r\n",
			[]string{"block subtree a.example.com", "block subtree b.example.com"}, ReasonNone},
		{"the broadcast preamble is local", FormatHosts, "255.255.255.255 broadcasthost", nil, ReasonLocal},
		{"ip6 preamble names are local", FormatHosts, "ff02::1 ip6-allnodes\n::1 ip6-localhost ip6-loopback", nil, ReasonLocal},
		{"localhost.localdomain is local", FormatHosts, "127.0.0.1 localhost.localdomain", nil, ReasonLocal},
		{"names containing localhost are ordinary", FormatHosts, "0.0.0.0 localhost.tbllad.com",
			[]string{"block subtree localhost.tbllad.com"}, ReasonNone},
		{"upper case is folded", FormatHosts, "0.0.0.0 eypgovH0oe3pFm.xyz", []string{"block subtree eypgovh0oe3pfm.xyz"}, ReasonNone},
		{"underscores are kept", FormatHosts, "0.0.0.0 philadelphia_cbslocal.us.intellitxt.com",
			[]string{"block subtree philadelphia_cbslocal.us.intellitxt.com"}, ReasonNone},
		{"tabs separate fields", FormatHosts, "0.0.0.0\tads.example.com\t# tab\tcomment",
			[]string{"block subtree ads.example.com"}, ReasonNone},
		{"a line without an address is not a hosts line", FormatHosts, "ads.example.com", nil, ReasonSyntax},
	} {
		t.Run(c.name, c.run)
	}
}

func TestAdblockLines(t *testing.T) {
	for _, c := range []lineCase{
		{"important is kept as a block with a note", FormatAdblock, "||deloton.com$important",
			[]string{"block subtree deloton.com"}, ReasonNone},
		{"an exception with an end anchor allows the subtree", FormatAdblock, "@@||cmp.osano.com^|",
			[]string{"exception subtree cmp.osano.com"}, ReasonNone},
		{"a glob inside a name is skipped", FormatAdblock, "||ad-host-backup-*.aliyuncs.com^", nil, ReasonGlob},
		{"a regex is skipped", FormatAdblock, `/^139\.45\.197\.2(4[0-9]|5[0-4]):/`, nil, ReasonRegex},
		{"a host prefix ending in a dot is a pattern", FormatAdblock, "||fxhpaoxqyajvmdg.", nil, ReasonPattern},
		{"a trailing dot before the separator is a FQDN", FormatAdblock, "||ejghgjhhgadcdchjaada.ru.^",
			[]string{"block subtree ejghgjhhgadcdchjaada.ru"}, ReasonNone},
		{"a leading dot blocks strictly below", FormatAdblock, ".bbelements.com^",
			[]string{"block subdomains bbelements.com"}, ReasonNone},
		{"a scheme anchor is the exact host", FormatAdblock, "://o0e.ru^", []string{"block exact o0e.ru"}, ReasonNone},
		{"badfilter is skipped", FormatAdblock, "||tn.porngo.xxx^$badfilter", nil, ReasonBadfilter},
		{"a dnsrewrite is a rewrite, not a block", FormatAdblock,
			"|www.google.com^$dnsrewrite=NOERROR;CNAME;forcesafesearch.google.com", nil, ReasonRewrite},
		{"the exact-host anchor is exact", FormatAdblock, "|www.example.com^", []string{"block exact www.example.com"}, ReasonNone},
		{"a missing separator still names the host", FormatAdblock, "||direct-specific.com",
			[]string{"block subtree direct-specific.com"}, ReasonNone},
		{"a bare TLD rule blocks the TLD", FormatAdblock, "||actor^", []string{"block subtree actor"}, ReasonNone},
		{"an IP rule is skipped", FormatAdblock, "||103.179.189.35^\n|167.206.10.148^", nil, ReasonIP},
		{"a star-dot prefix blocks strictly below", FormatAdblock, "||*.exaapi.com^",
			[]string{"block subdomains exaapi.com"}, ReasonNone},
		{"a wildcard exception is skipped", FormatAdblock, "@@||*-go.kelkoogroup.net^", nil, ReasonGlob},
		{"a URL fragment is not a TLD", FormatAdblock, "-ad123-\n-ads1.", nil, ReasonPattern},
		{"a path rule is a URL rule", FormatAdblock, "||example.com/ads/banner.js", nil, ReasonURL},
		{"a client-restricted rule is skipped", FormatAdblock, "||example.com^$client=192.168.1.5", nil, ReasonModifier},
		{"a cosmetic rule is skipped", FormatAdblock, "example.com##.banner", nil, ReasonCosmetic},
		{"comments and the header are not rules", FormatAdblock, "[Adblock Plus]\n! Title: x\n# from hosts\n", nil, ReasonNone},
		{"upper case is folded", FormatAdblock, "||Free-4paid.com^", []string{"block subtree free-4paid.com"}, ReasonNone},
		{"punycode passes through", FormatAdblock, "|www.xn--d1acpjx3f.xn--p1ai^",
			[]string{"block exact www.xn--d1acpjx3f.xn--p1ai"}, ReasonNone},
	} {
		t.Run(c.name, c.run)
	}
}

func TestDomainsAndWildcardLines(t *testing.T) {
	for _, c := range []lineCase{
		{"a plain name blocks its subtree", FormatDomains, "0.0-02.net", []string{"block subtree 0.0-02.net"}, ReasonNone},
		{"a UT1 IP address is skipped", FormatDomains, "146.145.203.221", nil, ReasonIP},
		{"a UT1 leading dot is an empty label", FormatDomains, ".afshin.ir", nil, ReasonEmptyLabel},
		{"a hyphen at a label end is accepted", FormatDomains, "w-w-i-s-.com", []string{"block subtree w-w-i-s-.com"}, ReasonNone},
		{"a UT1 urls line is skipped", FormatDomains, "1001cocktails.com/javanoid", nil, ReasonURL},
		{"a name with a space is skipped", FormatDomains, "gravity forms.com", nil, ReasonBadChar},
		{"a wildcard blocks strictly below", FormatWildcard, "*.umami-w4w44gcsokw84wg4w8ow0sgg.05052000.xyz",
			[]string{"block subdomains umami-w4w44gcsokw84wg4w8ow0sgg.05052000.xyz"}, ReasonNone},
		{"a Unicode name becomes punycode", FormatDomains, "bücher.example", []string{"block subtree xn--bcher-kva.example"}, ReasonNone},
		{"a missing final newline loses nothing", FormatDomains, "a.com\nb.com", []string{"block subtree a.com", "block subtree b.com"}, ReasonNone},
		{"a byte order mark is not part of the first name", FormatDomains, "\ufeffa.com\n", []string{"block subtree a.com"}, ReasonNone},
		{"a hash comment is dropped", FormatDomains, "# Title\nads.com # tracker", []string{"block subtree ads.com"}, ReasonNone},
	} {
		t.Run(c.name, c.run)
	}
}

func TestDnsmasqAndUnboundLines(t *testing.T) {
	for _, c := range []lineCase{
		{"local= blocks", FormatDnsmasq, "local=/0.0-02.net/", []string{"block subtree 0.0-02.net"}, ReasonNone},
		{"address= with # blocks", FormatDnsmasq, "address=/10xcryptotrade.uk/#", []string{"block subtree 10xcryptotrade.uk"}, ReasonNone},
		{"a name that starts like an address is a name", FormatDnsmasq, "address=/0.0.0.0.beeglivesex.com/#",
			[]string{"block subtree 0.0.0.0.beeglivesex.com"}, ReasonNone},
		{"a bare server= means local only, a block", FormatDnsmasq, "server=/media-d.global.abb/",
			[]string{"block subtree media-d.global.abb"}, ReasonNone},
		{"server= with an upstream forwards", FormatDnsmasq, "server=/corp.example/10.0.0.1", nil, ReasonForward},
		{"an address to a sinkhole IP blocks", FormatDnsmasq, "address=/a.com/b.com/0.0.0.0",
			[]string{"block subtree a.com", "block subtree b.com"}, ReasonNone},
		{"bogus-nxdomain is not a name rule", FormatDnsmasq, "bogus-nxdomain=1.2.3.4", nil, ReasonDirective},
		{"unbound always_null blocks", FormatUnbound, "server:\nlocal-zone: \"10xcryptotrade.uk.\" always_null",
			[]string{"block subtree 10xcryptotrade.uk"}, ReasonNone},
		{"unbound transparent is an exception", FormatUnbound, "local-zone: \"ok.example.\" transparent",
			[]string{"exception subtree ok.example"}, ReasonNone},
		{"unbound local-data to a null address blocks the name", FormatUnbound, "local-data: \"ads.example. A 0.0.0.0\"",
			[]string{"block exact ads.example"}, ReasonNone},
		{"unbound local-data to a real address is a rewrite", FormatUnbound, "local-data: \"www.example. 60 IN A 1.2.3.4\"", nil, ReasonRewrite},
	} {
		t.Run(c.name, c.run)
	}
}

func TestRPZLines(t *testing.T) {
	header := "$TTL 3600\n@ SOA localhost. root.localhost. 1786780320 43200 3600 259200 3600\n  NS  localhost.\n;\n"
	for _, c := range []lineCase{
		{"a name with CNAME dot blocks it exactly", FormatRPZ, header + "smetrics.abbott CNAME .",
			[]string{"block exact smetrics.abbott"}, ReasonNone},
		{"a star owner blocks strictly below", FormatRPZ, header + "*.smetrics.abbott CNAME .",
			[]string{"block subdomains smetrics.abbott"}, ReasonNone},
		{"an answer-IP trigger is never a name", FormatRPZ, header + "32.165.164.0.1.rpz-ip CNAME .", nil, ReasonRPZTrigger},
		{"an NS-name trigger is skipped", FormatRPZ, "ns.evil.example.rpz-nsdname CNAME .", nil, ReasonRPZTrigger},
		{"a client-IP trigger is skipped", FormatRPZ, "24.0.2.0.192.rpz-client-ip CNAME rpz-passthru.", nil, ReasonRPZTrigger},
		{"passthru is an exception", FormatRPZ, "ok.example CNAME rpz-passthru.", []string{"exception exact ok.example"}, ReasonNone},
		{"NODATA is mapped to a block", FormatRPZ, "nodata.example CNAME *.", []string{"block exact nodata.example"}, ReasonNone},
		{"drop is mapped to a block", FormatRPZ, "drop.example 300 IN CNAME rpz-drop.", []string{"block exact drop.example"}, ReasonNone},
		{"tcp-only has no filter meaning", FormatRPZ, "tc.example CNAME rpz-tcp-only.", nil, ReasonRPZAction},
		{"a CNAME to a name is a rewrite", FormatRPZ, "www.google.com CNAME forcesafesearch.google.com.", nil, ReasonRewrite},
		{"local data to the null address blocks", FormatRPZ, "ads.example A 0.0.0.0", []string{"block exact ads.example"}, ReasonNone},
		{"an absolute owner under ORIGIN is made relative", FormatRPZ,
			"$ORIGIN rpz.local.\nevil.example.rpz.local. CNAME .\nbad CNAME .",
			[]string{"block exact evil.example", "block exact bad"}, ReasonNone},
		{"an absolute owner outside the zone is skipped", FormatRPZ, "$ORIGIN rpz.local.\nevil.example. CNAME .", nil, ReasonOutOfZone},
		{"a multi-line SOA is zone structure", FormatRPZ,
			"@ IN SOA ns. host. (\n 1 ; serial\n 3600 )\nx.example CNAME .", []string{"block exact x.example"}, ReasonNone},
	} {
		t.Run(c.name, c.run)
	}
}

func TestHashedLines(t *testing.T) {
	d, _ := HashName("Evil.Example.")
	hexd := strings.ToUpper(string(hexBytes(d[:])))
	rules, st := parseText(t, FormatHashed, "# hashed\n"+hexd+"\nnot-a-digest\n")
	if len(rules) != 1 || st.Skipped(ReasonBadHash) != 1 {
		t.Fatalf("rules %v, skips %+v", rules, st.Skips())
	}
}

func hexBytes(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

func TestOverlongLinesAreSkippedNotFatal(t *testing.T) {
	long := strings.Repeat("a", readBufferSize+10)
	mid := strings.Repeat("b", MaxLineLength+1)
	rules, st := parseText(t, FormatDomains, "a.com\n"+long+"\n"+mid+"\nb.com\n")
	if len(rules) != 2 || st.Skipped(ReasonLineTooLong) != 2 || st.Lines != 4 {
		t.Fatalf("rules %v, lines %d, skips %+v", rules, st.Lines, st.Skips())
	}
	if rules[1].Line != 4 {
		t.Errorf("line numbers drifted: b.com on line %d, want 4", rules[1].Line)
	}
}

func TestDetectFormat(t *testing.T) {
	for _, c := range []struct {
		name string
		head string
		want Format
	}{
		{"an Adblock header decides", "[Adblock Plus]\n! Title\n||a.com^\n", FormatAdblock},
		{"AdGuard rules without a header", "! Title\n||a.com^\n||b.com^\n", FormatAdblock},
		{"a hosts file with a preamble", "# x\n127.0.0.1 localhost\n0.0.0.0 a.com\n", FormatHosts},
		{"a compressed hosts file", "0.0.0.0 a.com b.com c.com\n", FormatHosts},
		{"an RPZ zone starts with TTL", "$TTL 3600\n@ SOA localhost. root.localhost. 1 2 3 4 5\n", FormatRPZ},
		{"RPZ records without a header", "a.com CNAME .\n*.a.com CNAME .\n", FormatRPZ},
		{"unbound", "server:\nlocal-zone: \"a.com.\" always_null\n", FormatUnbound},
		{"dnsmasq", "# c\nlocal=/a.com/\n", FormatDnsmasq},
		{"a wildcard list", "# c\n*.a.com\n*.b.com\n", FormatWildcard},
		{"a UT1 list starting with IPs", "209.62.112.114\n1.2.3.4\na.com\n", FormatDomains},
		{"a hashed list", strings.Repeat("ab", 32) + "\n", FormatHashed},
		{"an empty file", "", FormatDomains},
		{"gzip data is a UT1 archive", "\x1f\x8b\x08\x00", FormatUT1Tar},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectFormat([]byte(c.head)); got != c.want {
				t.Errorf("DetectFormat = %s, want %s", got, c.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"hosts", FormatHosts, true}, {" RPZ ", FormatRPZ, true}, {"adguard", FormatAdblock, true},
		{"", FormatAuto, true}, {"wildcard", FormatWildcard, true}, {"hashed", FormatHashed, true},
		{"ut1-tar", FormatUT1Tar, true}, {"ut1", FormatUT1Tar, true}, {"tar.gz", FormatUT1Tar, true},
		{"pihole", FormatAuto, false},
	} {
		t.Run(fmt.Sprintf("%q is %s", c.in, c.want), func(t *testing.T) {
			f, err := ParseFormat(c.in)
			if f != c.want || (err == nil) != c.ok {
				t.Errorf("ParseFormat(%q) = %s, %v", c.in, f, err)
			}
		})
	}
}
