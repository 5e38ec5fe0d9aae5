package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/bench/fakeupstream"
)

// buildAmane and buildHelpline compile the commands once per test binary.
var (
	buildAmane    = sync.OnceValues(func() (string, error) { return buildCommand(".", "amane") })
	buildHelpline = sync.OnceValues(func() (string, error) { return buildCommand("../amane-helpline", "amane-helpline") })
)

func buildCommand(pkg, name string) (string, error) {
	dir, err := os.MkdirTemp("", name+"-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// daemon is a running `amane serve` whose log lines a test can wait for.
type daemon struct {
	cmd   *exec.Cmd
	lines chan string
}

func startDaemon(t *testing.T, config string) *daemon {
	t.Helper()
	bin, err := buildAmane()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-config", config)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return d
}

// waitLog waits for a log line containing want, failing after 10 s. The
// lines before it are passed over.
func (d *daemon) waitLog(t *testing.T, want string) string {
	t.Helper()
	return d.waitLogWithin(t, want, 10*time.Second)
}

// waitLogWithin is waitLog for what takes longer than most (a retry after
// a backoff).
func (d *daemon) waitLogWithin(t *testing.T, want string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case line, ok := <-d.lines:
			if !ok {
				t.Fatalf("amane exited before logging %q", want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-deadline:
			t.Fatalf("no log line with %q within %s", want, limit)
		}
	}
}

// waitFeed waits until amane answers and has compiled the lists of its
// first feed version: the first poll runs beside the start, so the two
// may come in either order. It returns the address amane answers on.
func (d *daemon) waitFeed(t *testing.T) string {
	t.Helper()
	var answering string
	feed, lists := false, false
	deadline := time.After(10 * time.Second)
	for answering == "" || !lists {
		select {
		case line, ok := <-d.lines:
			if !ok {
				t.Fatal("amane exited before it answered with its feed")
			}
			switch {
			case strings.Contains(line, "amane is answering"):
				answering = line
			case strings.Contains(line, "feed updated"):
				feed = true
			case feed && strings.Contains(line, "lists loaded"):
				lists = true
			}
		case <-deadline:
			t.Fatalf("within 10 s: answering %v, feed updated %v, its lists loaded %v", answering != "", feed, lists)
		}
	}
	return boundAddr(t, answering)
}

func writeConfig(t *testing.T, path, listen, upstream, extra string) {
	t.Helper()
	// [catalog] is off: its default lists are on the internet, and a test
	// talks to loopback alone.
	cfg := fmt.Sprintf("state_dir = %q\n%s\n[server]\nlisten = [%q]\nrate_limit = 0\n[upstream]\nservers = [\"udp://%s\"]\n[catalog]\nenabled = false\n",
		filepath.Dir(path), extra, listen, upstream)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startFakeUpstream starts the bench's fake upstream on loopback for a test
// that runs the daemon (skipped in -short mode).
func startFakeUpstream(t *testing.T) *fakeupstream.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	up, err := fakeupstream.Start("127.0.0.1:0", fakeupstream.Options{TTL: 3600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	return up
}

// boundAddr reads the UDP address from the "amane is answering" line: the
// daemon binds port 0 itself, so no other test can take the port between
// choosing it and binding it.
func boundAddr(t *testing.T, line string) string {
	t.Helper()
	m := regexp.MustCompile(`udp=\[([0-9.:]+)\]`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	return m[1]
}

func TestServeReloadsStopsAndStartsWarm(t *testing.T) {
	up := startFakeUpstream(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), "")
	d := startDaemon(t, path)
	listen := boundAddr(t, d.waitLog(t, "amane is answering"))

	c := &dns.Client{Timeout: 2 * time.Second}
	askOK := func(name string) {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		r, _, err := c.Exchange(m, listen)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("%s: reply %v, err %v", name, r, err)
		}
	}
	askOK("example.com.")

	t.Run("saving a changed file reloads it", func(t *testing.T) {
		writeConfig(t, path, "127.0.0.1:0", up.Addr(), "[log]\nlevel = \"debug\"")
		d.waitLog(t, "configuration reloaded")
		askOK("example.net.")
	})
	t.Run("a file with a mistake is refused and the running one kept", func(t *testing.T) {
		writeConfig(t, path, "127.0.0.1:0", up.Addr(), "[cache]\nentries = -5")
		line := d.waitLog(t, "configuration change refused")
		if !strings.Contains(line, "amane.toml:") || !strings.Contains(line, "cache.entries") {
			t.Fatalf("the refusal does not say where: %s", line)
		}
		askOK("example.org.")
	})
	t.Run("SIGHUP reloads too", func(t *testing.T) {
		writeConfig(t, path, "127.0.0.1:0", up.Addr(), "")
		d.waitLog(t, "configuration reloaded") // the watch saw the save
		d.cmd.Process.Signal(syscall.SIGHUP)
		d.waitLog(t, "configuration reloaded")
	})
	t.Run("SIGTERM stops cleanly and saves the cache", func(t *testing.T) {
		d.cmd.Process.Signal(syscall.SIGTERM)
		d.waitLog(t, "cache saved")
		if err := d.cmd.Wait(); err != nil {
			t.Fatalf("exit: %v", err)
		}
	})
	t.Run("the next start reads the saved cache", func(t *testing.T) {
		d := startDaemon(t, path)
		line := d.waitLog(t, "saved cache read")
		if !strings.Contains(line, "answers=3") {
			t.Fatalf("want 3 saved answers: %s", line)
		}
	})
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.toml"), filepath.Join(dir, "bad.toml")
	os.WriteFile(good, []byte("[server]\nlisten = [\"127.0.0.1:53\"]\n"), 0o600)
	os.WriteFile(bad, []byte("[server]\nlisten = [\"127.0.0.1:53\"]\nratelimit = 5\n[cache]\nentries = 0\n"), 0o600)
	var out strings.Builder
	err := checkConfig(&out, []string{good, bad})
	if err == nil {
		t.Fatal("a bad file passed")
	}
	for _, want := range []string{good + ": OK", bad + ":3: server.ratelimit: unknown key", bad + ":5: cache.entries: must be at least 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

func TestServeBlocksListedNamesAndFollowsTheListFile(t *testing.T) {
	up := startFakeUpstream(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "games.txt")
	os.WriteFile(list, []byte("game.example\n"), 0o600)
	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), fmt.Sprintf(
		"[filter]\nblock = [\"games\"]\n[[list]]\nname = \"games\"\ncategory = \"games\"\npath = %q\n", list))
	d := startDaemon(t, path)
	listen := boundAddr(t, d.waitLog(t, "amane is answering"))
	rcode := func(name string) int {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.SetEdns0(1232, false)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, listen)
		if err != nil {
			t.Fatal(err)
		}
		return r.Rcode
	}
	if rc := rcode("www.game.example."); rc != dns.RcodeNameError {
		t.Fatalf("a listed name got %s", dns.RcodeToString[rc])
	}
	if rc := rcode("other.example."); rc != dns.RcodeSuccess {
		t.Fatalf("an unlisted name got %s", dns.RcodeToString[rc])
	}
	tmp := list + ".new"
	os.WriteFile(tmp, []byte("game.example\nother.example\n"), 0o600)
	os.Rename(tmp, list)
	d.waitLog(t, "lists rebuilt")
	if rc := rcode("other.example."); rc != dns.RcodeNameError {
		t.Fatalf("after the list changed, the newly listed name got %s", dns.RcodeToString[rc])
	}
}

func TestPauseBlocksADeviceAtOnceAndOutlivesARestart(t *testing.T) {
	up := startFakeUpstream(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), `always_allow = ["helpline.example"]
[[profile]]
name = "child"
preset = "9-12"
[[device]]
name = "tablet"
ip = "127.0.0.1"
profile = "child"`)
	d := startDaemon(t, path)
	listen := boundAddr(t, d.waitLog(t, "amane is answering"))
	rcode := func(listen, name string) int {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, listen)
		if err != nil {
			t.Fatal(err)
		}
		return r.Rcode
	}
	if rc := rcode(listen, "news.example."); rc != dns.RcodeSuccess {
		t.Fatalf("before the pause: %s", dns.RcodeToString[rc])
	}
	var out strings.Builder
	if err := pause(&out, []string{"-config", path, "tablet", "1h"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "tablet: paused until") {
		t.Fatalf("pause says: %s", out.String())
	}
	if rc := rcode(listen, "news.example."); rc != dns.RcodeNameError {
		t.Fatalf("right after the pause: %s", dns.RcodeToString[rc])
	}
	if rc := rcode(listen, "www.helpline.example."); rc != dns.RcodeSuccess {
		t.Fatalf("an always-allowed name during a pause: %s", dns.RcodeToString[rc])
	}
	if err := pause(&out, []string{"-config", path, "nobody"}); err == nil {
		t.Fatal("pausing an unknown device was accepted")
	}

	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
	d2 := startDaemon(t, path)
	listen = boundAddr(t, d2.waitLog(t, "amane is answering"))
	if rc := rcode(listen, "news.example."); rc != dns.RcodeNameError {
		t.Fatalf("after a restart the pause is gone: %s", dns.RcodeToString[rc])
	}
	if err := resume(&out, []string{"-config", path, "tablet"}); err != nil {
		t.Fatal(err)
	}
	if rc := rcode(listen, "news.example."); rc != dns.RcodeSuccess {
		t.Fatalf("after resume: %s", dns.RcodeToString[rc])
	}
}

func TestBudgetsThroughTheDaemon(t *testing.T) {
	up := startFakeUpstream(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "games.txt")
	os.WriteFile(list, []byte("game.example\n"), 0o600)
	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), fmt.Sprintf(`[log]
level = "debug"
[[list]]
name = "games"
category = "games"
path = %q
[[profile]]
name = "child"
preset = "9-12"
[[profile.budget]]
categories = ["games"]
minutes = 60
[[device]]
name = "tablet"
ip = "127.0.0.1"
profile = "child"`, list))
	d := startDaemon(t, path)
	listen := boundAddr(t, d.waitLog(t, "amane is answering"))
	m := new(dns.Msg)
	m.SetQuestion("play.game.example.", dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, listen)
	if err != nil || r.Rcode != dns.RcodeSuccess || r.Answer[0].Header().Ttl > 60 {
		t.Fatalf("a game within the budget: %v, err %v", r, err)
	}
	// The use reaches the accounting goroutine asynchronously; it logs
	// each minute it counts.
	d.waitLog(t, "budget minute counted")
	var out strings.Builder
	run := func(cmd func(io.Writer, []string) error, args []string, want string) {
		t.Helper()
		out.Reset()
		if err := cmd(&out, args); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("want %q, got %q", want, out.String())
		}
	}
	run(usageCommand, []string{"-config", path}, "tablet (child): games 1 of 60 minutes used, 59 left today")
	run(grant, []string{"-config", path, "tablet", "games", "15"}, "1 of 60 minutes + 15 granted used, 74 left today")
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
	d2 := startDaemon(t, path)
	d2.waitLog(t, "amane is answering")
	run(usageCommand, []string{"-config", path, "tablet"}, "games 1 of 60 minutes + 15 granted used")
}
