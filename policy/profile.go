package policy

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
)

// profile is a compiled [[profile]] (or the [filter], as "default").
type profile struct {
	name     string
	block    blocklist.Categories
	allow    nameSet
	deny     nameSet
	ageBand  string
	safe     uint16 // search engines forced into their safe mode
	schedule schedule
	budgets  []budget
	services catalog.ServiceSet // apps the profile blocks
	// anyServices are the apps the profile, its schedules or its budgets
	// name: without any, Decide never looks a name up in the catalog.
	anyServices catalog.ServiceSet
	quiet       bool // activity = false: not logged
}

// budget is a compiled [[profile.budget]].
type budget struct {
	cats             blocklist.Categories
	services         catalog.ServiceSet
	weekday, weekend int // minutes a day
}

// nameSet holds names that match themselves and their subdomains. It is
// small (a profile's own allow and deny lists), so a map probed with each
// suffix of the query is enough; the probes slice the name, not copy it,
// and skip a suffix of a length no name in the set has.
type nameSet struct {
	m    map[string]struct{}
	lens lengths
}

func newNameSet(names []string) nameSet {
	var s nameSet
	for _, n := range names {
		if norm, reason := blocklist.Normalize(n); reason == blocklist.ReasonNone {
			if s.m == nil {
				s.m = map[string]struct{}{}
			}
			s.m[norm] = struct{}{}
			s.lens.add(len(norm))
		}
	}
	return s
}

// lengths is the set of the lengths of a set's names. A suffix of a
// query whose length is not in it cannot be in the set, and costs no
// hash: on a cached answer, hashing each suffix of the query for each
// set was most of what the sets cost (issue 14).
type lengths [4]uint64

func (l *lengths) add(n int) {
	if n < 256 {
		l[n>>6] |= 1 << (n & 63)
	}
}

// may reports whether a name of n bytes may be in the set. A name is at
// most 253 bytes; a longer one is always probed.
func (l *lengths) may(n int) bool { return n >= 256 || l[n>>6]&(1<<(n&63)) != 0 }

// flagSet is a nameSet that says what each name is there for: the
// snapshot's own lists (the bypass names, always_allow, the contact
// domains) in one map, so that Decide looks a query's suffixes up once for
// all three, not once each (three walks were a sixth of Decide's CPU on a
// cached answer, issue 14).
type flagSet struct {
	m    map[string]nameFlags
	lens lengths
}

type nameFlags uint8

const (
	flagBypass nameFlags = 1 << iota
	flagAlwaysAllow
	flagContact
)

// add puts names in s with flag f.
func (s flagSet) add(names []string, f nameFlags) flagSet {
	for _, n := range names {
		if norm, reason := blocklist.Normalize(n); reason == blocklist.ReasonNone {
			if s.m == nil {
				s.m = map[string]nameFlags{}
			}
			s.m[norm] |= f
			s.lens.add(len(norm))
		}
	}
	return s
}

// of returns the flags of name and of every domain above it.
func (s *flagSet) of(name string) nameFlags {
	if len(s.m) == 0 {
		return 0
	}
	var f nameFlags
	for {
		if s.lens.may(len(name)) {
			f |= s.m[name]
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return f
		}
		name = name[i+1:]
	}
}

