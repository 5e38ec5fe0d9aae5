// Package adminconfig is the [admin] section of the configuration file:
// whether the parents' console is served, where, and whether it shows
// the appliance's figures. It is apart from package admin, which serves
// the console, because configs composes this Config while admin imports
// appliance, which imports configs.
package adminconfig

import (
	"errors"
	"net"
	"net/netip"
	"strconv"

	"github.com/amane-dns/amane/internal/fielderr"
)

// TrialListen is where the console listens on the embedded trial
// configuration: this machine only, on a port that needs no privilege.
const TrialListen = "127.0.0.1:8080"

// Config is the [admin] section.
type Config struct {
	// Enabled serves the console; false turns it off (default true).
	Enabled bool `toml:"enabled"`
	// Listen are the "IP:port" addresses of the console. Empty: port 80
	// on each address amane answers DNS on (server.listen), or
	// TrialListen on the embedded trial configuration. Restart to change.
	Listen []string `toml:"listen"`
	// Metrics shows the appliance's figures (lists, feeds, upstreams) on
	// the System page (default true).
	Metrics bool `toml:"metrics"`
}

// Default is the section a file's keys override.
func Default() Config { return Config{Enabled: true, Metrics: true} }

// Validate returns every problem, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	for i, a := range c.Listen {
		if _, err := netip.ParseAddrPort(a); err != nil {
			errs = append(errs, fielderr.New("admin.listen["+strconv.Itoa(i)+"]", "%q is not an IP:port address (\"192.168.1.2:80\")", a))
		}
	}
	return errors.Join(errs...)
}

// Addrs returns the addresses the console listens on: Listen, or by
// default port 80 on each address of dnsListen (the DNS listeners; the
// console is then reachable exactly where amane answers, the LAN), or
// TrialListen when trial is set (the embedded configuration).
func (c *Config) Addrs(dnsListen []string, trial bool) []string {
	if len(c.Listen) > 0 {
		return c.Listen
	}
	if trial {
		return []string{TrialListen}
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range dnsListen {
		host, _, err := net.SplitHostPort(l)
		if err != nil {
			continue
		}
		a := net.JoinHostPort(host, "80")
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
