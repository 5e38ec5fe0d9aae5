package console

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string // a part of the error; "" for none
	}{
		{"no console is valid", Config{}, ""},
		{"loopback needs no hosts", Config{Listen: "127.0.0.1:8444"}, ""},
		{"a LAN address needs hosts", Config{Listen: "192.168.1.10:8444"}, "hosts: required"},
		{"a LAN address with hosts", Config{Listen: "192.168.1.10:8444", Hosts: []string{"console.lan"}}, ""},
		{"listen must be host:port", Config{Listen: "8444"}, "listen:"},
		{"a certificate needs its key", Config{Listen: "127.0.0.1:8444", TLSCert: "c.pem"}, "tls_cert"},
		{"an empty host name", Config{Listen: "127.0.0.1:8444", Hosts: []string{""}}, "hosts: an empty name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v; want %q", err, tc.want)
			}
		})
	}
	hosts := Config{Listen: "192.168.1.10:8444", Hosts: []string{"console.lan"}}.AllowedHosts()
	if strings.Join(hosts, " ") != "127.0.0.1 ::1 localhost console.lan 192.168.1.10" {
		t.Errorf("AllowedHosts = %v", hosts)
	}
}
