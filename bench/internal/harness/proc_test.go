package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestChildStopsWithItsLifeline(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *Child)
	}{
		{"Stop ends the server", (*Child).Stop},
		{"closing the lifeline, as the harness's death does, ends the server", func(c *Child) { c.lifeline.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := StartChild("sleeper", t.TempDir(), "", "sleep", "60")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			if !c.Alive() || c.PID() == c.cmd.Process.Pid {
				t.Fatalf("want a live server under its own PID, got alive=%v pid=%d", c.Alive(), c.PID())
			}
			if rss, hwm, err := Memory(c.PID()); err != nil || rss == 0 || hwm < rss {
				t.Fatalf("Memory = %d, %d, %v", rss, hwm, err)
			}
			if anon, err := Anonymous(c.PID()); err != nil || anon == 0 {
				t.Fatalf("Anonymous = %d, %v", anon, err)
			}
			tc.end(c)
			select {
			case <-c.Exited():
			case <-time.After(10 * time.Second):
				t.Fatal("the server did not exit")
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", c.PID())); err == nil {
				t.Fatalf("the server's PID %d still exists", c.PID())
			}
		})
	}
}

func TestCPUFigures(t *testing.T) {
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Error(err)
	}
	if busy, err := CPUBusy("0"); err != nil || busy <= 0 {
		t.Errorf("CPUBusy = %v, %v", busy, err)
	}
	if _, err := CPUSteal("0"); err != nil {
		t.Error(err)
	}
}

func TestCPUStatReadsTheNamedCPUsLine(t *testing.T) {
	stat := "cpu  507885 11228 346946 4823648 4285 0 93493 76476 0 0\n" +
		"cpu0 280366 4746 147051 2397015 1291 0 41998 37305 0 0\n" +
		"cpu1 214188 5910 192446 2392187 2754 0 49615 36122 0 0\n"
	f, err := parseCPUStat(stat, "1")
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Second / clockTicks
	if f[0] != 214188*tick || f[3] != 2392187*tick || f[7] != 36122*tick {
		t.Errorf("cpu1: user %v, idle %v, steal %v; want the third line's", f[0], f[3], f[7])
	}
	if _, err := parseCPUStat(stat, "2"); err == nil {
		t.Error("no error for a CPU /proc/stat does not list")
	}
	if _, err := parseCPUStat("cpu0 1 2 x 4 5 6 7 8 9\n", "0"); err == nil {
		t.Error("no error for a field that is not a number")
	}
}

func TestSocketDropsOfAProcessWithoutSockets(t *testing.T) {
	c, err := StartChild("sleeper", t.TempDir(), "", "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if n, err := SocketDrops(c.PID()); err != nil || n != 0 {
		t.Fatalf("SocketDrops = %d, %v; want 0 for a process with no socket", n, err)
	}
}

func TestSocketDropsCountsAFullReceiveBuffer(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetReadBuffer(4096) // the kernel's minimum: a few datagrams
	out, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for range 200 {
		out.Write(make([]byte, 512))
	}
	if n, err := SocketDrops(os.Getpid()); err != nil || n == 0 {
		t.Fatalf("SocketDrops = %d, %v; want the datagrams that did not fit", n, err)
	}
}

// stopWithoutPID is a child of TestStopWithoutTheServersPIDSparesTheHarness
// (TestMain): it stops a lifeline that has not told the server's PID, as
// StartChild does when the shell cannot start the server, and says
// "survived" if it was not signalled itself.
func stopWithoutPID() {
	c := &Child{Name: "no-pid", cmd: PinnedCommand(context.Background(), "", "sh", "-c", "exec sleep 60"), exited: make(chan struct{})}
	var err error
	if c.lifeline, err = c.cmd.StdinPipe(); err == nil {
		err = c.cmd.Start()
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	c.Stop()
	fmt.Println("survived")
}

func TestStopWithoutTheServersPIDSparesTheHarness(t *testing.T) {
	// In a process group of its own (PinnedCommand): kill(0) signals the
	// caller's group, which would otherwise be this test's and go test's.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := PinnedCommand(ctx, "", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=stop-without-pid")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "survived") {
		t.Fatalf("Stop of a lifeline without the server's PID: %v, output %q; want the harness alive", err, out)
	}
}
