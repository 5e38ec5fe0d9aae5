package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// helpline runs the real amane-helpline commands on one configuration.
type helpline struct {
	t      *testing.T
	bin    string
	config string
}

func (h *helpline) run(args ...string) string {
	h.t.Helper()
	out, err := exec.Command(h.bin, append(args, "-config", h.config)...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("amane-helpline %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestAReportBecomesABlockEverywhere is the helpline link end to end, on
// loopback, with both real programs: a parent reports a name; the
// helpline stores it once although the appliance had to send it twice (the
// first acknowledgement is lost on the way back); an operator confirms it
// and publishes a new feed version; the appliance takes it at its next
// poll and blocks the name for every profile, and `amane explain` names
// the helpline's feed.
func TestAReportBecomesABlockEverywhere(t *testing.T) {
	up := startFakeUpstream(t)
	bin, err := buildHelpline()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hdir := filepath.Join(dir, "helpline")
	h := &helpline{t: t, bin: bin, config: filepath.Join(hdir, "helpline.toml")}
	lists := filepath.Join(hdir, "lists")
	os.MkdirAll(lists, 0o755)
	os.WriteFile(filepath.Join(lists, "suspected.txt"), []byte("suspect.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, "lists.toml"), []byte(
		"[[list]]\nfile = \"suspected.txt\"\ncategory = \"cyberviolence\"\nformat = \"domains\"\nwatch = true\n"), 0o644)
	os.WriteFile(h.config, fmt.Appendf(nil, `state_dir = %q
[intake]
listen = "127.0.0.1:0"
insecure_http = true
[feed]
key = %q
lists = %q
dir = %q
name = "emc"
`, filepath.Join(hdir, "state"), filepath.Join(hdir, "keys", "feed.key"), lists, filepath.Join(hdir, "state", "feed")), 0o600)
	out, err := exec.Command(bin, "feed", "keygen", "--out", filepath.Join(hdir, "keys")).CombinedOutput()
	if err != nil {
		t.Fatalf("feed keygen: %v\n%s", err, out)
	}
	pub := regexp.MustCompile(`public_key = "(RW[^"]+)"`).FindSubmatch(out)
	if pub == nil {
		t.Fatalf("no public key in:\n%s", out)
	}
	h.run("feed", "publish")

	serve := exec.Command(bin, "serve", "-config", h.config)
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() })
	intake := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := regexp.MustCompile(`intake=(127\.0\.0\.1:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
				intake <- m[1]
			}
		}
	}()
	var addr string
	select {
	case addr = <-intake:
	case <-time.After(10 * time.Second):
		t.Fatal("amane-helpline serve did not say where it listens")
	}

	// Between the two, a network that loses the first acknowledgement:
	// the helpline stored the batch, the appliance never heard so.
	target, _ := url.Parse("http://" + addr)
	var posts atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Scheme, r.URL.Host, r.RequestURI = target.Scheme, target.Host, ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			http.Error(w, "the acknowledgement was lost", http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)

	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), fmt.Sprintf(`
[helpline]
url = %q
public_key = %q
[[profile]]
name = "adults"
preset = "adult"
[[network]]
cidr = "127.0.0.3/32"
profile = "adults"
`, proxy.URL+"/", pub[1]))
	d := startDaemon(t, path)
	listen := d.waitFeed(t)

	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		if r := askFrom(t, from, listen, "www.bully.example"); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("before the report, %s got %s", from, dns.RcodeToString[r.Rcode])
		}
	}
	var said strings.Builder
	if err := report([]string{"-config", path, "bully.example", "--category", "cyberviolence", "--note", "يهدد ابني كل ليلة"}, &said); err != nil {
		t.Fatal(err)
	}
	d.waitLogWithin(t, "reports delivered to the helpline", 30*time.Second) // after a retry 2.5-5 s later
	if n := posts.Load(); n != 2 {
		t.Fatalf("%d posts: want the lost acknowledgement to make the appliance send again, once", n)
	}
	list := h.run("reports", "list")
	if !strings.Contains(list, "bully.example") {
		t.Fatalf("reports list:\n%s", list)
	}
	show := h.run("reports", "show", "bully.example")
	if !strings.Contains(show, "يهدد ابني كل ليلة") || strings.Count(show, "يهدد ابني كل ليلة") != 1 {
		t.Fatalf("the report should be stored once, with its note; reports show says:\n%s", show)
	}

	h.run("reports", "confirm", "bully.example", "--category", "cyberviolence")
	h.run("feed", "publish")
	d.cmd.Process.Signal(syscall.SIGHUP) // the next poll, now rather than in an hour
	d.waitLog(t, "feed updated")
	d.waitLog(t, "lists loaded")
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		if r := askFrom(t, from, listen, "www.bully.example"); r.Rcode != dns.RcodeNameError {
			t.Fatalf("after confirmation, %s got %s: want it blocked for every profile", from, dns.RcodeToString[r.Rcode])
		}
	}
	var explained strings.Builder
	if err := explain(&explained, []string{"-config", path, "-client", "127.0.0.3", "www.bully.example"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(explained.String(), `BLOCKED (cyberviolence, mandatory: no allow list, exception or contact lifts it) for profile "adults"`) ||
		!strings.Contains(explained.String(), `list "emc/confirmed-cyberviolence.txt"`) {
		t.Fatalf("explain says:\n%s", explained.String())
	}

	t.Run("a retracted domain leaves the next version", func(t *testing.T) {
		h.run("reports", "retract", "bully.example")
		h.run("feed", "publish")
		d.cmd.Process.Signal(syscall.SIGHUP)
		d.waitLog(t, "feed updated")
		d.waitLog(t, "lists loaded")
		if r := askFrom(t, "127.0.0.2", listen, "www.bully.example"); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("after the retraction: %s", dns.RcodeToString[r.Rcode])
		}
	})
}
