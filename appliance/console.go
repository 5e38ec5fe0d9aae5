package appliance

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/policy"
)

// The operations the parents' console asks for beyond the command line's:
// each turns a parent's one-step change into a configs.Console and saves
// it with SaveConsole, so that it is checked exactly as check-config
// checks a file, written to console.toml, and applied by the reload.

// MorningHour is when a pause "until tomorrow" ends: the next morning,
// local time, not midnight, which would let a phone back on at 00:00.
const MorningHour = 7

// PauseFor pauses target for spec: a duration ("30m", "1h"), "tomorrow"
// (until MorningHour the next morning, local time) or "" (until resumed).
// The console's buttons and its API send these words.
func (a *Appliance) PauseFor(target, spec string) ([]policy.Pause, error) {
	now := a.now()
	var until time.Time
	switch spec {
	case "":
		until = now.Add(Forever)
	case "tomorrow":
		lt := now.In(Location(a.Config()))
		until = time.Date(lt.Year(), lt.Month(), lt.Day()+1, MorningHour, 0, 0, 0, lt.Location())
	default:
		d, err := time.ParseDuration(spec)
		if err != nil || d <= 0 {
			return nil, fielderr.New("duration", "%q is not a duration such as 30m or 1h, nor \"tomorrow\"", spec)
		}
		until = now.Add(d)
	}
	return a.Pause(target, until)
}

// StateDB is the appliance's bbolt file (nil without a state_dir), for the
// console's sessions: one file, one lock, written at login and logout.
func (a *Appliance) StateDB() *bolt.DB { return a.db }

// Now is the appliance's clock.
func (a *Appliance) Now() time.Time { return a.now() }

// consoleCopy returns a copy of what the console set so far, safe to edit.
func consoleCopy(cfg *configs.File) configs.Console {
	var c configs.Console
	if cfg.Console != nil {
		c.Profiles = slices.Clone(cfg.Console.Profiles)
		c.Devices = slices.Clone(cfg.Console.Devices)
	}
	return c
}

// SetDevice names a device and gives it a profile in one step: d replaces
// the console's device of the same name, MAC or address, or is added. A
// device the hand-written file names is read-only here.
func (a *Appliance) SetDevice(d policy.DeviceConfig) error {
	cfg := a.Config()
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		return fielderr.New("device.name", "give the device a name")
	}
	if d.Profile == "" {
		return fielderr.New("device.profile", "choose the profile this device gets")
	}
	if cfg.DeviceSetByHand(d.Name) {
		return fielderr.New("device.name", "%q is set in %s: change it there", d.Name, cfg.Path)
	}
	c := consoleCopy(cfg)
	c.Devices = slices.DeleteFunc(c.Devices, func(o policy.DeviceConfig) bool {
		return o.Name == d.Name || (d.MAC != "" && strings.EqualFold(o.MAC, d.MAC)) || (d.IP.IsValid() && o.IP == d.IP)
	})
	c.Devices = append(c.Devices, d)
	return deviceKeys(a.SaveConsole(c), len(c.Devices)-1)
}

// deviceKeys renames the problems of the console's device i
// ("device[3].profile") to the one-device form's keys ("device.profile").
func deviceKeys(err error, i int) error {
	return renameKeys(err, fmt.Sprintf("device[%d]", i), "device")
}

