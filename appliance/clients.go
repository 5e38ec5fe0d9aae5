package appliance

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/amane-dns/amane/policy"
)

// maxClients bounds the clients remembered: a flood of spoofed addresses
// costs at most this many small entries, the oldest forgotten first.
const maxClients = 512

// clients are the devices the resolver answered lately, as the activity
// writer saw them (off the hot path): the devices page lists those that
// no lease or neighbour entry names, such as a phone behind the router
// known only by the MAC the router adds. Kept in memory only.
type clients struct {
	mu   sync.Mutex // guards m
	m    map[clientKey]*seenClient
	size int
}

// clientKey is a client by its MAC when a forwarder gave one, else by its
// address: a comparable value, so that seeing a client already known
// (nearly every answer) allocates nothing.
type clientKey struct {
	addr   netip.Addr
	mac    [6]byte
	hasMAC bool
}

type seenClient struct {
	addr    netip.Addr
	mac     string
	device  string
	profile string
	last    time.Time
}

func (c *clients) see(cl policy.Client, id policy.Identity, at time.Time) {
	key := clientKey{addr: cl.Addr}
	if cl.HasMAC {
		key = clientKey{mac: cl.MAC, hasMAC: true}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[clientKey]*seenClient{}
	}
	s := c.m[key]
	if s == nil {
		if len(c.m) >= maxClients {
			var oldest *clientKey
			for k, o := range c.m {
				if oldest == nil || o.last.Before(c.m[*oldest].last) {
					oldest = &k
				}
			}
			delete(c.m, *oldest)
		}
		s = &seenClient{}
		if cl.HasMAC {
			s.mac = net.HardwareAddr(cl.MAC[:]).String()
		}
		c.m[key] = s
	}
	s.addr, s.device, s.profile, s.last = cl.Addr, id.Device, id.Profile, at
}

// list returns the clients remembered.
func (c *clients) list() []seenClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]seenClient, 0, len(c.m))
	for _, s := range c.m {
		out = append(out, *s)
	}
	return out
}

// withClients adds to devs the clients answered lately that devs does not
// hold already (by MAC, else by address), with the profile they got.
func (a *Appliance) withClients(devs []Device) []Device {
	known := map[string]bool{}
	for _, d := range devs {
		known[d.Addr] = true
		if d.MAC != "" {
			known[d.MAC] = true
		}
	}
	for _, c := range a.clients.list() {
		if c.mac != "" && known[c.mac] || c.mac == "" && known[c.addr.String()] {
			continue
		}
		devs = append(devs, Device{Addr: c.addr.String(), MAC: c.mac, Name: c.device, Profile: c.profile})
	}
	return devs
}
