package doctor

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// procHex writes an address as /proc/net/udp does on this machine.
func procHex(ap netip.AddrPort) string {
	b := ap.Addr().AsSlice()
	var s strings.Builder
	for i := 0; i < len(b); i += 4 {
		fmt.Fprintf(&s, "%08X", binary.NativeEndian.Uint32(b[i:]))
	}
	return fmt.Sprintf("%s:%04X", s.String(), ap.Port())
}

func TestParseProcAddrReadsTheKernelsByteOrder(t *testing.T) {
	for _, s := range []string{"127.0.0.53:53", "0.0.0.0:5353", "[::1]:53", "[fe80::1:2]:853"} {
		ap := netip.MustParseAddrPort(s)
		got, err := parseProcAddr(procHex(ap))
		if err != nil || got != ap {
			t.Errorf("parseProcAddr(%s) = %v, %v; want %v", procHex(ap), got, err, ap)
		}
	}
	if _, err := parseProcAddr("zz:0035"); err == nil {
		t.Error("a line that is not hex was read")
	}
}

// fakeProc makes a /proc where process 77, named comm, holds a UDP socket
// on ap.
func fakeProc(t *testing.T, ap netip.AddrPort, comm string) string {
	t.Helper()
	proc := t.TempDir()
	line := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: " + procHex(ap) + " 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0 0\n"
	for _, dir := range []string{"net", "77/fd"} {
		if err := os.MkdirAll(filepath.Join(proc, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(proc, "net", "udp"), []byte(line), 0o644)
	os.WriteFile(filepath.Join(proc, "77", "comm"), []byte(comm+"\n"), 0o644)
	if err := os.Symlink("socket:[4242]", filepath.Join(proc, "77", "fd", "3")); err != nil {
		t.Fatal(err)
	}
	return proc
}

func TestListen(t *testing.T) {
	t.Run("amane answering is OK", func(t *testing.T) {
		addr := netip.MustParseAddrPort(serveDNS(t, "udp", nil))
		d := testDoctor("")
		d.defaults()
		d.Proc = fakeProc(t, addr, "amane")
		want(t, d.checkListen(context.Background(), addr.String()), OK, "amane answers on "+addr.String())
	})
	t.Run("another DNS server answering is a failure naming it", func(t *testing.T) {
		addr := netip.MustParseAddrPort(serveDNS(t, "udp", nil))
		d := testDoctor("")
		d.defaults()
		d.Proc = fakeProc(t, addr, "dnsmasq")
		r := d.checkListen(context.Background(), addr.String())
		want(t, r, Fail, "answered by dnsmasq (pid 77")
		if !strings.Contains(r.Fix, "systemctl disable --now dnsmasq") {
			t.Errorf("fix %q does not say how to stop dnsmasq", r.Fix)
		}
	})
	t.Run("a port held by a program that does not answer is a failure naming it", func(t *testing.T) {
		// systemd-resolved holds 127.0.0.53:53, which keeps amane from 0.0.0.0:53.
		pc, err := net.ListenPacket("udp", "127.0.0.53:0")
		if err != nil {
			t.Skip("no 127.0.0.53 here:", err)
		}
		defer pc.Close()
		held := netip.MustParseAddrPort(pc.LocalAddr().String())
		d := testDoctor("")
		d.defaults()
		d.Timeout = 300 * time.Millisecond
		d.Proc = fakeProc(t, held, "systemd-resolve")
		r := d.checkListen(context.Background(), fmt.Sprintf("0.0.0.0:%d", held.Port()))
		want(t, r, Fail, "taken by systemd-resolve (pid 77")
		if !strings.Contains(r.Fix, "DNSStubListener=no") {
			t.Errorf("fix %q does not turn off the stub listener", r.Fix)
		}
	})
	t.Run("a free port means amane is not running", func(t *testing.T) {
		d := testDoctor("")
		d.defaults()
		d.Timeout = 300 * time.Millisecond
		d.Proc = t.TempDir()
		want(t, d.checkListen(context.Background(), deadAddr(t)), Warn, "is free")
	})
	t.Run("an address this machine does not have is a failure", func(t *testing.T) {
		d := testDoctor("")
		d.defaults()
		d.Timeout = 300 * time.Millisecond
		d.Proc = t.TempDir()
		// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no machine has it, and
		// the probe's datagram to it goes nowhere.
		want(t, d.checkListen(context.Background(), "192.0.2.1:5353"), Fail, "not an address of this machine")
	})
}

func TestSocketHoldersFindsThisProcess(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := os.Stat("/proc/net/udp"); err != nil {
		t.Skip("no /proc here")
	}
	d := testDoctor("")
	d.defaults()
	hs := d.socketHolders(netip.MustParseAddrPort(pc.LocalAddr().String()))
	if len(hs) != 1 || hs[0].pid != os.Getpid() {
		t.Fatalf("got holders %+v, want this process (pid %d)", hs, os.Getpid())
	}
}
