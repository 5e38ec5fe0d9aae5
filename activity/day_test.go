package activity

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
	bolt "go.etcd.io/bbolt"
)

// TestMemoryOfABusyHouse drives the writer as 20 devices asking 50 names a
// second each would, on a fake clock, writing every five minutes, and
// states what it holds: the Go heap after a collection, the process's
// peak RSS and the bbolt file. By default it simulates ten minutes; with
// AMANE_ACTIVITY_DAY=1 a whole day (86.4 million answers: minutes of CPU).
func TestMemoryOfABusyHouse(t *testing.T) {
	span := 10 * time.Minute
	if os.Getenv("AMANE_ACTIVITY_DAY") != "" {
		span = 24 * time.Hour
	} else if testing.Short() {
		t.Skip("drives 600,000 answers")
	}
	const devices, perSecond = 20, 50
	no := false
	cfg := policy.Config{Filter: policy.DefaultFilterConfig(), Profiles: []policy.ProfileConfig{
		{Name: "child", Preset: "9-12"}, {Name: "adult", Preset: "adult"}, {Name: "quiet", Preset: "adult", Activity: &no}}}
	addrs := make([]netip.Addr, devices)
	for i := range devices {
		addrs[i] = netip.AddrFrom4([4]byte{192, 168, 1, byte(10 + i)})
		cfg.Devices = append(cfg.Devices, policy.DeviceConfig{Name: fmt.Sprintf("device-%d", i), IP: addrs[i],
			Profile: []string{"child", "child", "adult", "quiet"}[i%4]})
	}
	pol, err := policy.NewSnapshot(cfg, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 5000) // a house's names: a few popular, a long tail
	for i := range names {
		names[i] = fmt.Sprintf("www.site-%d.example.com", i)
	}
	dbPath := filepath.Join(t.TempDir(), "amane.db")
	db, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &clock{t0}
	l, err := New(db, DefaultConfig(), Options{Location: casablanca, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, uint64(len(names)-1))
	step := time.Second / (devices * perSecond)
	nextFlush := t0.Add(5 * time.Minute)
	var n int
	for at := t0; at.Before(t0.Add(span)); at = at.Add(step) {
		d := n % devices
		ev := Event{At: at, Client: policy.Client{Addr: addrs[d]}, Policy: pol, QType: 1, Cached: n%3 != 0}
		ev.SetName(names[zipf.Uint64()])
		if n%20 == 0 {
			ev.Action, ev.Categories = policy.Block, blocklist.CategoriesOf(blocklist.Category(n/20%int(blocklist.NumCategories)))
		}
		l.Record(ev)
		n++
		if at.After(nextFlush) {
			c.t = at
			l.Flush()
			nextFlush = at.Add(5 * time.Minute)
		}
	}
	c.t = t0.Add(span)
	l.Flush()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st, _ := os.Stat(dbPath)
	t.Logf("%d answers over %v: heap in use %.1f MiB after GC, peak RSS %s, bbolt %.1f MiB; %d devices in memory, %d hours unwritten",
		n, span, float64(ms.HeapInuse)/(1<<20), peakRSS(), float64(st.Size())/(1<<20), len(l.devices), len(l.hours))
	if ms.HeapInuse > 64<<20 {
		t.Errorf("the heap holds %d MiB: the log is not bounded", ms.HeapInuse>>20)
	}
	if got := len(l.Recent("device-0", Filter{})); got != DefaultConfig().Recent {
		t.Errorf("device-0 keeps %d answers, want %d", got, DefaultConfig().Recent)
	}
}

// peakRSS is VmHWM from /proc/self/status (Linux), or "?".
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// TestTopNamesKeepTheHeavyHitters: a Zipf stream of 200,000 questions over
// 20,000 names, as a device asks through an hour. Space-saving with
// trackNames counters guarantees that a name asked more than
// N/trackNames times is kept, with a count at least its true count and at
// most N/trackNames more; the top 20 reported must be those names.
func TestTopNamesKeepTheHeavyHitters(t *testing.T) {
	const n = 200000
	rng := rand.New(rand.NewPCG(7, 12))
	zipf := rand.NewZipf(rng, 1.2, 1, 19999)
	truth := map[string]uint32{}
	h := &Hour{}
	for range n {
		name := "site" + strconv.FormatUint(zipf.Uint64(), 10) + ".example"
		truth[name]++
		h.count(name)
	}
	bound := uint32(n / trackNames)
	top := h.top()
	if len(top) != TopNames {
		t.Fatalf("%d top names, want %d", len(top), TopNames)
	}
	for i, nc := range top {
		if c := truth[nc.Name]; nc.Count < c || nc.Count > c+bound {
			t.Errorf("%s: counted %d, asked %d times (the bound is +%d)", nc.Name, nc.Count, c, bound)
		}
		if i > 0 && top[i-1].Count < nc.Count {
			t.Errorf("top names out of order at %d: %v", i, top)
		}
	}
	for name, c := range truth {
		if c <= bound {
			continue
		}
		found := false
		for _, nc := range h.track.counts() {
			found = found || nc.Name == name
		}
		if !found {
			t.Errorf("%s asked %d times (> %d) is not tracked", name, c, bound)
		}
	}
	// A restart reads the top names back and goes on counting them.
	again := &Hour{Top: top}
	again.count(top[0].Name)
	if got := again.top()[0]; got.Name != top[0].Name || got.Count != top[0].Count+1 {
		t.Errorf("after a restart the first name is %+v, want %s at %d", got, top[0].Name, top[0].Count+1)
	}
}
