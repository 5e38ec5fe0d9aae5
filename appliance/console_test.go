package appliance

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/policy"
)

// consoleAppliance is an appliance whose hand-written file defines the
// profile "yasmine" and the device "yasmine-phone".
func consoleAppliance(t *testing.T, now time.Time) *Appliance {
	t.Helper()
	cfg := testConfig(t, "[[profile]]\nname = \"yasmine\"\npreset = \"9-12\"\n"+
		"[[device]]\nname = \"yasmine-phone\"\nip = \"192.168.1.30\"\nprofile = \"yasmine\"\n")
	cfg.Path = filepath.Join(t.TempDir(), "amane.toml")
	cfg.Timezone = "UTC"
	a, err := New(cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(a.Close)
	return a
}

func keyOf(err error) string {
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		return fe.Key
	}
	return ""
}

func TestTheConsolesOneStepChanges(t *testing.T) {
	now := time.Date(2026, 12, 7, 19, 30, 0, 0, time.UTC)
	a := consoleAppliance(t, now)
	if err := a.SetProfile("", policy.ProfileConfig{Name: "adam", Preset: "under-9"}); err != nil {
		t.Fatal(err)
	}
	tablet := policy.DeviceConfig{Name: "tablet", IP: netip.MustParseAddr("192.168.1.23"), Profile: "adam"}
	if err := a.SetDevice(tablet); err != nil {
		t.Fatal(err)
	}
	// Renamed, the same tablet (same address) is replaced, not doubled.
	tablet.Name = "adam-tablet"
	if err := a.SetDevice(tablet); err != nil {
		t.Fatal(err)
	}
	if c := a.Config().Console; len(c.Devices) != 1 || c.Devices[0].Name != "adam-tablet" {
		t.Fatalf("console devices: %+v", c.Devices)
	}
	// A renamed profile keeps its devices.
	if err := a.SetProfile("adam", policy.ProfileConfig{Name: "adam-jr", Preset: "under-9"}); err != nil {
		t.Fatal(err)
	}
	if p := a.Policy().ProfileName(policy.Client{Addr: netip.MustParseAddr("192.168.1.23")}); p != "adam-jr" {
		t.Fatalf("the tablet's profile after the rename: %q", p)
	}
	for _, tt := range []struct {
		name string
		err  error
		key  string
	}{
		{"a hand-written profile is read-only", a.SetProfile("yasmine", policy.ProfileConfig{Name: "yasmine"}), "profile.name"},
		{"a hand-written device is read-only", a.SetDevice(policy.DeviceConfig{Name: "yasmine-phone", Profile: "adam-jr"}), "device.name"},
		{"a device needs a profile", a.SetDevice(policy.DeviceConfig{Name: "laptop"}), "device.profile"},
		{"a wrong time is keyed at its field", a.SetProfile("adam-jr", policy.ProfileConfig{Name: "adam-jr",
			Schedules: []policy.ScheduleConfig{{Days: []string{"all"}, From: "7pm", To: "07:00", Block: policy.CategorySpec{All: true}}}}), "profile.schedule[0].from"},
		{"allowing a site on a hand-written profile", a.AllowForProfile("yasmine", "game.example"), "profile"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if keyOf(tt.err) != tt.key {
				t.Errorf("error %v at %q, want at %q", tt.err, keyOf(tt.err), tt.key)
			}
		})
	}
	if err := a.AllowForProfile("adam-jr", "school.example"); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.ConsoleProfile("adam-jr"); len(p.Allow) != 1 {
		t.Fatalf("allow: %v", p.Allow)
	}
	if err := a.DenyForProfile("yasmine", "game.example"); keyOf(err) != "profile" {
		t.Errorf("blocking a site on a hand-written profile: %v", err)
	}
	// Blocking a site takes it off the allow list, allowing it again off
	// the deny list, which the policy reads first.
	client := policy.Client{Addr: netip.MustParseAddr("192.168.1.23")}
	if err := a.DenyForProfile("adam-jr", "school.example"); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.ConsoleProfile("adam-jr"); len(p.Allow) != 0 || len(p.Deny) != 1 {
		t.Fatalf("after deny: allow %v, deny %v", p.Allow, p.Deny)
	}
	if d := a.Policy().Decide(client, "school.example", dns.TypeA, a.Now()); d.Action != policy.Block || d.Why != policy.ByDeny {
		t.Errorf("after deny: %+v", d)
	}
	if err := a.AllowForProfile("adam-jr", "school.example"); err != nil {
		t.Fatal(err)
	}
	if d := a.Policy().Decide(client, "school.example", dns.TypeA, a.Now()); d.Action != policy.Allow {
		t.Errorf("allowed again: %+v", d)
	}
}

func TestPauseUntilTomorrowEndsInTheMorning(t *testing.T) {
	now := time.Date(2026, 12, 7, 19, 30, 0, 0, time.UTC)
	a := consoleAppliance(t, now)
	ps, err := a.PauseFor("yasmine", "tomorrow")
	if err != nil || len(ps) != 1 || !ps[0].Until.Equal(time.Date(2026, 12, 8, MorningHour, 0, 0, 0, time.UTC)) {
		t.Fatalf("PauseFor tomorrow: %v %v", ps, err)
	}
	if ps, err = a.PauseFor("yasmine", "45m"); err != nil || !ps[0].Until.Equal(now.Add(45*time.Minute)) {
		t.Fatalf("PauseFor 45m: %v %v", ps, err)
	}
	if _, err := a.PauseFor("yasmine", "soon"); keyOf(err) != "duration" {
		t.Fatalf("PauseFor soon: %v", err)
	}
}
