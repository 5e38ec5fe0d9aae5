package doctor

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
)

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// upstreamConfig is a configuration with these upstreams, listening on a
// free loopback port (never a port something else here may use).
func upstreamConfig(t *testing.T, servers []string, extra string) string {
	quoted := make([]string, len(servers))
	for i, s := range servers {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("[server]\nlisten = [%q]\n[upstream]\nservers = [%s]\n%s", deadAddr(t), strings.Join(quoted, ", "), extra)
}

func TestUpstreamsAnswerOverEveryTransport(t *testing.T) {
	tc, caFile := selfSigned(t)
	udp := serveDNS(t, "udp", nil)
	tcp := serveDNS(t, "tcp", nil)
	dot := serveDNS(t, "tcp-tls", tc)
	doh := serveDoH(t, tc)
	_, dotPort, _ := net.SplitHostPort(dot)
	_, dohPort, _ := net.SplitHostPort(doh)
	servers := []string{
		"udp://" + udp, "tcp://" + tcp,
		"tls://127.0.0.1@dns.test:" + dotPort,
		"https://127.0.0.1@dns.test:" + dohPort + "/dns-query",
	}
	d := testDoctor(writeConfig(t, upstreamConfig(t, servers, fmt.Sprintf("ca_file = %q\n", caFile))))
	rs := find(d.Run(context.Background()), "upstream")
	if len(rs) != len(servers) {
		t.Fatalf("got %d upstream results, want %d: %v", len(rs), len(servers), rs)
	}
	for i, r := range rs {
		want(t, r, OK, servers[i]+" answered")
	}
}

func TestUpstreamFailures(t *testing.T) {
	tc, caFile := selfSigned(t)
	dot := serveDNS(t, "tcp-tls", tc)
	_, dotPort, _ := net.SplitHostPort(dot)
	live := "udp://" + serveDNS(t, "udp", nil)
	dead := "udp://" + deadAddr(t)
	tests := []struct {
		name    string
		servers []string
		extra   string
		status  Status
		fix     string
	}{
		{"a dead upstream beside a live one is a warning", []string{live, dead}, "", Warn, "nothing listens there"},
		{"every upstream dead is a failure", []string{dead}, "", Fail, "nothing listens there"},
		{"a certificate nobody vouches for says to install the roots", []string{"tls://127.0.0.1@dns.test:" + dotPort}, "", Fail, "ca-certificates"},
		{"a certificate for another name says to check the name", []string{"tls://127.0.0.1@other.test:" + dotPort}, fmt.Sprintf("ca_file = %q\n", caFile), Fail, "not for other.test"},
		{"a name whose bootstrap server is down says to check the link", []string{"tls://dns.test:" + dotPort}, "bootstrap = [\"" + deadAddr(t) + "\"]\n", Fail, "internet link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDoctor(writeConfig(t, upstreamConfig(t, tt.servers, tt.extra)))
			d.Timeout = 500e6
			rs := find(d.Run(context.Background()), "upstream")
			last := rs[len(rs)-1]
			if last.Status != tt.status || !strings.Contains(last.Fix, tt.fix) {
				t.Errorf("got %v %q, fix %q; want %v, a fix saying %q", last.Status, last.Msg, last.Fix, tt.status, tt.fix)
			}
		})
	}
}

func TestRouterThatDoesNotAnswerIsAWarning(t *testing.T) {
	live := "udp://" + serveDNS(t, "udp", nil)
	d := testDoctor(writeConfig(t, upstreamConfig(t, []string{live}, "[local]\nrouter = \""+deadAddr(t)+"\"\n")))
	d.Timeout = 500e6
	rs := find(d.Run(context.Background()), "router")
	if len(rs) != 1 {
		t.Fatalf("got %v, want one router result", rs)
	}
	want(t, rs[0], Warn, "LAN's own names")
}
