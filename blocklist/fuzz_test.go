package blocklist

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// refSet is the slow reference the fuzzers compare the Set with: a map from
// name (or digest) to rules, and a lookup that restates DESIGN.md's rules
// over strings without fingerprints, tables or merging.
type refSet struct {
	names  map[string][]refRule
	hashed map[[32]byte][]refRule
}

type refRule struct {
	kind  Kind
	scope Scope
	cat   Category
	ref   RuleRef
}

func newRefSet() *refSet {
	return &refSet{names: map[string][]refRule{}, hashed: map[[32]byte][]refRule{}}
}

func (r *refSet) add(list int, cat Category, rule Rule) {
	rr := refRule{rule.Kind, rule.Scope, cat, RuleRef{List: list, Line: rule.Line}}
	if rule.Hashed {
		r.hashed[rule.Digest] = append(r.hashed[rule.Digest], rr)
		return
	}
	r.names[string(rule.Name)] = append(r.names[string(rule.Name)], rr)
}

// lookup walks the suffixes from the TLD to the name; refs are the rules
// named at the suffix that decided, any of which the Set may cite.
func (r *refSet) lookup(name string) (m Match, refs []RuleRef) {
	name = strings.Map(asciiLower, strings.TrimSuffix(name, "."))
	labels := strings.Split(name, ".")
	for i := len(labels) - 1; i >= 0; i-- {
		suffix := strings.Join(labels[i:], ".")
		if len(suffix) > MaxNameLength || suffix == "" && i == 0 {
			break
		}
		self := i == 0 && len(name) <= MaxNameLength
		rules := append(r.names[suffix], r.hashed[sha256.Sum256([]byte(suffix))]...)
		var cats Categories
		allow, any := false, false
		for _, rr := range rules {
			if self && !rr.scope.self() || !self && !rr.scope.below() {
				continue
			}
			any = true
			if rr.kind == Exception {
				allow = true
			} else {
				cats = cats.Add(rr.cat)
			}
		}
		if !any {
			continue
		}
		refs = refs[:0]
		for _, rr := range rules {
			refs = append(refs, rr.ref)
		}
		if allow {
			m.Allowed |= m.Categories | cats
			m.Categories, m.Exception = 0, true
		} else {
			m.Categories |= cats
			m.Exception = false
		}
	}
	return m, refs
}

// asciiLower folds ASCII only, as DNS does (RFC 4343): strings.ToLower
// would turn the Kelvin sign into a 'k'.
func asciiLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// fuzzParser parses the input in format into a Set and a refSet (odd lines
// in an "ads" list, even lines in "malware", so categories mix), checks that
// every emitted name is normal, and compares Lookup with the reference on
// every name, its child and parent, and every field of the input.
func fuzzParser(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b := NewBuilder()
		lists := [2]int{b.AddList("ads", Ads), b.AddList("malware", Malware)}
		cats := [2]Category{Ads, Malware}
		ref := newRefSet()
		var queries []string
		st, err := Parse(strings.NewReader(text), format, func(r Rule) {
			if !r.Hashed {
				n := string(r.Name)
				if again, reason := Normalize(n); reason != ReasonNone || again != n {
					t.Fatalf("line %d: emitted %q, which normalizes to %q (%s)", r.Line, n, again, reason)
				}
				queries = append(queries, n, "zz."+n, n[strings.IndexByte(n, '.')+1:])
			}
			b.Add(lists[r.Line%2], r)
			ref.add(lists[r.Line%2], cats[r.Line%2], r)
		})
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if st.Lines < strings.Count(text, "\n") {
			t.Fatalf("counted %d lines in %d newlines", st.Lines, strings.Count(text, "\n"))
		}
		s, err := b.Build()
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		compareWithRef(t, s, ref, append(queries, strings.Fields(text)...))
	})
}

