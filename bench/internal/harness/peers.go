package harness

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// OneClientLimits are the lines of AmaneConfig's [server] table that let one
// client stand for a whole network, as dnsperf does: no per-client rate
// limit, and a per-device share of the upstream (an eighth of
// max_concurrent) above dnsperf's 500 outstanding misses, as unbound's
// num-queries-per-thread is raised so that it never binds. A scenario of
// several devices (the fairness scenario) replaces them.
const OneClientLimits = "rate_limit = 0 # per-client limit off: dnsperf is one client\n" +
	"max_concurrent = 4096 # an eighth, a device's share, is 512: above dnsperf -q 500\n"

// AmaneConfig returns amane's TOML config: listen on listen, forward to
// upstream (host:port) over UDP, cache on, OneClientLimits, state in
// stateDir, clock in UTC (Household's schedules are placed in it).
func AmaneConfig(stateDir, listen, upstream string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state_dir = %q\ntimezone = \"UTC\"\n\n", stateDir)
	fmt.Fprintf(&b, "[server]\nlisten = [%q]\nallow = [\"127.0.0.0/8\"]\n", listen)
	b.WriteString(OneClientLimits + "\n")
	fmt.Fprintf(&b, "[upstream]\nservers = [%q]\ntimeout = \"2s\"\n\n", "udp://"+upstream)
	b.WriteString("[cache]\nentries = 100000\n\n")
	// Only what the run gives: the catalog's default lists are on the
	// internet, and a load test talks to loopback alone.
	b.WriteString("[catalog]\nenabled = false\n")
	return b.String()
}

// DnsmasqCacheSize is dnsmasq's --cache-size: twice the load test's cached
// working set of 10,000 names. Smaller would be brittle (one name more than
// the cache and the cached phase turns into misses). Larger makes dnsmasq
// crawl once a miss flood has filled the cache with live entries: every
// insert then scans the whole cache for expired entries (really_insert and
// cache_scan_free in its cache.c), about 0.2 ms at 10,000 entries, 0.4 ms at
// 20,000 and 40 ms at 100,000 on this machine.
const DnsmasqCacheSize = 20000

// DnsmasqArgs returns the flags that make dnsmasq a caching forwarder on
// 127.0.0.1:port to upstream (host:port) and nothing else; hostsFile, when
// not "", is a block list in hosts format.
func DnsmasqArgs(port int, upstream, hostsFile string) []string {
	host, upPort, _ := net.SplitHostPort(upstream)
	args := []string{
		// In the foreground, no config file, no PID file, log to stderr.
		"--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--log-facility=-",
		// Staying root avoids a change of credentials, which would clear
		// the parent-death signal that kills it with the harness.
		"--user=root",
		"--port=" + strconv.Itoa(port), "--listen-address=127.0.0.1", "--bind-interfaces",
		// Forward everything to the upstream: no /etc/resolv.conf, no /etc/hosts.
		"--no-resolv", "--no-hosts", "--server=" + host + "#" + upPort,
		"--cache-size=" + strconv.Itoa(DnsmasqCacheSize),
		// The default of 150 queries in flight to the upstream caps the
		// miss phase (500 outstanding at 20 ms) at 7,500 qps.
		"--dns-forward-max=1000",
	}
	if hostsFile != "" {
		args = append(args, "--addn-hosts="+hostsFile)
	}
	return args
}

// UnboundConfig returns unbound's config: a caching forwarder on
// 127.0.0.1:port to upstream (host:port), working in dir; include, when not
// "", is a file of local-zone lines (the block list).
func UnboundConfig(dir string, port int, upstream, include string) string {
	host, upPort, _ := net.SplitHostPort(upstream)
	inc := ""
	if include != "" {
		inc = fmt.Sprintf("    include: %q\n", include)
	}
	return fmt.Sprintf(unboundConf, dir, port, inc, host, upPort)
}

// unboundConf is a caching forwarder with one thread, in the foreground,
// logging to stderr, with no DNSSEC validation (amane and dnsmasq do not
// validate either), no privilege drop and no remote control.
const unboundConf = `server:
    verbosity: 1
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    pidfile: ""
    so-reuseport: no
    directory: %q
    interface: 127.0.0.1@%d
    access-control: 127.0.0.0/8 allow
    num-threads: 1
    module-config: "iterator"
    do-not-query-localhost: no
    msg-cache-size: 64m
    rrset-cache-size: 128m
    # Room for the miss phase's 500 outstanding queries; the defaults
    # (1024 and 4096) would do, raised so they never bind.
    num-queries-per-thread: 4096
    outgoing-range: 8192
    prefetch: no
    qname-minimisation: no
    hide-version: yes
    hide-identity: yes
%s
remote-control:
    control-enable: no

forward-zone:
    name: "."
    forward-addr: %s@%s
`

// Household returns the [[profile]], [[device]] and [[network]] tables of
// PERFORMANCE.md's "realistic policy", under which its targets are set: 5
// profiles, one per preset, each with a bedtime and a school-hours
// schedule and two budgets; 20 devices; two school networks. It is the mix
// of policy's BenchmarkDecide, as a config file.
//
// client, the load generator's address, is the first device, a parent's
// phone on the adult profile: every answer it gets goes through a named
// device's profile and its schedules, and an answer in a budgeted
// category (the load test's social list) through its budgets, while
// the phases' answers stay those of a plain resolver (no safe-search
// rewrite, no app blocked by name). The schedules are evaluated on every
// answer but placed, in UTC (AmaneConfig's timezone), six to eight hours
// after now, so that none applies during a run; the budgets are long
// enough that a run never spends them.
func Household(client string, now time.Time) string {
	var b strings.Builder
	from, to := now.UTC().Add(6*time.Hour).Format("15:04"), now.UTC().Add(8*time.Hour).Format("15:04")
	for i, preset := range []string{"adult", "under-9", "9-12", "13-17", "school-lab"} {
		fmt.Fprintf(&b, "[[profile]]\nname = \"p%d\"\npreset = %q\nallow = [\"khanacademy.org\"]\ndeny = [\"example-game.com\"]\n\n", i, preset)
		fmt.Fprintf(&b, "[[profile.schedule]]\ndays = [\"all\"]\nfrom = %q\nto = %q\nblock = \"all\"\n\n", from, to)
		fmt.Fprintf(&b, "[[profile.schedule]]\ndays = [\"weekdays\"]\nfrom = %q\nto = %q\nblock = [\"games\", \"social\"]\n\n", from, to)
		b.WriteString("[[profile.budget]]\ncategories = [\"games\"]\nminutes = 600\n\n")
		b.WriteString("[[profile.budget]]\ncategories = [\"video\", \"social\"]\nminutes = 600\nweekend_minutes = 900\n\n")
	}
	fmt.Fprintf(&b, "[[device]]\nname = \"d0\"\nip = %q\nprofile = \"p0\"\n\n", client)
	for i := 1; i < 20; i++ {
		fmt.Fprintf(&b, "[[device]]\nname = \"d%d\"\nip = \"192.168.1.%d\"\nmac = \"02:00:00:00:01:%02x\"\nprofile = \"p%d\"\n\n", i, 10+i, i, i%5)
	}
	b.WriteString("[[network]]\nname = \"room 3\"\ncidr = \"10.10.3.0/24\"\nprofile = \"p4\"\n\n")
	b.WriteString("[[network]]\nname = \"school\"\ncidr = \"10.10.0.0/16\"\nprofile = \"p3\"\n")
	return b.String()
}
