package configs

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/amane-dns/amane/policy"
)

func writeHand(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "amane.toml")
	src := "state_dir = \"state\"\n[[profile]]\nname = \"teen\"\npreset = \"13-17\"\n[[device]]\nname = \"laptop\"\nip = \"192.168.1.9\"\nprofile = \"teen\"\n" + extra
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConsoleSettingsRoundTrip(t *testing.T) {
	path := writeHand(t, "")
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c := Console{
		Profiles: []policy.ProfileConfig{{
			Name: "yasmine", Preset: "9-12", Allow: []string{"khanacademy.org"},
			SafeSearch: ptr(policy.SafeSearch("google", "youtube-moderate")),
			Schedules: []policy.ScheduleConfig{{Days: []string{"sun", "mon", "tue", "wed", "thu"}, From: "21:00", To: "07:00",
				Block: policy.CategorySpec{All: true}}},
			Budgets: []policy.BudgetConfig{{Categories: []string{"games"}, Minutes: 60, WeekendMinutes: 120}},
		}},
		Devices: []policy.DeviceConfig{{Name: "tablet", MAC: "aa:bb:cc:dd:ee:ff", Profile: "yasmine"}},
	}
	next, err := f.WriteConsole(c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Profiles, next.Profiles) || !reflect.DeepEqual(again.Devices, next.Devices) {
		t.Fatalf("what was written does not read back:\nwrote %+v\nread  %+v", next.Profiles, again.Profiles)
	}
	if len(again.Profiles) != 2 || !again.ProfileSetByHand("teen") || again.ProfileSetByHand("yasmine") || !again.DeviceSetByHand("laptop") {
		t.Fatalf("profiles %+v", again.Profiles)
	}
	t.Run("a later change replaces the console's objects, never the hand-written ones", func(t *testing.T) {
		c.Devices = nil
		next, err := again.WriteConsole(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Devices) != 1 || next.Devices[0].Name != "laptop" {
			t.Fatalf("devices %+v", next.Devices)
		}
	})
}

func TestConsoleRefusesWhatIsWrong(t *testing.T) {
	f, err := Load(writeHand(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    Console
		key  string
	}{
		{"a profile the hand-written file sets", Console{Profiles: []policy.ProfileConfig{{Name: "teen", Preset: "adult"}}}, "profile[0].name"},
		{"a bedtime that is not a time", Console{Profiles: []policy.ProfileConfig{{Name: "kid", Preset: "9-12",
			Schedules: []policy.ScheduleConfig{{Days: []string{"all"}, From: "25:00", To: "07:00", Block: policy.CategorySpec{All: true}}}}}}, "profile[0].schedule[0].from"},
		{"a device whose profile does not exist", Console{Devices: []policy.DeviceConfig{{Name: "tv", IP: mustAddr("192.168.1.50"), Profile: "nobody"}}}, "device[0].profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused next to its field", func(t *testing.T) {
			_, err := f.WriteConsole(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.key+":") {
				t.Fatalf("want a problem at %s, got %v", tt.key, err)
			}
			if _, statErr := os.Stat(f.ConsolePath()); !os.IsNotExist(statErr) {
				t.Fatal("a refused change was written")
			}
		})
	}
	t.Run("a console file edited by hand into a mistake names its line", func(t *testing.T) {
		os.MkdirAll(f.StateDir, 0o750)
		os.WriteFile(f.ConsolePath(), []byte("[[profile]]\nname = \"kid\"\npreset = \"9-12\"\n[filter]\nblock = []\n"), 0o600)
		_, err := Load(f.Path)
		if err == nil || !strings.Contains(err.Error(), ConsoleFile+":4: filter: unknown key") {
			t.Fatalf("got %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
