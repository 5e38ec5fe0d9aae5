package activity

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	bolt "go.etcd.io/bbolt"
)

// family is a snapshot with a child's tablet, a parent's phone and a
// device that opted out; everyone else gets the default filter.
func family(t testing.TB) *policy.Snapshot {
	t.Helper()
	no := false
	cfg := policy.Config{Timezone: "Africa/Casablanca", Filter: policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{{Name: "yasmine", Preset: "9-12"}, {Name: "parents", Preset: "adult"}},
		Devices: []policy.DeviceConfig{
			{Name: "tablet", IP: tablet, Profile: "yasmine"},
			{Name: "phone", IP: phone, Profile: "parents"},
			{Name: "diary", IP: diary, Profile: "yasmine", Activity: &no},
		}}
	p, err := policy.NewSnapshot(cfg, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	tablet   = netip.MustParseAddr("192.168.1.10")
	phone    = netip.MustParseAddr("192.168.1.11")
	diary    = netip.MustParseAddr("192.168.1.12")
	stranger = netip.MustParseAddr("192.168.1.99")
	// t0 is a Tuesday evening in Casablanca (UTC+1).
	t0         = time.Date(2026, 12, 1, 20, 14, 0, 0, time.UTC)
	casablanca = mustLoad("Africa/Casablanca")
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// event is an answer for name from addr at at.
func event(p *policy.Snapshot, addr netip.Addr, name string, at time.Time) Event {
	ev := Event{At: at, Client: policy.Client{Addr: addr}, Policy: p, QType: 1, Cached: true}
	ev.SetName(name)
	return ev
}

// blocked makes ev a block for cats.
func blocked(ev Event, why policy.Why, cats ...blocklist.Category) Event {
	ev.Action, ev.Why, ev.Categories, ev.Cached = policy.Block, why, blocklist.CategoriesOf(cats...), false
	return ev
}

// clock is a fake clock a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// openDB opens a bbolt file in a test directory.
func openDB(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "amane.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newLog returns a log over db with mode, on clock c.
func newLog(t testing.TB, db *bolt.DB, mode string, c *clock) *Log {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Log = mode
	l, err := New(db, cfg, Options{Location: casablanca, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return l
}
