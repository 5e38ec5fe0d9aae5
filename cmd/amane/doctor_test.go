package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amane-dns/amane/blocklist/feed"
)

// freeLoopbackAddr returns a loopback address with a port free a moment
// ago: the doctor reads the port from the file, so it cannot be 0.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

// TestDoctorOnARunningAppliance runs the daemon with a feed it has not
// downloaded yet, then the doctor against the same file: amane answers,
// the upstream answers, the feed is a warning, nothing fails.
func TestDoctorOnARunningAppliance(t *testing.T) {
	up := startFakeUpstream(t)
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	listen := freeLoopbackAddr(t)
	path := filepath.Join(t.TempDir(), "amane.toml")
	writeConfig(t, path, listen, up.Addr(), fmt.Sprintf( // a feed on a loopback port where nothing listens
		"[[feed]]\nname = \"emc\"\nurl = \"http://%s/emc/\"\npublic_key = %q\n", freeLoopbackAddr(t), key.Public().String()))
	d := startDaemon(t, path)
	d.waitLog(t, "amane is answering")

	var out strings.Builder
	if err := runDoctor(&out, []string{"-config", path, "-timeout", "2s"}); err != nil {
		t.Fatalf("doctor failed: %v\n%s", err, out.String())
	}
	for _, line := range []string{
		"OK    listen    amane answers on " + listen,
		"OK    upstream  udp://" + up.Addr() + " answered",
		"WARN  feed      feed emc has no verified copy on disk yet",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("no line %q in:\n%s", line, out.String())
		}
	}
}

func TestDoctorFailsOnAConfigWithMistakes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "amane.toml")
	if err := os.WriteFile(path, []byte("[server]\nlisten = [\"nowhere\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := runDoctor(&out, []string{"-config", path})
	if err == nil || err.Error() != "1 check failed" {
		t.Fatalf("doctor returned %v, want 1 check failed; it printed:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "FAIL  config    "+path+":2: server.listen") {
		t.Errorf("the config line does not name the file, line and key:\n%s", out.String())
	}
}
