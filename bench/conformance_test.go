package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/bench/fakeupstream"
	"github.com/amane-dns/amane/bench/internal/harness"
)

// popularList is read by relative path, never copied (see shared/data/README.md).
const popularList = "../../shared/data/popular/umbrella-top-100k.txt"

// question is one query of the conformance test.
type question struct{ name, qtype string }

// answer is what one server said to one question: the rcode and the answer
// section as a sorted set of records with TTLs zeroed.
type answer struct {
	question question
	rcode    string
	records  []string
}

func (a answer) String() string {
	return a.rcode + " [" + strings.Join(a.records, "; ") + "]"
}

// TestConformance asks amane and unbound, both forwarding to the same fake
// upstream, the same questions through dig and through kdig, and wants the
// same rcode and answer records from every tool and server.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts unbound and amane: not in -short")
	}
	for _, tool := range []string{"unbound", "dig", "kdig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: unbound, bind9-dnsutils, knot-dnsutils): %v", tool, err)
		}
	}
	// The whole test, amane's build included (a second or two with a warm
	// build cache), stays under a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	dir := t.TempDir()
	amaneBin := buildAmane(t, ctx, dir)

	up, err := fakeupstream.Start("127.0.0.1:0", fakeupstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	servers := map[string]string{
		"unbound": startUnbound(t, ctx, dir, up.Addr()),
		"amane":   startAmane(t, ctx, dir, amaneBin, up.Addr()),
	}

	questions := conformanceQuestions(t)
	var reference []answer
	var refName string
	for _, server := range []string{"unbound", "amane"} {
		for _, tool := range []string{"dig", "kdig"} {
			got := ask(t, ctx, tool, servers[server], questions, dir)
			name := tool + " → " + server
			if reference == nil {
				reference, refName = got, name
				checkUpstream(t, name, got)
				continue
			}
			compare(t, refName, reference, name, got)
		}
	}
}

// checkUpstream checks that answers are the fake upstream's, so that two
// servers cannot agree by failing alike.
func checkUpstream(t *testing.T, name string, as []answer) {
	t.Helper()
	for _, a := range as {
		q := a.question
		want := answer{question: q, rcode: "NXDOMAIN"}
		if q.name != "nx." && !strings.HasSuffix(q.name, ".nx.") {
			var rr dns.RR = &dns.A{Hdr: dns.RR_Header{Name: strings.ToLower(q.name), Rrtype: dns.TypeA, Class: dns.ClassINET}, A: fakeupstream.AddrA(q.name)}
			if q.qtype == "AAAA" {
				rr = &dns.AAAA{Hdr: dns.RR_Header{Name: strings.ToLower(q.name), Rrtype: dns.TypeAAAA, Class: dns.ClassINET}, AAAA: fakeupstream.AddrAAAA(q.name)}
			}
			want = answer{question: q, rcode: "NOERROR", records: []string{rr.String()}}
		}
		if a.rcode != want.rcode || !slices.Equal(a.records, want.records) {
			t.Fatalf("%s: %s %s is %v, the fake upstream says %v", name, q.name, q.qtype, a, want)
		}
	}
}

// buildAmane builds ./cmd/amane into dir as a release does, or skips the
// test if it does not build yet.
func buildAmane(t *testing.T, ctx context.Context, dir string) string {
	bin := filepath.Join(dir, "amane")
	cmd := harness.AmaneBuild(ctx, "..", bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("building amane: %v", ctx.Err())
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		t.Skipf("amane does not build yet: %v: %s", err, first)
	}
	return bin
}

