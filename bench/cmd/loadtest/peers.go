package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// peer is one server under test.
type peer struct {
	name    string
	port    int
	dir     string   // its own working directory under the output directory
	argv    []string // the command, before taskset
	lists   bool     // it was given the block list, so the blocked phase applies
	restart bool     // start it once to compile the list, then measure a second start
	missing string   // why it cannot run ("not built", "not installed"); "" when it can
	proc    *harness.Child
}

// addr is the server's UDP and TCP address.
func (p *peer) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// newPeer makes the peer's directory and picks its port.
func newPeer(name, out string) (*peer, error) {
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := harness.FreePort()
	if err != nil {
		return nil, err
	}
	return &peer{name: name, dir: dir, port: port}, nil
}

// setupAmane builds amane from the repository at repo as a release does
// (harness.AmaneBuild) and writes its config.
// A build failure is not an error of the harness: amane's column then says
// "not built" and the build output is in its directory. The list is loaded
// by extraConfig when there is one, else from listFile (domains format),
// when not "", as a malware list: a category every profile blocks.
func setupAmane(p *peer, repo, upstream, extraConfig, listFile string, social []string) error {
	bin := filepath.Join(p.dir, "amane")
	if out, err := harness.AmaneBuild(context.Background(), repo, bin).CombinedOutput(); err != nil {
		os.WriteFile(filepath.Join(p.dir, "build.log"), out, 0o644)
		p.missing = "not built"
		return nil
	}
	cfg := harness.AmaneConfig(filepath.Join(p.dir, "state"), p.addr(), upstream)
	// PERFORMANCE.md's targets are for a realistic policy: dnsperf's
	// address is a named device, among 20, of 5 profiles.
	cfg += "\n" + harness.Household("127.0.0.1", time.Now())
	if len(social) > 0 {
		// Social media, as a home's category lists would say: their answers
		// spend the household's video-and-social budget, as a child's
		// visits do. Not a block list: the other servers answer them alike.
		// In a directory of its own: amane watches a list's directory, and
		// p.dir gets dnsperf's output, a write per answer. It costs little
		// since the watch rests between reads (internal/watch), but the
		// bench measures answers, not the watch (it cost +20% CPU a miss
		// before).
		dir := filepath.Join(p.dir, "lists")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(dir, "social.domains")
		if err := os.WriteFile(path, []byte(strings.Join(social, "\n")+"\n"), 0o644); err != nil {
			return err
		}
		cfg += fmt.Sprintf("\n[[list]]\nname = \"bench-social\"\ncategory = \"social\"\npath = %q\nformat = \"domains\"\n", path)
	}
	if extraConfig != "" {
		extra, err := os.ReadFile(extraConfig)
		if err != nil {
			return fmt.Errorf("reading amane's extra config: %w", err)
		}
		cfg += "\n# from " + extraConfig + "\n" + string(extra)
		p.lists = true
	} else if listFile != "" {
		abs, err := filepath.Abs(listFile)
		if err != nil {
			return err
		}
		cfg += fmt.Sprintf("\n[filter]\nblock = [\"malware\"]\n\n[[list]]\nname = \"bench\"\ncategory = \"malware\"\npath = %q\nformat = \"domains\"\n", abs)
		p.lists = true
	}
	// amane keeps the compiled list in its state directory: the first start
	// compiles it, a later one loads it, which is the boot that counts.
	p.restart = p.lists
	path, err := amaneConfigPath(p)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	p.argv = []string{bin, "serve", "-config", path}
	return nil
}

// amaneConfigPath returns where amane's config goes: a directory of its
// own, which nothing else writes to during a run. amane watches the
// directory of its config file (package watch), so dnsperf's output
// written beside it woke amane for every write (and the Go runtime's
// sysmon after each wake-up): 4.5 % of its CPU in the miss phase, and
// 16 % in sysmon (perf, issue 14), a cost no real /etc/amane carries.
func amaneConfigPath(p *peer) (string, error) {
	dir := filepath.Join(p.dir, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, "amane.toml"), nil
}

// setupDnsmasq sets dnsmasq's flags; hostsFile, when not "", is the block
// list in hosts format.
func setupDnsmasq(p *peer, upstream, hostsFile string) error {
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		p.missing = "not installed"
		return nil
	}
	p.argv = append([]string{bin}, harness.DnsmasqArgs(p.port, upstream, hostsFile)...)
	p.lists = hostsFile != ""
	return nil
}

// setupUnbound writes unbound's config; zonesFile, when not "", holds the
// block list as local-zone lines.
func setupUnbound(p *peer, upstream, zonesFile string) error {
	bin, err := exec.LookPath("unbound")
	if err != nil {
		p.missing = "not installed"
		return nil
	}
	cfg := filepath.Join(p.dir, "unbound.conf")
	if err := os.WriteFile(cfg, []byte(harness.UnboundConfig(p.dir, p.port, upstream, zonesFile)), 0o644); err != nil {
		return err
	}
	p.argv = []string{bin, "-d", "-c", cfg}
	p.lists = zonesFile != ""
	return nil
}
