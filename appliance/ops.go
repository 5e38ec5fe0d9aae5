package appliance

import (
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/amane-dns/amane/policy"
)

// Forever is how long a pause without an end lasts: until resumed.
const Forever = 100 * 365 * 24 * time.Hour

// Pause pauses target (a device or a profile of the configuration) until
// until: it reaches nothing but the always-allowed names and the
// helplines' contacts. It returns the pauses in force.
func (a *Appliance) Pause(target string, until time.Time) ([]policy.Pause, error) {
	if err := a.checkTarget(target); err != nil {
		return nil, err
	}
	if !until.After(a.now()) {
		return nil, fmt.Errorf("a pause must end in the future, not at %s", until.Format(time.DateTime))
	}
	if err := a.pauses.Pause(target, until); err != nil {
		return nil, err
	}
	a.log.Info("paused", "target", target, "until", until)
	return a.Pauses(), nil
}

// Resume ends target's pause and returns the pauses still in force.
func (a *Appliance) Resume(target string) ([]policy.Pause, error) {
	if err := a.checkTarget(target); err != nil {
		return nil, err
	}
	if err := a.pauses.Resume(target); err != nil {
		return nil, err
	}
	a.log.Info("resumed", "target", target)
	return a.Pauses(), nil
}

// Pauses are the pauses in force.
func (a *Appliance) Pauses() []policy.Pause { return a.pauses.List(a.now()) }

func (a *Appliance) checkTarget(target string) error {
	if !a.Policy().Targets(target) {
		return fmt.Errorf("%q is neither a device nor a profile of the configuration", target)
	}
	return nil
}

// UsageLine is one device's use of one budget today.
type UsageLine struct {
	Device     string `json:"device"`
	Profile    string `json:"profile"`
	Categories string `json:"categories"`
	Used       int    `json:"used"`
	Allowance  int    `json:"allowance"`
	Granted    int    `json:"granted"`
	Budget     int    `json:"budget"` // the index of the budget in its profile
}

// Left is what remains of the budget today, in minutes.
func (l UsageLine) Left() int { return max(l.Allowance+l.Granted-l.Used, 0) }

// Grant gives device minutes more today in the budget that covers
// category, and returns the device's use of its budgets.
func (a *Appliance) Grant(device, category string, minutes int) ([]UsageLine, error) {
	if minutes <= 0 || minutes > 24*60 {
		return nil, fmt.Errorf("%d is not a number of minutes (1 to 1440)", minutes)
	}
	key, err := a.Policy().BudgetKey(device, category)
	if err != nil {
		return nil, err
	}
	if err := a.usage.Grant(key, minutes, a.now()); err != nil {
		return nil, err
	}
	if err := a.usage.Flush(); err != nil {
		a.log.Warn("grant not yet written to disk; it holds until a restart", "err", err)
	}
	a.log.Info("granted", "device", device, "category", category, "minutes", minutes)
	return a.Usage(device), nil
}

// Usage is today's use of every budget, of device only when it is not "".
func (a *Appliance) Usage(device string) []UsageLine {
	pol, now := a.Policy(), a.now()
	var lines []UsageLine
	for _, t := range a.usage.List() {
		who := t.Key.Device
		if who == "" {
			who = t.Key.Addr.String()
		}
		if device != "" && who != device {
			continue
		}
		profile, cats, allowance := pol.Describe(t.Key, now)
		lines = append(lines, UsageLine{who, profile, cats, t.Minutes, allowance, t.Granted, int(t.Key.Budget)})
	}
	return lines
}

// Device is one device the network knows.
type Device struct {
	Addr      string    `json:"addr"`
	MAC       string    `json:"mac,omitempty"`
	Hostname  string    `json:"hostname,omitempty"`
	Vendor    string    `json:"vendor,omitempty"`  // its maker, from the MAC, where known
	Private   bool      `json:"private,omitempty"` // a randomized MAC (a phone's private address)
	Name      string    `json:"name,omitempty"`    // "" when not named yet
	Profile   string    `json:"profile"`
	FirstSeen time.Time `json:"first_seen"` // when this appliance first listed it
}

// Devices lists every device the network knows (leases, the neighbour
// table, and the clients answered lately, by address or by the MAC the
// router adds), named or not yet, the newest first and, among devices first
// seen together, the unnamed first: a device that just joined the Wi-Fi
// is the one a parent wants to name.
func (a *Appliance) Devices() []Device {
	var out []Device
	for _, d := range a.Policy().Devices() {
		l := Device{Addr: d.Addr.String(), Hostname: d.Hostname, Name: d.Name, Profile: d.Profile}
		if d.HasMAC {
			l.MAC = net.HardwareAddr(d.MAC[:]).String()
		}
		out = append(out, l)
	}
	out = a.withClients(out)
	for i := range out {
		if hw, err := net.ParseMAC(out[i].MAC); err == nil && len(hw) == 6 {
			out[i].Private = hw[0]&0x02 != 0
			out[i].Vendor = a.vendors.of(out[i].MAC)
		}
	}
	a.stampFirstSeen(out)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.After(out[j].FirstSeen)
		}
		return out[i].Name == "" && out[j].Name != "" // the unnamed first
	})
	return out
}