func startUnbound(t *testing.T, ctx context.Context, dir, upstream string) string {
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(cfg, []byte(harness.UnboundConfig(dir, port, upstream, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return startServer(t, ctx, "unbound", dir, "", port, "unbound", "-d", "-c", cfg)
}

func startAmane(t *testing.T, ctx context.Context, dir, bin, upstream string) string {
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "amane.toml")
	conf := harness.AmaneConfig(filepath.Join(dir, "amane-state"), fmt.Sprintf("127.0.0.1:%d", port), upstream)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// On one core amane binds one plain UDP socket. With a socket per core
	// it would set SO_REUSEPORT, and dig, which sets it too and runs as
	// the same user here, may then draw amane's port as its own source
	// port and receive its own query back (one run in a hundred or so).
	return startServer(t, ctx, "amane", dir, "0", port, bin, "serve", "-config", cfg)
}

// startServer starts argv and waits until it answers on port.
func startServer(t *testing.T, ctx context.Context, name, dir, cpu string, port int, argv ...string) string {
	c, err := harness.StartChild(name, dir, cpu, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if _, err := harness.WaitReady(ctx, c, addr, "ready.conformance.amane.", harness.AnyAnswer, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return addr
}

// conformanceQuestions is the first 300 popular names (A), the first 50
// (AAAA), and names below the fake upstream's NXDOMAIN zone.
func conformanceQuestions(t *testing.T) []question {
	f, err := os.Open(popularList)
	if err != nil {
		t.Skipf("popular names not found at %s: %v", popularList, err)
	}
	defer f.Close()
	var qs []question
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(qs) < 300 {
		name := strings.TrimSpace(sc.Text())
		if name == "" || skipName(name) {
			continue
		}
		qs = append(qs, question{name + ".", "A"})
	}
	for _, q := range qs[:50] {
		qs = append(qs, question{q.name, "AAAA"})
	}
	for i := range 10 {
		qs = append(qs, question{fmt.Sprintf("nonexistent-%d.nx.", i), "A"})
	}
	qs = append(qs, question{"deep.below.the.nx.", "AAAA"}, question{"nx.", "A"})
	return qs
}

// skipName reports names that a filtering resolver answers itself by
// design, so unbound and amane need not agree on them: special-use and
// infrastructure zones (RFC 6761, unbound's default local zones), and the
// bypass defences of DESIGN.md (Firefox's canary, iCloud Private Relay).
func skipName(name string) bool {
	for _, zone := range []string{"arpa", "local", "localhost", "test", "invalid", "onion", "example",
		"use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"} {
		if name == zone || strings.HasSuffix(name, "."+zone) {
			return true
		}
	}
	return false
}

var statusRE = regexp.MustCompile(`status: ([A-Z]+)`)

// ask sends every question to addr with tool (dig in batch mode, kdig with
// every question on one command line) and parses the answers.
func ask(t *testing.T, ctx context.Context, tool, addr string, qs []question, dir string) []answer {
	host, port, _ := strings.Cut(addr, ":")
	var cmd *exec.Cmd
	switch tool {
	case "dig":
		batch := filepath.Join(dir, "dig-batch.txt")
		var b strings.Builder
		for _, q := range qs {
			fmt.Fprintf(&b, "%s %s\n", q.name, q.qtype)
		}
		if err := os.WriteFile(batch, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = exec.CommandContext(ctx, "dig", "@"+host, "-p", port, "+tries=1", "+time=2",
			"+noall", "+comments", "+question", "+answer", "-f", batch)
	case "kdig":
		args := []string{"@" + host, "-p", port, "+retry=0", "+timeout=2", "+noall", "+header", "+question", "+answer"}
		for _, q := range qs {
			args = append(args, q.name, q.qtype)
		}
		cmd = exec.CommandContext(ctx, "kdig", args...)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s against %s: %v", tool, addr, err)
	}
	answers, err := parseAnswers(string(out))
	if err != nil {
		t.Fatalf("%s against %s: %v", tool, addr, err)
	}
	if len(answers) != len(qs) {
		t.Fatalf("%s against %s: %d answers to %d questions", tool, addr, len(answers), len(qs))
	}
	for i, a := range answers {
		if !strings.EqualFold(a.question.name, qs[i].name) || a.question.qtype != qs[i].qtype {
			t.Fatalf("%s against %s: answer %d is to %v, asked %v", tool, addr, i, a.question, qs[i])
		}
	}
	return answers
}

// parseAnswers reads dig's or kdig's presentation output: a header line with
// the status, a commented question line, then answer records.
func parseAnswers(out string) ([]answer, error) {
	var as []answer
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.Contains(line, "->>HEADER<<-"):
			m := statusRE.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("no status in %q", line)
			}
			as = append(as, answer{rcode: m[1]})
		case strings.HasPrefix(line, ";"):
			// The question line: ";name. IN A" (dig) or ";;name. IN A" (kdig).
			f := strings.Fields(strings.TrimLeft(line, ";"))
			if len(f) == 3 && f[1] == "IN" && len(as) > 0 {
				as[len(as)-1].question = question{f[0], f[2]}
			}
		default:
			rr, err := dns.NewRR(line)
			if err != nil || rr == nil || len(as) == 0 {
				return nil, fmt.Errorf("parsing record %q: %v", line, err)
			}
			rr.Header().Ttl = 0
			rr.Header().Name = strings.ToLower(rr.Header().Name)
			a := &as[len(as)-1]
			a.records = append(a.records, rr.String())
			slices.Sort(a.records)
		}
	}
	return as, nil
}

// compare reports every question on which the two lists of answers differ.
func compare(t *testing.T, refName string, ref []answer, name string, got []answer) {
	t.Helper()
	diffs := 0
	for i := range ref {
		if ref[i].rcode == got[i].rcode && slices.Equal(ref[i].records, got[i].records) {
			continue
		}
		if diffs++; diffs <= 10 {
			t.Errorf("%s %s: %s says %v, %s says %v", ref[i].question.name, ref[i].question.qtype, refName, ref[i], name, got[i])
		}
	}
	if diffs > 10 {
		t.Errorf("... %d differences in all between %s and %s", diffs, refName, name)
	}
}
