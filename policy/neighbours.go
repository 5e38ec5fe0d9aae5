package policy

import (
	"bufio"
	"context"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/amane-dns/amane/internal/watch"
)

// Neighbour is a device the network knows: its address, MAC and the host
// name it gave the DHCP server.
type Neighbour struct {
	Addr     netip.Addr
	MAC      [6]byte
	HasMAC   bool
	Hostname string
}

// Neighbours is the table of who is who on the LAN, read from DHCP leases
// files and the kernel's neighbour table. It is replaced whole when a
// source changes, so identification reads it with one atomic load.
type Neighbours struct {
	leases []string
	arp    string                                   // "" to leave the neighbour table alone
	table  atomic.Pointer[map[netip.Addr]Neighbour] // never nil after NewNeighbours
}

// NewNeighbours reads the leases files and, if arp is not "", the kernel's
// neighbour table at that path (/proc/net/arp on Linux).
func NewNeighbours(leases []string, arp string) *Neighbours {
	n := &Neighbours{leases: leases, arp: arp}
	n.Refresh()
	return n
}

// Refresh rereads every source; a source that cannot be read adds nothing
// and takes nothing away from the others.
func (n *Neighbours) Refresh() {
	t := map[netip.Addr]Neighbour{}
	if n.arp != "" {
		readFile(n.arp, func(r io.Reader) { parseARP(r, t) })
	}
	for _, path := range n.leases {
		readFile(path, func(r io.Reader) { parseLeases(r, t) })
	}
	n.table.Store(&t)
}

func readFile(path string, parse func(io.Reader)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	parse(f)
}

// Sources returns the files the table is read from, for a watch.
func (n *Neighbours) Sources() []string { return n.leases }

func (n *Neighbours) lookup(a netip.Addr) (Neighbour, bool) {
	if n == nil {
		return Neighbour{}, false
	}
	nb, ok := (*n.table.Load())[a]
	return nb, ok
}

// List returns the table, by address.
func (n *Neighbours) List() []Neighbour {
	var out []Neighbour
	for _, nb := range *n.table.Load() {
		out = append(out, nb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// parseARP reads /proc/net/arp: "IP HWtype Flags HWaddress Mask Device".
// Incomplete entries (flags 0x0) say nothing about who has the address.
func parseARP(r io.Reader, t map[netip.Addr]Neighbour) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[2] == "0x0" {
			continue
		}
		a, err1 := netip.ParseAddr(f[0])
		mac, err2 := parseMAC(f[3])
		if err1 == nil && err2 == nil {
			t[a] = Neighbour{Addr: a, MAC: mac, HasMAC: true, Hostname: t[a].Hostname}
		}
	}
}

// parseLeases reads a dnsmasq leases file ("expiry MAC IP hostname id"),
// an ISC dhcpd one ("lease IP { hardware ethernet MAC; client-hostname
// "x"; }") or odhcpd's ("# iface duid iaid hostname expiry id len addr...",
// which carries no MAC: it names IPv6 addresses). The format is told line
// by line, so one function reads all three.
func parseLeases(r io.Reader, t map[netip.Addr]Neighbour) {
	sc := bufio.NewScanner(r)
	var isc *Neighbour // the ISC lease block being read
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(strings.TrimSuffix(line, ";"))
		switch {
		case len(f) >= 3 && f[0] == "lease" && f[len(f)-1] == "{":
			if a, err := netip.ParseAddr(f[1]); err == nil {
				isc = &Neighbour{Addr: a}
			}
		case isc != nil && len(f) == 3 && f[0] == "hardware" && f[1] == "ethernet":
			isc.MAC, _ = parseMAC(f[2])
			isc.HasMAC = true
		case isc != nil && len(f) == 2 && f[0] == "client-hostname":
			isc.Hostname = strings.Trim(f[1], `"`)
		case isc != nil && line == "}":
			t[isc.Addr] = *isc
			isc = nil
		case len(f) >= 9 && f[0] == "#": // odhcpd
			for _, addr := range f[8:] {
				if p, err := netip.ParsePrefix(addr); err == nil && f[4] != "-" {
					t[p.Addr()] = Neighbour{Addr: p.Addr(), Hostname: f[4]}
				}
			}
		case len(f) >= 4 && isc == nil: // dnsmasq
			mac, err1 := parseMAC(f[1])
			a, err2 := netip.ParseAddr(f[2])
			if err1 == nil && err2 == nil {
				host := f[3]
				if host == "*" {
					host = ""
				}
				t[a] = Neighbour{Addr: a, MAC: mac, HasMAC: true, Hostname: host}
			}
		}
	}
}

// neighbourRefresh is how often the kernel's neighbour table is reread:
// it has no file events, and a device that joined the Wi-Fi a minute ago
// should have its profile.
const neighbourRefresh = 30 * time.Second

// Run keeps the table current until ctx ends: the leases files are reread
// when they change, the neighbour table every 30 seconds.
func (n *Neighbours) Run(ctx context.Context) {
	if len(n.leases) > 0 {
		if w, err := watch.Open(n.leases); err == nil {
			go w.Run(ctx, time.Second, n.Refresh)
		}
	}
	if n.arp == "" {
		return
	}
	t := time.NewTicker(neighbourRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.Refresh()
		}
	}
}
