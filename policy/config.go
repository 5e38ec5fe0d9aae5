package policy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/fielderr"
)

// Config is the policy's part of the configuration file: the filter that
// applies to unknown devices, the profiles, and which device or network
// gets which profile.
type Config struct {
	// Timezone is where schedules are read ("Africa/Casablanca"); "" is
	// the system's local time zone.
	Timezone string `toml:"timezone"`
	// AlwaysAllow are names (and their subdomains) never blocked, not by
	// categories, schedules or anything else: a school's learning platform,
	// the family doctor. The helpline's own domains always are.
	AlwaysAllow []string        `toml:"always_allow"`
	Filter      FilterConfig    `toml:"filter"`
	Profiles    []ProfileConfig `toml:"profile"`
	Devices     []DeviceConfig  `toml:"device"`
	Networks    []NetworkConfig `toml:"network"`
	Identify    IdentifyConfig  `toml:"identify"`
}

// ProfileConfig is one [[profile]]: what one child, one room or one
// household member may reach, and when.
type ProfileConfig struct {
	Name string `toml:"name"`
	// Preset starts the profile from a built-in one: "under-9", "9-12",
	// "13-17", "adult" or "school-lab".
	Preset string `toml:"preset"`
	// Block adds categories to the preset's; Unblock takes some away.
	// Mandatory categories (abuse) stay blocked whatever these say.
	Block   []string `toml:"block"`
	Unblock []string `toml:"unblock"`
	// BlockServices are apps of the built-in catalog blocked by name
	// ("tiktok", "free-fire"): `amane services` lists them.
	BlockServices []string `toml:"block_services"`
	// Allow and Deny are names (and their subdomains) this profile may
	// always, or may never, reach; deny wins over allow.
	Allow []string `toml:"allow"`
	Deny  []string `toml:"deny"`
	// AgeBand overrides the preset's ("under-9", "9-12", "13-17", "adult").
	AgeBand string `toml:"age_band"`
	// SafeSearch forces the search engines' safe modes: true (every engine,
	// YouTube strict) or a list such as ["google", "youtube-moderate"].
	// Presets for children turn it on; false turns it off.
	SafeSearch *SafeSearchSpec  `toml:"safe_search"`
	Schedules  []ScheduleConfig `toml:"schedule"`
	Budgets    []BudgetConfig   `toml:"budget"`
	// Activity = false keeps this profile's devices out of the activity
	// log and its aggregates (issue 12); nil is true.
	Activity *bool `toml:"activity"`
}

// BudgetConfig is one [[profile.budget]]: so many minutes a day for some
// categories. A minute counts when the device resolved a name of one of
// them in it; once they are spent, the categories are blocked until local
// midnight.
type BudgetConfig struct {
	Categories []string `toml:"categories"`
	// Services are apps of the catalog the budget counts, beside its
	// categories.
	Services       []string `toml:"services"`
	Minutes        int      `toml:"minutes"`         // on school days (Monday to Friday)
	WeekendMinutes int      `toml:"weekend_minutes"` // on Saturday and Sunday; default Minutes
}

// DeviceConfig is one [[device]]: a named device and its profile, known by
// its MAC (through a trusted forwarder) and/or its address.
type DeviceConfig struct {
	Name    string     `toml:"name"`
	MAC     string     `toml:"mac"`
	IP      netip.Addr `toml:"ip"`
	Profile string     `toml:"profile"`
	// Activity = false keeps this device out of the activity log and its
	// aggregates, whatever its profile says; nil is true.
	Activity *bool `toml:"activity"`
}

// NetworkConfig is one [[network]]: every device in a subnet (a school
// room, the guest Wi-Fi) gets a profile, unless named as a device.
type NetworkConfig struct {
	Name    string       `toml:"name"`
	CIDR    netip.Prefix `toml:"cidr"`
	Profile string       `toml:"profile"`
}

// IdentifyConfig says how devices are told apart.
type IdentifyConfig struct {
	// TrustedForwarders may send the client's MAC in EDNS option 65001
	// (dnsmasq add-mac): the router in front of amane. A MAC from anyone
	// else is ignored, or a child could claim a parent's device.
	TrustedForwarders []netip.Addr `toml:"trusted_forwarders"`
	// Leases are DHCP leases files (dnsmasq, ISC dhcpd, odhcpd), read to
	// learn each address's MAC and host name; reread when they change.
	Leases []string `toml:"leases"`
	// Neighbours reads the kernel's neighbour table (/proc/net/arp) for
	// the MACs of devices on the same network.
	Neighbours bool `toml:"neighbours"`
}