func (s *nameSet) has(name string) bool {
	if len(s.m) == 0 {
		return false
	}
	for {
		if s.lens.may(len(name)) {
			if _, ok := s.m[name]; ok {
				return true
			}
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}

func compileProfile(c ProfileConfig) (*profile, error) {
	p := &profile{name: c.Name, allow: newNameSet(c.Allow), deny: newNameSet(c.Deny), ageBand: c.AgeBand,
		quiet: c.Activity != nil && !*c.Activity}
	base := presets[c.Preset]
	if p.ageBand == "" {
		p.ageBand = base.ageBand
	}
	add, _ := blocklist.ParseCategories(strings.Join(append(append([]string(nil), base.block...), c.Block...), ","))
	remove, _ := blocklist.ParseCategories(strings.Join(c.Unblock, ","))
	p.block = add &^ remove
	if base.ageBand != "" && base.ageBand != "adult" || c.Preset == "school-lab" {
		p.safe = engAll // every child's preset and a school lab force safe search
	}
	if c.SafeSearch != nil {
		p.safe = c.SafeSearch.engines
	}
	for _, b := range c.Budgets {
		cats, _ := blocklist.ParseCategories(strings.Join(b.Categories, ","))
		weekend := b.WeekendMinutes
		if weekend == 0 {
			weekend = b.Minutes
		}
		services, err := catalog.ParseServices(b.Services)
		if err != nil {
			return nil, err
		}
		p.budgets = append(p.budgets, budget{cats: cats, services: services, weekday: b.Minutes, weekend: weekend})
		p.anyServices = p.anyServices.Or(services)
	}
	var err error
	if p.services, err = catalog.ParseServices(c.BlockServices); err != nil {
		return nil, err
	}
	p.anyServices = p.anyServices.Or(p.services)
	if p.schedule, err = compileSchedule(c.Schedules); err != nil {
		return nil, err
	}
	for _, sp := range p.schedule.spans {
		p.anyServices = p.anyServices.Or(sp.services)
	}
	return p, nil
}

// identity maps a client to its profile, in the order of DESIGN.md: the
// MAC a trusted forwarder carries, the exact address, the longest network
// prefix, then the default.
type identity struct {
	trusted    map[netip.Addr]bool
	byMAC      map[[6]byte]device
	byIP       map[netip.Addr]device
	networks   []network // longest prefix first
	fallback   *profile
	neighbours *Neighbours // nil: none
}

// device is a named device and its profile.
type device struct {
	name    string
	profile *profile
	quiet   bool // activity = false: not logged
}

type network struct {
	prefix  netip.Prefix
	profile *profile
}

func compileIdentity(c *Config, profiles map[string]*profile) identity {
	id := identity{
		trusted: map[netip.Addr]bool{}, byMAC: map[[6]byte]device{}, byIP: map[netip.Addr]device{},
		fallback: profiles["default"],
	}
	for _, a := range c.Identify.TrustedForwarders {
		id.trusted[a.Unmap()] = true
	}
	for _, d := range c.Devices {
		dev := device{d.Name, profiles[d.Profile], d.Activity != nil && !*d.Activity}
		if mac, err := parseMAC(d.MAC); err == nil {
			id.byMAC[mac] = dev
		}
		if d.IP.IsValid() {
			id.byIP[d.IP.Unmap()] = dev
		}
	}
	for _, n := range c.Networks {
		id.networks = append(id.networks, network{n.CIDR.Masked(), profiles[n.Profile]})
	}
	sort.SliceStable(id.networks, func(i, j int) bool { return id.networks[i].prefix.Bits() > id.networks[j].prefix.Bits() })
	return id
}

// identify returns c's profile, and its device name when it is a named
// device ("" otherwise).
func (id *identity) identify(c Client) (*profile, string) {
	d := id.device(c)
	return d.profile, d.name
}

// device returns c's device, in the order of DESIGN.md: the MAC a trusted
// forwarder carries; the MAC the leases or the neighbour table give the
// address; the exact address; the longest network prefix; the default. An
// unnamed device has no name.
func (id *identity) device(c Client) device {
	if c.HasMAC && id.trusted[c.Addr] {
		if d, ok := id.byMAC[c.MAC]; ok {
			return d
		}
	}
	if nb, ok := id.neighbours.lookup(c.Addr); ok && nb.HasMAC {
		if d, ok := id.byMAC[nb.MAC]; ok {
			return d
		}
	}
	if d, ok := id.byIP[c.Addr]; ok {
		return d
	}
	for _, n := range id.networks {
		if n.prefix.Contains(c.Addr) {
			return device{profile: n.profile}
		}
	}
	return device{profile: id.fallback}
}

// devices returns the named devices, each once.
func (id *identity) devices() []device {
	seen := map[string]bool{}
	var out []device
	add := func(d device) {
		if !seen[d.name] {
			seen[d.name] = true
			out = append(out, d)
		}
	}
	for _, d := range id.byMAC {
		add(d)
	}
	for _, d := range id.byIP {
		add(d)
	}
	return out
}
