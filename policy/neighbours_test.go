package policy

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestLeasesAndNeighbours(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dnsmasq := write("dnsmasq.leases", "1795000000 a4:83:e7:12:34:56 192.168.1.23 yasmine-tablet 01:a4:83:e7:12:34:56\n"+
		"1795000000 3c:22:fb:10:20:30 192.168.1.24 * *\n")
	isc := write("dhcpd.leases", "# The format of this file is documented in dhcpd.leases(5).\nlease 10.10.3.7 {\n  starts 1 2026/11/23 08:00:00;\n"+
		"  hardware ethernet f0:18:98:aa:bb:cc;\n  client-hostname \"lab3-pc7\";\n}\n")
	odhcpd := write("odhcpd", "# br-lan 0001000128f5 1 omar-phone 1795000000 3 128 fd00::1234/128\n")
	arp := write("arp", "IP address       HW type     Flags       HW address            Mask     Device\n"+
		"192.168.1.50     0x1         0x2         dc:a6:32:11:22:33     *        br-lan\n"+
		"192.168.1.51     0x1         0x0         00:00:00:00:00:00     *        br-lan\n")
	n := NewNeighbours([]string{dnsmasq, isc, odhcpd, filepath.Join(dir, "missing")}, arp)
	want := map[string]string{
		"192.168.1.23": "a4:83:e7:12:34:56 yasmine-tablet",
		"192.168.1.24": "3c:22:fb:10:20:30 ",
		"10.10.3.7":    "f0:18:98:aa:bb:cc lab3-pc7",
		"192.168.1.50": "dc:a6:32:11:22:33 ",
		"fd00::1234":   " omar-phone",
	}
	got := map[string]string{}
	for _, nb := range n.List() {
		mac := ""
		if nb.HasMAC {
			mac = macString(nb.MAC)
		}
		got[nb.Addr.String()] = mac + " " + nb.Hostname
	}
	for addr, w := range want {
		if got[addr] != w {
			t.Errorf("%s: got %q, want %q", addr, got[addr], w)
		}
	}
	if _, ok := got["192.168.1.51"]; ok {
		t.Error("an incomplete neighbour entry was taken")
	}

	t.Run("a device named by MAC is found by its leased address", func(t *testing.T) {
		s, err := NewSnapshot(Config{
			Filter:   DefaultFilterConfig(),
			Profiles: []ProfileConfig{{Name: "child", Preset: "9-12"}},
			Devices:  []DeviceConfig{{Name: "Yasmine's tablet", MAC: "a4:83:e7:12:34:56", Profile: "child"}},
		}, nil, 0, Contacts{})
		if err != nil {
			t.Fatal(err)
		}
		s.WithNeighbours(n)
		if p := s.ProfileName(Client{Addr: netip.MustParseAddr("192.168.1.23")}); p != "child" {
			t.Fatalf("profile %q", p)
		}
		var unnamed int
		for _, d := range s.Devices() {
			if d.Name == "" {
				unnamed++
			}
		}
		if unnamed != 4 {
			t.Fatalf("%d unnamed devices listed, want 4", unnamed)
		}
	})
}

func macString(m [6]byte) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}
