package policy

import (
	"net/netip"
	"testing"
	"time"
)

func TestSafeSearch(t *testing.T) {
	moderate := SafeSearch("google", "youtube-moderate")
	cfg := Config{
		Filter: DefaultFilterConfig(),
		Profiles: []ProfileConfig{
			{Name: "child", Preset: "9-12"},
			{Name: "teen", Preset: "13-17", SafeSearch: &moderate},
			{Name: "parent", Preset: "adult"},
		},
		Devices: []DeviceConfig{
			{Name: "a", IP: netip.MustParseAddr("192.168.1.2"), Profile: "child"},
			{Name: "b", IP: netip.MustParseAddr("192.168.1.3"), Profile: "teen"},
			{Name: "c", IP: netip.MustParseAddr("192.168.1.4"), Profile: "parent"},
		},
	}
	s, err := NewSnapshot(cfg, nil, 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	child, teen, parent := Client{Addr: netip.MustParseAddr("192.168.1.2")}, Client{Addr: netip.MustParseAddr("192.168.1.3")}, Client{Addr: netip.MustParseAddr("192.168.1.4")}
	tests := []struct {
		name   string
		client Client
		host   string
		want   string
	}{
		{"Google in Morocco, for a child", child, "www.google.co.ma", "forcesafesearch.google.com"},
		{"Google in France, for a child", child, "www.google.fr", "forcesafesearch.google.com"},
		{"Google in Brazil, for a child", child, "www.google.com.br", "forcesafesearch.google.com"},
		{"google.com without www, for a child", child, "google.com", "forcesafesearch.google.com"},
		{"not a Google search domain", child, "google.example.org", ""},
		{"mail.google.com is not search", child, "mail.google.com", ""},
		{"YouTube strict for a child", child, "www.youtube.com", "restrict.youtube.com"},
		{"Bing for a child", child, "www.bing.com", "strict.bing.com"},
		{"DuckDuckGo for a child", child, "duckduckgo.com", "safe.duckduckgo.com"},
		{"Yandex for a child", child, "yandex.ru", "familysearch.yandex.ru"},
		{"YouTube moderate for the teen who chose it", teen, "m.youtube.com", "restrictmoderate.youtube.com"},
		{"Bing is not on the teen's list", teen, "www.bing.com", ""},
		{"no safe search for a parent", parent, "www.google.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s.Decide(tt.client, tt.host, 1, time.Now())
			if tt.want == "" && d.Action != Allow || tt.want != "" && (d.Action != Rewrite || d.Target != tt.want) {
				t.Fatalf("decision %+v, want target %q", d, tt.want)
			}
		})
	}
}
