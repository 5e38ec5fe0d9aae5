// Package packaging holds what puts amane on a Raspberry Pi, a router, a
// school server or a container: the Debian package (deb/), the OpenWrt
// package (openwrt/), the container image (container/), firewall rules
// (firewall/), the release builds (release/), the doctor's checks
// (doctor/) and the install guide (README.md).
//
// This package itself makes the configuration file each of them installs
// from the complete example, configs/amane.toml, by changing a few lines:
// one example to keep current, and a test that fails when a packaged file
// falls behind it.
package packaging

import (
	"fmt"
	"regexp"
)

// Flavor is one way amane is installed, and what its configuration file
// changes from the example.
type Flavor struct {
	Name   string // "deb", "openwrt" or "container"
	File   string // the generated file, relative to packaging/
	Header string // comment lines put before the example's own
	Edits  []Edit
}

// Edit replaces the one line of the example that Line matches.
type Edit struct {
	Line *regexp.Regexp // must match exactly one whole line
	New  string
}

func edit(line, replacement string) Edit {
	return Edit{Line: regexp.MustCompile(`(?m)^` + line + `$`), New: replacement}
}

// Flavors are the packaged configurations.
var Flavors = []Flavor{
	{
		Name: "deb", File: "deb/amane.toml",
		Header: `# Installed by the amane Debian package as /etc/amane/amane.toml (a conffile:
# your changes are kept on upgrade). It is configs/amane.toml, listening on
# port 53 of every address so that the network's devices can ask it.
`,
		Edits: []Edit{
			edit(`listen = .*`, `listen = ["0.0.0.0:53"]    # every IPv4 address of this machine, port 53`),
		},
	},
	{
		Name: "openwrt", File: "openwrt/files/amane.toml",
		Header: `# Installed by the amane OpenWrt package as /etc/amane/amane.toml (kept by
# sysupgrade). The router's dnsmasq keeps port 53, DHCP and the LAN's names,
# and forwards every other question to amane with the device's MAC added
# (add-mac): amane answers on loopback only. The state lives on flash
# (/etc/amane/state), so that the router filters at boot before the WAN is
# up; it is written only when a list changes and at shutdown.
`,
		Edits: []Edit{
			edit(`state_dir = .*`, `state_dir = "/etc/amane/state"`),
			edit(`listen = .*`, `listen = ["127.0.0.1:5353"]   # dnsmasq forwards here`),
			// Every question comes from dnsmasq, which adds the device's
			// MAC: with dnsmasq a trusted forwarder (below), the rate
			// limit and the upstream shares are per device, and the
			// example's limit holds. dnsmasq itself is never limited.
			edit(`memory = "32MiB" .*`, `memory = "8MiB"         # a 128 MB router: see packaging/README.md, Memory`),
			edit(`entries = 100000 .*`, `entries = 20000         # most answers kept`),
			// dnsmasq on this router adds each device's MAC (add-mac);
			// its DHCP leases give the host names for amane devices.
			edit(`trusted_forwarders = \[\]`, `trusted_forwarders = ["127.0.0.1"]   # this router's dnsmasq, with add-mac`),
			edit(`leases = \[\] .*`, `leases = ["/tmp/dhcp.leases"]        # OpenWrt's dnsmasq leases`),
		},
	},
	{
		Name: "container", File: "container/amane.toml",
		Header: `# The container image's configuration (/etc/amane/amane.toml; mount your own
# over it). Behind Docker's port publishing the clients' addresses are not
# on the container's own network, so the private ranges are allowed here.
`,
		Edits: []Edit{
			edit(`listen = .*`, `listen = ["0.0.0.0:5353"]   # publish it as port 53: docker run -p 53:5353/udp -p 53:5353/tcp`),
			edit(`# allow = \["127\.0\.0\.0/8".*`, `allow = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]`),
		},
	},
}

// Config returns the example edited for f. An edit that matches no line,
// or several, is an error: the example changed, and the edit must follow.
func (f Flavor) Config(example []byte) ([]byte, error) {
	out := example
	for _, e := range f.Edits {
		if n := len(e.Line.FindAllIndex(out, -1)); n != 1 {
			return nil, fmt.Errorf("making the %s configuration: %q matches %d lines of the example, want 1", f.Name, e.Line, n)
		}
		out = e.Line.ReplaceAllLiteral(out, []byte(e.New))
	}
	return append([]byte(f.Header), out...), nil
}

// Lookup returns the flavor with the name.
func Lookup(name string) (Flavor, bool) {
	for _, f := range Flavors {
		if f.Name == name {
			return f, true
		}
	}
	return Flavor{}, false
}
