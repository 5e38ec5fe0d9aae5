package appliance

import (
	"net/netip"
	"testing"
	"time"

	"github.com/amane-dns/amane/policy"
)

// TestDevicesListTheClientsAnswered: a phone known to no lease or
// neighbour entry, but answered through the router with its MAC, is on the
// devices page for a parent to name; one named by configuration is not
// listed twice.
func TestDevicesListTheClientsAnswered(t *testing.T) {
	a := newAppliance(t, testConfig(t, "[[profile]]\nname = \"kid\"\npreset = \"9-12\"\n[[device]]\nname = \"tablet\"\nip = \"192.168.1.23\"\nprofile = \"kid\"\n"))
	now := time.Now()
	router := netip.MustParseAddr("192.168.1.1")
	a.clients.see(policy.Client{Addr: router, HasMAC: true, MAC: [6]byte{0x02, 0, 0, 0, 0, 0x42}}, policy.Identity{Profile: "default"}, now)
	a.clients.see(policy.Client{Addr: netip.MustParseAddr("192.168.1.77")}, policy.Identity{Profile: "default"}, now)
	a.clients.see(policy.Client{Addr: netip.MustParseAddr("192.168.1.77")}, policy.Identity{Profile: "default"}, now.Add(time.Minute))
	found := map[string]Device{}
	for _, d := range a.Devices() {
		key := d.MAC
		if key == "" {
			key = d.Addr
		}
		if _, dup := found[key]; dup {
			t.Errorf("%s listed twice", key)
		}
		found[key] = d
	}
	if d, ok := found["02:00:00:00:00:42"]; !ok || d.Name != "" || d.Profile != "default" {
		t.Errorf("the phone behind the router: %+v, %v", d, ok)
	}
	if _, ok := found["192.168.1.77"]; !ok {
		t.Errorf("the client answered by address is not listed: %+v", found)
	}
}
