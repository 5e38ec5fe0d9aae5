package adminconfig

import (
	"slices"
	"strings"
	"testing"
)

func TestTheConsoleListensWhereDNSIsAnswered(t *testing.T) {
	for _, tt := range []struct {
		name  string
		c     Config
		dns   []string
		trial bool
		want  []string
	}{
		{"port 80 on each DNS address", Default(), []string{"192.168.1.2:53", "[fd00::2]:53", "192.168.1.2:5353"}, false, []string{"192.168.1.2:80", "[fd00::2]:80"}},
		{"the trial on this machine only", Default(), []string{"127.0.0.1:5353"}, true, []string{TrialListen}},
		{"listen given wins", Config{Enabled: true, Listen: []string{"10.0.0.1:8080"}}, []string{"192.168.1.2:53"}, true, []string{"10.0.0.1:8080"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Addrs(tt.dns, tt.trial); !slices.Equal(got, tt.want) {
				t.Errorf("Addrs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAListenAddressMustBeIPAndPort(t *testing.T) {
	c := Config{Listen: []string{"192.168.1.2:80", "amane.lan:80", "192.168.1.2"}}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "admin.listen[1]") || !strings.Contains(err.Error(), "admin.listen[2]") || strings.Contains(err.Error(), "admin.listen[0]") {
		t.Fatalf("Validate: %v", err)
	}
}