// presets are the built-in profiles, by age. The categories follow what
// child-protection guidance in Morocco and France recommends for each band;
// a school lab also blocks distractions.
var presets = map[string]struct {
	block   []string
	ageBand string
}{
	"under-9": {[]string{"abuse", "cyberviolence", "adult", "gambling", "dating", "drugs", "violence", "weapons",
		"social", "chat", "bypass", "malware", "phishing", "scam"}, "under-9"},
	"9-12": {[]string{"abuse", "cyberviolence", "adult", "gambling", "dating", "drugs", "violence", "weapons",
		"chat", "bypass", "malware", "phishing", "scam"}, "9-12"},
	"13-17":      {[]string{"abuse", "cyberviolence", "adult", "gambling", "dating", "drugs", "bypass", "malware", "phishing", "scam"}, "13-17"},
	"adult":      {[]string{"abuse", "malware", "phishing", "scam"}, "adult"},
	"school-lab": {[]string{"abuse", "cyberviolence", "adult", "gambling", "dating", "drugs", "violence", "weapons", "games", "social", "video", "chat", "bypass", "malware", "phishing", "scam"}, ""},
}

var ageBands = map[string]bool{"": true, "under-9": true, "9-12": true, "13-17": true, "adult": true}

// Validate returns every problem, each naming its key.
func (c *Config) Validate() error {
	errs := []error{c.Filter.Validate()}
	for i, n := range c.AlwaysAllow {
		if _, reason := blocklist.Normalize(n); reason != blocklist.ReasonNone {
			errs = append(errs, fielderr.New(fmt.Sprintf("always_allow[%d]", i), "%q is not a domain name (%v)", n, reason))
		}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fielderr.New("timezone", "%q is not a time zone such as \"Africa/Casablanca\"", c.Timezone))
	}
	profiles := map[string]bool{"default": true}
	for i, p := range c.Profiles {
		errs = append(errs, p.validate(fmt.Sprintf("profile[%d]", i), profiles)...)
		profiles[p.Name] = true
	}
	for i, d := range c.Devices {
		key := func(k string) string { return fmt.Sprintf("device[%d].%s", i, k) }
		if d.MAC == "" && !d.IP.IsValid() {
			errs = append(errs, fielderr.New(key("mac"), "a device needs a mac or an ip"))
		}
		if _, err := parseMAC(d.MAC); d.MAC != "" && err != nil {
			errs = append(errs, fielderr.New(key("mac"), "%v", err))
		}
		if !profiles[d.Profile] {
			errs = append(errs, fielderr.New(key("profile"), "no profile named %q", d.Profile))
		}
	}
	for i, n := range c.Networks {
		if !n.CIDR.IsValid() {
			errs = append(errs, fielderr.New(fmt.Sprintf("network[%d].cidr", i), "a network needs a cidr such as \"10.10.3.0/24\""))
		}
		if !profiles[n.Profile] {
			errs = append(errs, fielderr.New(fmt.Sprintf("network[%d].profile", i), "no profile named %q", n.Profile))
		}
	}
	return errors.Join(errs...)
}

// Blocked returns every category the policy can block or count: the
// mandatory ones, the [filter]'s, and each profile's (its preset with
// block and unblock, its schedules' and its budgets'): the categories
// lists must fill for the policy to do what it says. c must be valid.
func (c *Config) Blocked() blocklist.Categories {
	cats := alwaysMandatory
	add := func(ids []string) {
		got, _ := blocklist.ParseCategories(strings.Join(ids, ","))
		cats |= got
	}
	add(c.Filter.Block)
	for _, pc := range c.Profiles {
		if p, err := compileProfile(pc); err == nil {
			cats |= p.block
		}
		for _, s := range pc.Schedules {
			add(s.Block.Categories)
		}
		for _, b := range pc.Budgets {
			add(b.Categories)
		}
	}
	return cats
}

