// Package doctor checks what usually goes wrong when amane is installed on
// a Raspberry Pi, a router or a school server, and says how to fix each
// thing in one line: port 53 taken by another program, a clock that never
// synchronized, upstreams out of reach, lists not loaded or failing, a
// state directory that cannot be written or is nearly full, a leases file
// that cannot be read, a configuration with mistakes.
//
// It works from the outside, as an operator would: the configuration file,
// the state directory, /proc, and probes of its own (a bind test, a DNS
// query to amane and to each upstream). It changes nothing. `amane doctor`
// is its command; it lives here, beside the packaging, because what it
// checks is how amane sits on the machine it was installed on.
package doctor

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/amane-dns/amane/configs"
)

// Status is a check's verdict.
type Status int

// The verdicts, from good to bad.
const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	}
	return "FAIL"
}

// Result is one line of the report.
type Result struct {
	Check  string // what was checked: "config", "listen", "upstream"...
	Status Status
	Msg    string // what was found
	Fix    string // what to do about it, one line; "" when there is nothing to do
}

// Doctor runs the checks. Only ConfigPath is required; the other fields
// replace a piece of the machine for tests and take the real one when zero.
type Doctor struct {
	ConfigPath string
	// Timeout bounds each network probe; default 3 s.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Proc is where /proc is mounted; default "/proc".
	Proc string
	// LeaseFiles are the DHCP leases files looked for, in order; default
	// Debian's and OpenWrt's dnsmasq leases.
	LeaseFiles []string
	// Root says whether the checks run with root's rights; default: the
	// effective user is root.
	Root *bool
	// System reads the clock's synchronization and the disk; default the
	// kernel's.
	System System
	// Extra adds the caller's checks of a configuration that loaded (the
	// command adds the helpline feeds' copies on disk).
	Extra func(*configs.File) []Result
}

// System is what the doctor asks the kernel.
type System struct {
	// ClockSynced reports whether the kernel's clock is disciplined by NTP.
	ClockSynced func() (bool, error)
	// DiskSpace returns the free and total bytes of the file system of dir.
	DiskSpace func(dir string) (free, total uint64, err error)
}

func (d *Doctor) defaults() {
	if d.Timeout == 0 {
		d.Timeout = 3 * time.Second
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Proc == "" {
		d.Proc = "/proc"
	}
	if d.LeaseFiles == nil {
		d.LeaseFiles = []string{"/var/lib/misc/dnsmasq.leases", "/tmp/dhcp.leases"}
	}
	if d.Root == nil {
		root := os.Geteuid() == 0
		d.Root = &root
	}
	if d.System.ClockSynced == nil {
		d.System.ClockSynced = clockSynced
	}
	if d.System.DiskSpace == nil {
		d.System.DiskSpace = diskSpace
	}
}

// Run runs every check and returns the results in the order of the report.
// Checks that need the configuration are skipped when it does not load.
func (d *Doctor) Run(ctx context.Context) []Result {
	d.defaults()
	cfg, res := d.checkConfig()
	out := []Result{res, d.checkClock()}
	if cfg == nil {
		return append(out, d.checkLeases())
	}
	for _, addr := range cfg.Server.Listen {
		out = append(out, d.checkListen(ctx, addr))
	}
	out = append(out, d.checkUpstreams(ctx, cfg)...)
	out = append(out, d.checkStateDir(cfg)...)
	lists, names := d.checkLists(cfg)
	out = append(out, lists...)
	if d.Extra != nil {
		out = append(out, d.Extra(cfg)...)
	}
	if len(cfg.Identify.Leases) > 0 { // the configured files are the ones that matter
		d.LeaseFiles = cfg.Identify.Leases
	}
	return append(out, d.checkMemory(cfg, names), d.checkLeases())
}

func (d *Doctor) checkConfig() (*configs.File, Result) {
	cfg, err := configs.Load(d.ConfigPath)
	if err != nil {
		first, more, _ := strings.Cut(err.Error(), "\n")
		if more != "" {
			first += fmt.Sprintf(" (and %d more)", strings.Count(more, "\n")+1)
		}
		return nil, Result{Check: "config", Status: Fail, Msg: first,
			Fix: "amane check-config " + d.ConfigPath + " lists every problem with its line; fix them and run amane doctor again"}
	}
	msg := fmt.Sprintf("%s: %s, %s, %s", d.ConfigPath,
		count(len(cfg.Lists), "list"), count(len(cfg.Feeds), "feed"), count(len(cfg.Upstream.Servers), "upstream"))
	return cfg, Result{Check: "config", Status: OK, Msg: msg}
}

// Write prints the results, one check a line with its fix below it, and a
// summary; it returns how many checks failed.
func Write(w io.Writer, rs []Result) (failed int) {
	var counts [3]int
	for _, r := range rs {
		counts[r.Status]++
		fmt.Fprintf(w, "%-5s %-9s %s\n", r.Status, r.Check, r.Msg)
		if r.Fix != "" {
			fmt.Fprintf(w, "%16sfix: %s\n", "", r.Fix)
		}
	}
	fmt.Fprintf(w, "\n%d OK, %d WARN, %d FAIL", counts[OK], counts[Warn], counts[Fail])
	switch {
	case counts[Fail] > 0:
		fmt.Fprintln(w, ": fix the FAIL lines first, then run amane doctor again.")
	case counts[Warn] > 0:
		fmt.Fprintln(w, ": amane can work; the WARN lines say what would make it better.")
	default:
		fmt.Fprintln(w, ": all good.")
	}
	return counts[Fail]
}

// count says "1 list" or "3 lists".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
