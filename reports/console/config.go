package console

import (
	"errors"
	"net"
	"net/netip"

	"github.com/amane-dns/amane/internal/fielderr"
)

// Config is the [console] table of helpline.toml.
type Config struct {
	// Listen is the console's own address, never the public intake's:
	// "127.0.0.1:8444", or an address of the helpline's office network.
	// Empty: no console.
	Listen string `toml:"listen"`
	// Hosts are the names and addresses the operators type to reach the
	// console: any other Host header is refused (DNS rebinding). The
	// loopback addresses are always allowed. Required when Listen is not
	// a loopback address.
	Hosts []string `toml:"hosts"`
	// TLSCert and TLSKey serve the console over HTTPS; both or neither.
	// Without them the session cookie cannot be Secure: put the console
	// on loopback behind an SSH tunnel or a TLS proxy.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// Enabled reports whether a console is configured.
func (c Config) Enabled() bool { return c.Listen != "" }

// Validate returns every problem with c, each naming its key.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		errs = append(errs, fielderr.New("listen", "%q is not host:port", c.Listen))
	} else if a, err := netip.ParseAddr(host); (err != nil || !a.IsLoopback()) && len(c.Hosts) == 0 {
		errs = append(errs, fielderr.New("hosts", "required when listen is not a loopback address: the names operators type, so that no other Host is served"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, fielderr.New("tls_cert", "tls_cert and tls_key go together"))
	}
	for _, h := range c.Hosts {
		if h == "" {
			errs = append(errs, fielderr.New("hosts", "an empty name"))
		}
	}
	return errors.Join(errs...)
}

// AllowedHosts returns the Host allow-list: c.Hosts, the loopback
// addresses, and the listen address's host.
func (c Config) AllowedHosts() []string {
	out := append([]string{"127.0.0.1", "::1", "localhost"}, c.Hosts...)
	if h, _, err := net.SplitHostPort(c.Listen); err == nil && h != "" {
		out = append(out, h)
	}
	return out
}