func renameKeys(err error, from, to string) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range fielderr.Flatten(err) {
		var fe *fielderr.Error
		if errors.As(e, &fe) && strings.HasPrefix(fe.Key, from) {
			e = &fielderr.Error{Key: to + strings.TrimPrefix(fe.Key, from), Err: fe.Err}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// SetProfile saves p, a profile the console owns: it replaces the
// console's profile called old (or p.Name when old is ""), or is added.
// Problems come back keyed as "profile.schedule[1].from", for the
// one-profile form. A profile the hand-written file defines is read-only.
func (a *Appliance) SetProfile(old string, p policy.ProfileConfig) error {
	cfg := a.Config()
	if old == "" {
		old = p.Name
	}
	for _, n := range []string{old, p.Name} {
		if cfg.ProfileSetByHand(n) {
			return fielderr.New("profile.name", "%q is set in %s: change it there", n, cfg.Path)
		}
	}
	c := consoleCopy(cfg)
	i := slices.IndexFunc(c.Profiles, func(o policy.ProfileConfig) bool { return o.Name == old })
	if i < 0 {
		i = len(c.Profiles)
		c.Profiles = append(c.Profiles, p)
	} else {
		c.Profiles[i] = p
	}
	if old != p.Name { // a renamed profile keeps its devices
		for j := range c.Devices {
			if c.Devices[j].Profile == old {
				c.Devices[j].Profile = p.Name
			}
		}
	}
	return renameKeys(a.SaveConsole(c), fmt.Sprintf("profile[%d]", i), "profile")
}

// AllowForProfile adds name to the allow list of the profile called
// profile: the Why page's and the Activity page's next step. It leaves
// the deny list, which the policy reads first, so that a site blocked by
// hand and then allowed is allowed.
func (a *Appliance) AllowForProfile(profile, name string) error {
	p, err := a.ownProfile(profile, name, "allow")
	if err != nil {
		return err
	}
	p.Deny = slices.DeleteFunc(slices.Clone(p.Deny), func(n string) bool { return n == name })
	if !slices.Contains(p.Allow, name) {
		p.Allow = append(slices.Clone(p.Allow), name)
	}
	return a.SetProfile(profile, p)
}

// DenyForProfile adds name to the deny list of the profile called
// profile, and takes it off its allow list: the Activity page's "block
// this site".
func (a *Appliance) DenyForProfile(profile, name string) error {
	p, err := a.ownProfile(profile, name, "deny")
	if err != nil {
		return err
	}
	p.Allow = slices.DeleteFunc(slices.Clone(p.Allow), func(n string) bool { return n == name })
	if !slices.Contains(p.Deny, name) {
		p.Deny = append(slices.Clone(p.Deny), name)
	}
	return a.SetProfile(profile, p)
}

// ownProfile is the console's profile called profile, or an error saying
// where to put name in list instead.
func (a *Appliance) ownProfile(profile, name, list string) (policy.ProfileConfig, error) {
	p, ok := a.ConsoleProfile(profile)
	if !ok {
		if a.Config().ProfileSetByHand(profile) {
			return p, fielderr.New("profile", "%q is set in %s: add %s to its %s list there", profile, a.Config().Path, name, list)
		}
		return p, fielderr.New("profile", "%q is not a profile the console can change", profile)
	}
	return p, nil
}

// ConsoleProfile returns the console's own profile called name.
func (a *Appliance) ConsoleProfile(name string) (policy.ProfileConfig, bool) {
	cfg := a.Config()
	if cfg.Console == nil {
		return policy.ProfileConfig{}, false
	}
	for _, p := range cfg.Console.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return policy.ProfileConfig{}, false
}

// ClientOf returns the client a device is seen as, for Explain: device is
// a device's name, an address or a MAC the network knows.
func (a *Appliance) ClientOf(device string) (policy.Client, error) {
	if ip, err := netip.ParseAddr(device); err == nil {
		return policy.Client{Addr: ip.Unmap()}, nil
	}
	for _, d := range a.Devices() {
		if d.Name == device || d.Hostname == device || strings.EqualFold(d.MAC, device) {
			if ip, err := netip.ParseAddr(d.Addr); err == nil {
				return policy.Client{Addr: ip.Unmap()}, nil
			}
		}
	}
	for _, d := range a.Config().Devices {
		if d.Name != device {
			continue
		}
		cl := policy.Client{Addr: d.IP.Unmap()}
		if hw, err := net.ParseMAC(d.MAC); err == nil && len(hw) == 6 {
			cl.MAC, cl.HasMAC = [6]byte(hw), true
		}
		return cl, nil
	}
	return policy.Client{}, fielderr.New("device", "%q is not a device amane knows", device)
}

// FeedStatus is one helpline feed as the System page shows it.
type FeedStatus struct {
	Name    string    `json:"name"`
	Version uint64    `json:"version"`
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
	Lists   int       `json:"lists"`
	Stale   bool      `json:"stale"` // expired: the last good copy goes on filtering
}

// FeedStatus lists the feeds in force, in configuration order; a feed not
// loaded yet is missing.
func (a *Appliance) FeedStatus() []FeedStatus {
	a.mu.Lock()
	feeds := inOrder(a.feeds)
	a.mu.Unlock()
	var out []FeedStatus
	for _, f := range feeds {
		m := f.Manifest
		out = append(out, FeedStatus{Name: m.Name, Version: m.Version, Issued: m.Issued, Expires: m.Expires, Lists: len(m.Lists), Stale: f.Stale})
	}
	return out
}
