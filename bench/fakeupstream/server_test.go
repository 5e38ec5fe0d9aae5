package fakeupstream

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func exchange(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s query for %s: %v", network, name, err)
	}
	return r
}

func TestServerAnswers(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{NXLabel: "nx.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	for _, network := range []string{"udp", "tcp"} {
		t.Run("an A query over "+network+" gets the public hash-derived address with TTL 3600", func(t *testing.T) {
			r := exchange(t, network, srv.Addr(), "WWW.Example.com.", dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("got %v", r)
			}
			a := r.Answer[0].(*dns.A)
			if !a.A.Equal(AddrA("www.example.com.")) || a.Hdr.Ttl != 3600 || a.Hdr.Name != "WWW.Example.com." {
				t.Fatalf("got %v, want %v with TTL 3600 and the asked case", a, AddrA("www.example.com."))
			}
		})
	}
	t.Run("an AAAA query gets an address in 2a00::/12", func(t *testing.T) {
		r := exchange(t, "udp", srv.Addr(), "example.org.", dns.TypeAAAA)
		aaaa := r.Answer[0].(*dns.AAAA)
		if aaaa.AAAA[0] != 0x2a || aaaa.AAAA[1]&0xf0 != 0 {
			t.Fatalf("got %v", aaaa)
		}
	})
	t.Run("a name below the NX zone is NXDOMAIN with its SOA", func(t *testing.T) {
		r := exchange(t, "udp", srv.Addr(), "gone.NX.test.", dns.TypeA)
		if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Name != "nx.test." {
			t.Fatalf("got %v", r)
		}
	})
	t.Run("a name ending like the NX zone but not below it is answered", func(t *testing.T) {
		r := exchange(t, "udp", srv.Addr(), "onx.test.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("got %v", r)
		}
	})
	t.Run("another type is NODATA with an SOA", func(t *testing.T) {
		r := exchange(t, "udp", srv.Addr(), "example.org.", dns.TypeMX)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
			t.Fatalf("got %v", r)
		}
	})
}

func TestAddressesArePublic(t *testing.T) {
	for i := range 20000 {
		name := dns.Fqdn(string(rune('a'+i%26)) + "x" + string(rune('a'+i/26%26)) + ".example" + string(rune('a'+i/676%26)))
		a, _ := netip.AddrFromSlice(AddrA(name))
		aaaa, _ := netip.AddrFromSlice(AddrAAAA(name))
		for _, ip := range []netip.Addr{a, aaaa} {
			if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsGlobalUnicast() {
				t.Fatalf("%s got non-public %v", name, ip)
			}
		}
		if a.As4()[3] == 0 || a.As4()[3] == 255 {
			t.Fatalf("%s got %v", name, a)
		}
	}
}

func TestDelayIsApplied(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{Delay: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	start := time.Now()
	exchange(t, "udp", srv.Addr(), "slow.example.", dns.TypeA)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered after %v, want at least 30ms", d)
	}
}
