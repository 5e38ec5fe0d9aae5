package resolver

import (
	"testing"

	"golang.org/x/sys/unix"
)

// A read loop's wakeup allocates nothing: the read, and the send of the
// replies it gathered, once nothing more waits.
func TestReadingABatchAllocatesNothing(t *testing.T) {
	c, err := listenUDP("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	client, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(client)
	to := c.localAddr()
	if err := unix.Connect(client, &unix.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(client, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	in, out := newUDPBatch(udpBatchSize, 512), newReplyBatch(udpBatchSize, 512)
	query, got := []byte("query"), make([]byte, 512)
	ask := func() {
		if _, err := unix.Write(client, query); err != nil {
			t.Fatal(err)
		}
	}
	answered := func() {
		if n, err := unix.Read(client, got); err != nil || string(got[:n]) != "query" {
			t.Fatalf("reply %q, err %v", got[:n], err)
		}
	}
	read := func() {
		if err := c.readBatch(in, out); err != nil || in.n != 1 {
			t.Fatalf("read %d datagrams, err %v; want 1", in.n, err)
		}
		pkt, _ := in.packet(0)
		out.add(append(out.buf(), pkt...), in, 0)
	}

	// A reply waits while more queries are read, and goes when the
	// socket has nothing more: before the loop sleeps, not after.
	ask()
	read()
	ask()
	read()
	if out.n != 2 {
		t.Fatalf("%d replies waiting after two reads, want 2", out.n)
	}
	done := make(chan struct{})
	go func() { defer close(done); read() }() // finds nothing: sends both, then waits
	answered()
	answered()
	ask()
	<-done
	c.writeBatch(out)
	answered()

	if n := testing.AllocsPerRun(100, func() { ask(); read(); c.writeBatch(out); answered() }); n != 0 {
		t.Errorf("a read and its replies allocate %.0f times, want none", n)
	}
}
