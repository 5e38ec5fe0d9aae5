package doctor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stateConfig is a configuration with a state directory and two lists,
// listening on a free loopback port, with no upstream to ask.
func stateConfig(t *testing.T, stateDir string) string {
	return writeConfig(t, `state_dir = "`+stateDir+`"
[server]
listen = ["`+deadAddr(t)+`"]
[upstream]
servers = ["udp://`+deadAddr(t)+`"]
[[list]]
name = "gambling"
category = "gambling"
url = "https://lists.example/gambling.txt"
[[list]]
name = "mine"
category = "adult"
path = "/etc/amane/mine.txt"
`)
}

func writeStatus(t *testing.T, stateDir string, sts []listStatus) {
	t.Helper()
	b, _ := json.Marshal(sts)
	os.MkdirAll(filepath.Join(stateDir, "lists"), 0o755)
	if err := os.WriteFile(filepath.Join(stateDir, "lists", "status.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLists(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status []listStatus // nil: no status file
		st     Status
		text   string
	}{
		{"no status file says amane has not run", nil, Warn, "no list status yet"},
		{"every list loaded is OK", []listStatus{{Name: "gambling", Names: 3, Updated: now}, {Name: "mine", Names: 2, Updated: now}}, OK, "2 lists loaded, 5 names"},
		{"a list failing for an hour is a warning", []listStatus{{Name: "gambling", Names: 3, Err: "HTTP 404", ErrorSince: now.Add(-time.Hour)}, {Name: "mine", Names: 2}}, Warn, "gambling failing for 1h0m0s: HTTP 404"},
		{"a list failing for two days is a failure", []listStatus{{Name: "gambling", Names: 3, Err: "HTTP 404", ErrorSince: now.Add(-48 * time.Hour)}, {Name: "mine", Names: 2}}, Fail, "failing for 48h0m0s"},
		{"an empty list is a warning", []listStatus{{Name: "gambling", Names: 3, Updated: now}, {Name: "mine"}}, Warn, "mine holds no names"},
		{"a list missing from the status is not loaded", []listStatus{{Name: "gambling", Names: 3, Updated: now}}, Warn, "mine is not loaded yet"},
		{"a download unchanged for months is stale", []listStatus{{Name: "gambling", Names: 3, Updated: now.Add(-90 * 24 * time.Hour)}, {Name: "mine", Names: 2}}, Warn, "has not changed for 90 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			if tt.status != nil {
				writeStatus(t, state, tt.status)
			}
			d := testDoctor(stateConfig(t, state))
			d.Timeout = 200 * time.Millisecond
			rs := find(d.Run(context.Background()), "lists")
			if len(rs) != 1 {
				t.Fatalf("got %v, want one lists result", rs)
			}
			want(t, rs[0], tt.st, tt.text)
		})
	}
}

func TestStateDir(t *testing.T) {
	t.Run("a missing directory says how to make it", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		d := testDoctor(stateConfig(t, missing))
		rs := find(d.Run(context.Background()), "state")
		want(t, rs[0], Warn, "does not exist yet")
	})
	t.Run("a writable directory with room is OK", func(t *testing.T) {
		d := testDoctor(stateConfig(t, t.TempDir()))
		rs := d.Run(context.Background())
		want(t, find(rs, "state")[0], OK, "is writable")
		want(t, find(rs, "disk")[0], OK, "free of")
	})
	for _, tt := range []struct {
		name        string
		free, total uint64
		st          Status
		text        string
	}{
		{"a disk without room for a new copy is a failure", 8 << 20, 8 << 30, Fail, "not enough"},
		{"a disk 97% full is a warning", 200 << 20, 8 << 30, Warn, "nearly full"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := testDoctor(stateConfig(t, t.TempDir()))
			d.System.DiskSpace = func(string) (uint64, uint64, error) { return tt.free, tt.total, nil }
			want(t, find(d.Run(context.Background()), "disk")[0], tt.st, tt.text)
		})
	}
}

func TestClock(t *testing.T) {
	d := testDoctor("")
	d.defaults()
	want(t, d.checkClock(), OK, "synchronized")
	d.System.ClockSynced = func() (bool, error) { return false, nil }
	want(t, d.checkClock(), Warn, "not synchronized")
	d.Now = func() time.Time { return time.Date(1970, 1, 1, 0, 2, 0, 0, time.UTC) }
	r := d.checkClock()
	want(t, r, Fail, "1970-01-01")
	if !strings.Contains(r.Fix, "timedatectl set-ntp true") {
		t.Errorf("fix %q does not say how to turn NTP on", r.Fix)
	}
}

func TestMemoryWarnsWhenTheListsAreTooLargeForTheMachine(t *testing.T) {
	proc := t.TempDir()
	os.WriteFile(filepath.Join(proc, "meminfo"), []byte("MemTotal:         125000 kB\nMemFree: 1 kB\n"), 0o644)
	state := t.TempDir()
	writeStatus(t, state, []listStatus{{Name: "gambling", Names: 3_000_000}, {Name: "mine", Names: 1}})
	d := testDoctor(stateConfig(t, state))
	d.Proc = proc
	want(t, find(d.Run(context.Background()), "memory")[0], Warn, "too much for this machine")
	writeStatus(t, state, []listStatus{{Name: "gambling", Names: 100_000}, {Name: "mine", Names: 1}})
	want(t, find(d.Run(context.Background()), "memory")[0], OK, "100001 names")
}

func TestLeases(t *testing.T) {
	d := testDoctor("")
	d.defaults()
	want(t, d.checkLeases(), OK, "no DHCP leases file")
	leases := filepath.Join(t.TempDir(), "dnsmasq.leases")
	os.WriteFile(leases, []byte("1700000000 aa:bb:cc:dd:ee:ff 192.168.1.20 tablet *\n"), 0o644)
	d.LeaseFiles = []string{"/nonexistent/dhcp.leases", leases}
	want(t, d.checkLeases(), OK, leases+" is readable")
	if os.Geteuid() != 0 { // root reads it whatever its mode
		os.Chmod(leases, 0)
		want(t, d.checkLeases(), Warn, "not readable")
	}
}

// TestABlockedCategoryThatBlocksNothing is a parent who switched weapons
// on: no public list fills it, and the doctor says so.
func TestABlockedCategoryThatBlocksNothing(t *testing.T) {
	state := t.TempDir()
	writeStatus(t, state, []listStatus{{Name: "mine", Names: 2, Updated: time.Now()}})
	d := testDoctor(writeConfig(t, `state_dir = "`+state+`"
[server]
listen = ["`+deadAddr(t)+`"]
[upstream]
servers = ["udp://`+deadAddr(t)+`"]
[filter]
block = ["weapons", "adult"]
[[list]]
name = "mine"
category = "adult"
path = "/etc/amane/mine.txt"
`))
	d.Timeout = 200 * time.Millisecond
	rs := find(d.Run(context.Background()), "lists")
	if len(rs) != 1 {
		t.Fatalf("got %v, want the weapons warning alone", rs)
	}
	want(t, rs[0], Warn, "weapons is blocked, but no list fills it")
}
