package harness

import (
	"fmt"
	"net"
	"os"
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