// compareWithRef checks s against ref for every query.
func compareWithRef(t *testing.T, s *Set, ref *refSet, queries []string) {
	for _, q := range queries {
		got := s.Lookup(q)
		want, refs := ref.lookup(q)
		if got.Categories != want.Categories || got.Allowed != want.Allowed || got.Exception != want.Exception {
			t.Fatalf("Lookup(%q) = %+v, reference %+v", q, got, want)
		}
		if !got.Matched() {
			continue
		}
		// Explain gives the line Lookup leaves out, and otherwise agrees.
		ex := s.Explain(q).Match
		if ex.Categories != got.Categories || ex.Allowed != got.Allowed || ex.Exception != got.Exception || ex.Rule.List != got.Rule.List {
			t.Fatalf("Explain(%q).Match = %+v, Lookup %+v", q, ex, got)
		}
		cited := false
		for _, r := range refs {
			cited = cited || r == ex.Rule
		}
		if !cited {
			t.Fatalf("Explain(%q) cites %+v, not a rule of the deciding name %+v", q, ex.Rule, refs)
		}
	}
}

func FuzzHosts(f *testing.F) {
	fuzzParser(f, FormatHosts, "127.0.0.1 localhost\n0.0.0.0 a.com b.a.com # c\n", "fe80::1%lo0 localhost\r\n0.0.0.0 0.0.0.0",
		"0.0.0.0 A.Com. x.y.z\n::1 ip6-localhost")
}

func FuzzDomains(f *testing.F) {
	fuzzParser(f, FormatDomains, "a.com\nb.a.com\n146.145.203.221\n.afshin.ir\nbücher.de\n", "*.a.com\na.com\n")
}

func FuzzAdblock(f *testing.F) {
	fuzzParser(f, FormatAdblock, "[Adblock Plus]\n||a.com^\n@@||b.a.com^\n||c.b.a.com^$important\n|x.a.com^\n.y.com^",
		"||ad-*.com^\n/re/\n://o0e.ru^\n||fx.\n@@||cmp.osano.com^|\n||tn.x^$badfilter\nexample.com##.ad")
}

func FuzzDnsmasq(f *testing.F) {
	fuzzParser(f, FormatDnsmasq, "local=/a.com/\naddress=/b.com/c.com/#\nserver=/d.com/\nserver=/e.com/1.1.1.1\naddress=/*.f.com/::")
}

func FuzzUnbound(f *testing.F) {
	fuzzParser(f, FormatUnbound, "server:\nlocal-zone: \"a.com.\" always_null\nlocal-zone: b.a.com. transparent\nlocal-data: \"c.com. A 0.0.0.0\"")
}

func FuzzRPZ(f *testing.F) {
	fuzzParser(f, FormatRPZ, "$TTL 3600\n@ SOA localhost. root.localhost. 1 2 3 4 5\n  NS localhost.\na.com CNAME .\n*.a.com CNAME .\nok.a.com CNAME rpz-passthru.\n32.1.0.0.10.rpz-ip CNAME .",
		"$ORIGIN rpz.\nx.com.rpz. CNAME *.\n$ORIGIN com.rpz.\ny CNAME rpz-drop.\n@ IN SOA a. b. (\n1 2\n3 )\n")
}

func FuzzHashed(f *testing.F) {
	d := sha256.Sum256([]byte("a.com"))
	fuzzParser(f, FormatHashed, string(hexBytes(d[:]))+"\n# c\nzz\n")
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"A.com.", "bücher.de", "..", "1.2.3.4", "a_b.c-d", "例え。テスト", "xn--d1acpjx3f.xn--p1ai"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, r := Normalize(in)
		if r != ReasonNone {
			if n != "" {
				t.Fatalf("Normalize(%q) = %q with reason %s", in, n, r)
			}
			return
		}
		if again, r2 := Normalize(n); again != n || r2 != ReasonNone {
			t.Fatalf("Normalize(%q) = %q, which normalizes to %q (%s)", in, n, again, r2)
		}
	})
}