func (p ProfileConfig) validate(key string, seen map[string]bool) []error {
	var errs []error
	bad := func(k, format string, args ...any) { errs = append(errs, fielderr.New(key+"."+k, format, args...)) }
	switch {
	case p.Name == "":
		bad("name", "every profile needs a name")
	case seen[p.Name]:
		bad("name", "%q is used twice (\"default\" is the [filter])", p.Name)
	}
	if _, ok := presets[p.Preset]; p.Preset != "" && !ok {
		bad("preset", "%q is not under-9, 9-12, 13-17, adult or school-lab", p.Preset)
	}
	for field, list := range map[string][]string{"block": p.Block, "unblock": p.Unblock} {
		for j, c := range list {
			if _, err := blocklist.ParseCategory(c); err != nil {
				bad(fmt.Sprintf("%s[%d]", field, j), "%v", err)
			}
		}
	}
	for field, list := range map[string][]string{"allow": p.Allow, "deny": p.Deny} {
		for j, n := range list {
			if _, reason := blocklist.Normalize(n); reason != blocklist.ReasonNone {
				bad(fmt.Sprintf("%s[%d]", field, j), "%q is not a domain name (%v)", n, reason)
			}
		}
	}
	if !ageBands[p.AgeBand] {
		bad("age_band", "%q is not under-9, 9-12, 13-17 or adult", p.AgeBand)
	}
	badServices(p.BlockServices, func(j int, err error) { bad(fmt.Sprintf("block_services[%d]", j), "%v", err) })
	for j, b := range p.Budgets {
		if len(b.Categories) == 0 && len(b.Services) == 0 {
			bad(fmt.Sprintf("budget[%d].categories", j), "a budget needs categories or services")
		}
		badServices(b.Services, func(k int, err error) { bad(fmt.Sprintf("budget[%d].services[%d]", j, k), "%v", err) })
		for k, c := range b.Categories {
			if _, err := blocklist.ParseCategory(c); err != nil {
				bad(fmt.Sprintf("budget[%d].categories[%d]", j, k), "%v", err)
			}
		}
		if b.Minutes < 0 || b.Minutes > 24*60 || b.WeekendMinutes < 0 || b.WeekendMinutes > 24*60 {
			bad(fmt.Sprintf("budget[%d].minutes", j), "minutes are between 0 and 1440")
		}
	}
	if len(p.Budgets) > 255 {
		bad("budget", "at most 255 budgets")
	}
	for j, s := range p.Schedules {
		// A wrong time is told at its own key, so that the console shows
		// it next to the field that holds it.
		_, ferr := parseClock(s.From)
		_, terr := parseClock(s.To)
		if ferr != nil {
			bad(fmt.Sprintf("schedule[%d].from", j), "%v", ferr)
		}
		if terr != nil {
			bad(fmt.Sprintf("schedule[%d].to", j), "%v", terr)
		}
		if _, err := compileSchedule([]ScheduleConfig{s}); ferr == nil && terr == nil && (err != nil || len(s.Days) == 0) {
			if err == nil {
				err = errors.New("a schedule needs days")
			}
			bad(fmt.Sprintf("schedule[%d]", j), "%v", err)
		}
		badServices(s.BlockServices, func(k int, err error) { bad(fmt.Sprintf("schedule[%d].block_services[%d]", j, k), "%v", err) })
		for _, d := range s.Days {
			if _, ok := dayIndex[strings.ToLower(d)]; !ok {
				bad(fmt.Sprintf("schedule[%d].days", j), "%q is not mon..sun, weekdays, weekend or all", d)
			}
		}
	}
	return errs
}

// badServices calls bad for each id of the catalog's services that is not
// one.
func badServices(ids []string, bad func(int, error)) {
	for j, id := range ids {
		if _, err := catalog.ParseServices([]string{id}); err != nil {
			bad(j, err)
		}
	}
}

func parseMAC(s string) ([6]byte, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return [6]byte{}, fmt.Errorf("%q is not a MAC address such as \"a4:83:e7:12:34:56\"", s)
	}
	return [6]byte(hw), nil
}

// Presets lists the built-in profiles' names, for the console's choice.
func Presets() []string { return []string{"under-9", "9-12", "13-17", "adult", "school-lab"} }

// PresetBlocks returns the categories the preset called name blocks (none
// for "" or an unknown name), so that the console shows a profile's
// switches as the preset sets them before its own block and unblock.
func PresetBlocks(name string) blocklist.Categories {
	var cats blocklist.Categories
	for _, id := range presets[name].block {
		if c, err := blocklist.ParseCategory(id); err == nil {
			cats = cats.Add(c)
		}
	}
	return cats
}
