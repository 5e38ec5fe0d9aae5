package resolver

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	"github.com/miekg/dns"
)

// testSet compiles lists given as "category: rule rule ..." lines of the
// plain-domain and adblock syntaxes.
func testSet(t *testing.T, lists ...string) *blocklist.Set {
	t.Helper()
	b := blocklist.NewBuilder()
	for _, l := range lists {
		cat, rules, _ := strings.Cut(l, ":")
		c, err := blocklist.ParseCategory(strings.TrimSpace(cat))
		if err != nil {
			t.Fatal(err)
		}
		id := b.AddList(cat, c)
		if _, err := b.Parse(id, strings.NewReader(strings.ReplaceAll(strings.TrimSpace(rules), " ", "\n")), blocklist.FormatAuto); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func filterPolicy(t *testing.T, mode string, addrs []string, set *blocklist.Set, block ...string) *policy.Snapshot {
	t.Helper()
	cfg := policy.FilterConfig{Block: block, BlockMode: mode, BlockTTL: 30 * time.Second}
	for _, a := range addrs {
		cfg.BlockAddress = append(cfg.BlockAddress, netip.MustParseAddr(a))
	}
	p, err := policy.NewSnapshot(policy.Config{Filter: cfg}, set, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBlockedAnswers(t *testing.T) {
	up := startUpstream(t, func(q *dns.Msg, _ bool) [][]byte {
		r := answerA(q, "93.184.215.14", 300)
		if strings.HasPrefix(q.Question[0].Name, "cloaked.") { // an alias of a tracker
			r.Answer = []dns.RR{
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "t.tracker.example."},
				&dns.A{Hdr: dns.RR_Header{Name: "t.tracker.example.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: []byte{93, 184, 215, 15}},
			}
		}
		return [][]byte{pack(t, r)}
	})
	set := testSet(t, "malware: bad.example", "trackers: tracker.example", "abuse: abuse.example", "ads: ads.example")
	h := newTestHandler(t, testConfig(up.addr()), nil)
	ednsQuery := func(name string, qtype uint16) *dns.Msg {
		m := newQuery(name, qtype)
		m.SetEdns0(1232, false)
		return m
	}

	t.Run("nxdomain mode: NXDOMAIN with an SOA for the block TTL and EDE 17 naming the category", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "nxdomain", nil, set, "malware", "trackers"))
		r := ask(t, h, ednsQuery("www.bad.example", dns.TypeA))
		if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].(*dns.SOA).Minttl != 30 {
			t.Fatalf("reply %v", r)
		}
		if code, text := ede(r); code != edeFiltered || text != "blocked: malware" {
			t.Fatalf("EDE %d %q", code, text)
		}
	})
	t.Run("null mode: 0.0.0.0 for A, :: for AAAA", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "null", nil, set, "malware"))
		if r := ask(t, h, newQuery("bad.example", dns.TypeA)); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "0.0.0.0" || r.Answer[0].Header().Ttl != 30 {
			t.Fatalf("reply %v", r)
		}
		if r := ask(t, h, newQuery("bad.example", dns.TypeAAAA)); len(r.Answer) != 1 || r.Answer[0].(*dns.AAAA).AAAA.String() != "::" {
			t.Fatalf("reply %v", r)
		}
		if r := ask(t, h, newQuery("bad.example", dns.TypeMX)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
			t.Fatalf("other types get NODATA: %v", r)
		}
	})
	t.Run("address mode: the block page's address", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "address", []string{"192.168.1.2"}, set, "malware"))
		if r := ask(t, h, newQuery("bad.example", dns.TypeA)); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.168.1.2" {
			t.Fatalf("reply %v", r)
		}
		if r := ask(t, h, newQuery("bad.example", dns.TypeAAAA)); len(r.Answer) != 0 || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("no IPv6 block page: want NODATA, got %v", r)
		}
	})
	t.Run("a category not blocked is answered", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "nxdomain", nil, set, "malware"))
		if r := ask(t, h, newQuery("ads.example", dns.TypeA)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("reply %v", r)
		}
	})
	t.Run("abuse is blocked even when the filter does not list it, with EDE 15", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "nxdomain", nil, set))
		r := ask(t, h, ednsQuery("abuse.example", dns.TypeA))
		if code, _ := ede(r); r.Rcode != dns.RcodeNameError || code != edeBlocked {
			t.Fatalf("reply %v", r)
		}
	})
	t.Run("a CNAME to a blocked name is blocked, from the upstream and from the cache", func(t *testing.T) {
		h.SetPolicy(filterPolicy(t, "nxdomain", nil, set, "trackers"))
		for range 2 {
			if r := ask(t, h, newQuery("cloaked.shop.example", dns.TypeA)); r.Rcode != dns.RcodeNameError {
				t.Fatalf("reply %v", r)
			}
		}
		h.SetPolicy(filterPolicy(t, "nxdomain", nil, set))
		if r := ask(t, h, newQuery("cloaked.shop.example", dns.TypeA)); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
			t.Fatalf("once trackers are allowed the cached answer should be given: %v", r)
		}
	})
}

func TestBypassDefencesAnswerNXDOMAINInEveryMode(t *testing.T) {
	h := newTestHandler(t, testConfig("127.0.0.1:9"), nil)
	cfg := policy.DefaultFilterConfig()
	cfg.BlockMode, cfg.BlockAddress = "null", nil
	p, err := policy.NewSnapshot(policy.Config{Filter: cfg}, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	h.SetPolicy(p)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"use-application-dns.net", dns.TypeA}, {"mask.icloud.com", dns.TypeAAAA}, {"_dns.resolver.arpa", dns.TypeSVCB}} {
		t.Run(q.name, func(t *testing.T) {
			if r := ask(t, h, newQuery(q.name, q.qtype)); r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
				t.Fatalf("reply %v", r)
			}
		})
	}
}

func TestAnExceptionCannotLiftAMandatoryCategory(t *testing.T) {
	set := testSet(t, "abuse: abuse.example", "ads: @@||abuse.example^")
	p := filterPolicy(t, "nxdomain", nil, set)
	if d := p.Decide(policy.Client{}, "www.abuse.example", dns.TypeA, time.Now()); d.Action != policy.Block || !d.Mandatory {
		t.Fatalf("decision %+v", d)
	}
}

func ede(r *dns.Msg) (uint16, string) {
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				return e.InfoCode, e.ExtraText
			}
		}
	}
	return 0, ""
}

func TestBlockedAnswerAllocatesNothing(t *testing.T) {
	h := newTestHandler(t, testConfig("127.0.0.1:9"), nil)
	h.SetPolicy(filterPolicy(t, "nxdomain", nil, testSet(t, "malware: bad.example"), "malware"))
	m := newQuery("www.bad.example", dns.TypeA)
	m.SetEdns0(1232, false)
	pkt := pack(t, m)
	var q query
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(1000, func() {
		q.reset(loopback, false, pkt)
		if _, done := h.prepare(&q, buf[:0], h.now()); !done {
			t.Fatal("a blocked name went upstream")
		}
	})
	if allocs != 0 {
		t.Fatalf("a blocked answer allocates %.1f times; the budget is 0", allocs)
	}
}
