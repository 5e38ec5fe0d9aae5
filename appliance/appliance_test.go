package appliance

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// testConfig parses src as amane.toml with state in a temporary directory.
func testConfig(t *testing.T, src string) *configs.File {
	t.Helper()
	dir := t.TempDir()
	// The catalog is off: its default lists are on the internet.
	cfg, err := configs.Parse("amane.toml", []byte("state_dir = \""+dir+"\"\n[upstream]\nservers = [\"udp://127.0.0.1:9\"]\n[catalog]\nenabled = false\n"+src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newAppliance(t *testing.T, cfg *configs.File) *Appliance {
	t.Helper()
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// TestAReloadThatDoesNotCompileChangesNothing builds a configuration whose
// resolver part compiles but whose policy does not: before issue 9 the
// resolver's settings were swapped in before the policy was compiled.
func TestAReloadThatDoesNotCompileChangesNothing(t *testing.T) {
	a := newAppliance(t, testConfig(t, ""))
	a.Start()
	running, pol := a.Config(), a.Policy()

	next := testConfig(t, "")
	next.Upstream.Servers = []string{"udp://127.0.0.2:9"}
	next.Profiles = []policy.ProfileConfig{{Name: "child", Preset: "no-such-preset"}}
	next.StateDir = running.StateDir
	if err := a.Reload(next); err == nil {
		t.Fatal("a policy that does not compile was taken")
	}
	if got := a.Handler().Config().Upstream.Servers; !slices.Equal(got, running.Upstream.Servers) {
		t.Fatalf("the resolver now forwards to %q", got)
	}
	if a.Config() != running || a.Policy() != pol {
		t.Fatal("the configuration or the policy in force changed")
	}

	good := testConfig(t, "")
	good.Upstream.Servers = []string{"udp://127.0.0.2:9"}
	good.StateDir = running.StateDir
	if err := a.Reload(good); err != nil {
		t.Fatal(err)
	}
	if got := a.Handler().Config().Upstream.Servers; !slices.Equal(got, good.Upstream.Servers) || a.Config() != good {
		t.Fatalf("a good reload was not applied: upstreams %q", got)
	}
}

// TestOnlyTheNewestListBuildPublishes plays the race of issue 9: a build
// begun under the previous configuration delivers its Set after a newer
// build started; it must not overwrite the newer lists.
func TestOnlyTheNewestListBuildPublishes(t *testing.T) {
	dir := t.TempDir()
	oldList, newList := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")
	os.WriteFile(oldList, []byte("old.example\n"), 0o644)
	os.WriteFile(newList, []byte("new.example\n"), 0o644)
	list := func(path string) string {
		return "[filter]\nblock = [\"malware\"]\n[[list]]\nname = \"l\"\ncategory = \"malware\"\npath = \"" + path + "\"\n"
	}
	a := newAppliance(t, testConfig(t, list(oldList)))
	a.Start()
	blocked := func(name string) bool {
		return a.Policy().Decide(policy.Client{}, name, 1, a.now()).Action == policy.Block
	}
	if !blocked("old.example") {
		t.Fatal("the first lists are not in force")
	}
	a.mu.Lock()
	older := &listBuild{gen: a.gen, sources: a.sources}
	a.mu.Unlock()
	next := testConfig(t, list(newList))
	next.StateDir = a.Config().StateDir
	if err := a.Reload(next); err != nil {
		t.Fatal(err)
	}
	if !blocked("new.example") || blocked("old.example") {
		t.Fatal("the new lists are not in force")
	}
	stale := compile(t, "old.example\n")
	a.rebuilt(older, stale)
	if !blocked("new.example") || blocked("old.example") {
		t.Fatal("a Set from the previous configuration's build replaced the newer lists")
	}

	t.Run("a rebuild that lands before its build is adopted is not lost", func(t *testing.T) {
		b := a.buildLists(a.Config())
		fresher := compile(t, "fresher.example\n")
		a.rebuilt(b, fresher)
		a.mu.Lock()
		a.adoptLocked(b)
		a.publishLocked()
		a.mu.Unlock()
		if !blocked("fresher.example") {
			t.Fatal("the rebuild's Set was replaced by the build's first one")
		}
	})
}

func compile(t *testing.T, rules string) *blocklist.Set {
	t.Helper()
	b := blocklist.NewBuilder()
	f := filepath.Join(t.TempDir(), "l.txt")
	os.WriteFile(f, []byte(rules), 0o644)
	r, _ := os.Open(f)
	defer r.Close()
	if _, err := b.Parse(b.AddList("l", blocklist.Malware), r, blocklist.FormatDomains); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAConsoleChangeChangesAnswers saves a profile and a device as the
// console does; the next decision for that device follows them, and they
// survive a restart (configs.Load reads them back).
func TestAConsoleChangeChangesAnswers(t *testing.T) {
	cfg := testConfig(t, "")
	path := filepath.Join(t.TempDir(), "amane.toml")
	os.WriteFile(path, []byte("state_dir = \""+cfg.StateDir+"\"\n[catalog]\nenabled = false\n"), 0o600)
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newAppliance(t, cfg)
	a.Start()
	tablet := policy.Client{Addr: netip.MustParseAddr("192.168.1.23")}
	if d := a.Policy().Decide(tablet, "example.org", 1, a.now()); d.Action != policy.Allow {
		t.Fatalf("before: %+v", d)
	}
	err = a.SaveConsole(configs.Console{
		Profiles: []policy.ProfileConfig{{Name: "kid", Preset: "9-12", Deny: []string{"example.org"}}},
		Devices:  []policy.DeviceConfig{{Name: "tablet", IP: tablet.Addr, Profile: "kid"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := a.Policy().Decide(tablet, "example.org", 1, a.now()); d.Action != policy.Block || d.Why != policy.ByDeny {
		t.Fatalf("after: %+v", d)
	}
	again, err := configs.Load(path)
	if err != nil || len(again.Devices) != 1 || again.Devices[0].Profile != "kid" {
		t.Fatalf("after a restart: %+v, %v", again.Devices, err)
	}
	if err := a.SaveConsole(configs.Console{Devices: []policy.DeviceConfig{{Name: "tv", IP: tablet.Addr, Profile: "nobody"}}}); err == nil {
		t.Fatal("a device with an unknown profile was saved")
	}
	if d := a.Policy().Decide(tablet, "example.org", 1, a.now()); d.Why != policy.ByDeny {
		t.Fatalf("a refused change changed the policy: %+v", d)
	}
}
