package resolver

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// batchPair is a read loop's socket and a client connected to it, whose
// reads give up after 10 s.
func batchPair(t *testing.T) (*udpConn, int) {
	c, err := listenUDP("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	client, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(client) })
	to := c.localAddr()
	if err := unix.Connect(client, &unix.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(client, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return c, client
}

// A read loop's wakeup allocates nothing: the read, and the send of the
// replies it gathered, once nothing more waits.
func TestReadingABatchAllocatesNothing(t *testing.T) {
	c, client := batchPair(t)
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

// A read that begins with the batch of replies one short of full reads one
// datagram at most; once it finds nothing, it sends the 31 replies before
// it waits, and what comes next is read whole, each with its sender.
func TestAFullBatchOfRepliesGoesBeforeTheWait(t *testing.T) {
	c, client := batchPair(t)
	in, out := newUDPBatch(udpBatchSize, 512), newReplyBatch(udpBatchSize, 512)
	got := make([]byte, 512)
	for i := range udpBatchSize - 1 { // replies waiting: room for one datagram
		if _, err := unix.Write(client, []byte("q")); err != nil {
			t.Fatal(err)
		}
		if err := c.readBatch(in, out); err != nil || in.n != 1 {
			t.Fatalf("read %d: %d datagrams, err %v", i, in.n, err)
		}
		pkt, _ := in.packet(0)
		out.add(append(out.buf(), pkt...), in, 0)
	}
	done := make(chan error, 1)
	go func() { done <- c.readBatch(in, out) }() // sends the replies, then waits
	for range udpBatchSize - 1 {
		if _, err := unix.Read(client, got); err != nil {
			t.Fatalf("the replies were not sent before the wait: %v", err)
		}
	}
	self, err := unix.Getsockname(client)
	if err != nil {
		t.Fatal(err)
	}
	want := netip.AddrPortFrom(netip.AddrFrom4(self.(*unix.SockaddrInet4).Addr), uint16(self.(*unix.SockaddrInet4).Port))
	for _, q := range []string{"first", "second", "third"} {
		if _, err := unix.Write(client, []byte(q)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	seen := []string{}
	for {
		for i := range in.n {
			pkt, from := in.packet(i)
			if from != want {
				t.Errorf("datagram %q from %v, want %v", pkt, from, want)
			}
			seen = append(seen, string(pkt))
		}
		if len(seen) >= 3 {
			break
		}
		if err := c.readBatch(in, out); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(seen, " ") != "first second third" {
		t.Errorf("read %q, want first, second and third whole", seen)
	}
}

// A read loop that read two datagrams or more in one wakeup pauses before
// it waits, so that the next wait finds more; the replies it made went
// before the pause. A loop that read one datagram waits at once, and so
// does one with a query waiting for an upstream.
func TestABusyLoopPausesAfterItsRepliesWent(t *testing.T) {
	c, client := batchPair(t)
	in, out := newUDPBatch(udpBatchSize, 512), newReplyBatch(udpBatchSize, 512)
	pauses, unsent := 0, 0
	in.pause = func() { pauses++; unsent += out.n }
	ask := func(qs ...string) {
		for _, q := range qs {
			if _, err := unix.Write(client, []byte(q)); err != nil {
				t.Fatal(err)
			}
		}
	}
	queue := func() { // the loop's answer to what it read: the query, echoed
		for i := range in.n {
			pkt, _ := in.packet(i)
			out.add(append(out.buf(), pkt...), in, i)
		}
	}
	read := func(want int) { // what is waiting, answered
		t.Helper()
		if err := c.readBatch(in, out); err != nil || in.n != want {
			t.Fatalf("read %d datagrams, err %v; want %d", in.n, err, want)
		}
		queue()
	}
	// wakeup runs a read that finds nothing more: the client gets the
	// replies waiting, then next ends the loop's wait, and is read.
	wakeup := func(next string, replies ...string) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- c.readBatch(in, out) }()
		got := make([]byte, 512)
		for _, want := range replies {
			if n, err := unix.Read(client, got); err != nil || string(got[:n]) != want {
				t.Fatalf("reply %q, err %v; want %q", got[:n], err, want)
			}
		}
		ask(next) // the loop sent the replies, so it is past its read
		if err := <-done; err != nil || in.n != 1 {
			t.Fatalf("the wait read %d datagrams, err %v; want 1", in.n, err)
		}
		queue()
	}

	ask("one")
	read(1)
	wakeup("two", "one")
	if pauses != 0 {
		t.Error("the loop paused after reading one datagram")
	}

	ask("three", "four")
	read(2)
	wakeup("five", "two", "three", "four")
	if pauses != 1 {
		t.Fatalf("the loop read three datagrams in one wakeup and paused %d times, want once", pauses)
	}
	if unsent != 0 {
		t.Errorf("%d replies were still unsent when the loop paused", unsent)
	}

	wakeup("six", "five") // one datagram since the last wait
	if pauses != 1 {
		t.Error("the loop paused again after reading one datagram")
	}

	// While a query waits for an upstream, the loop does not pause: its
	// answer may come meanwhile, and a miss worker must finish it.
	var waiting atomic.Int64
	in.waiting = &waiting
	waiting.Add(1)
	ask("seven", "eight")
	read(2)
	wakeup("nine", "six", "seven", "eight")
	if pauses != 1 {
		t.Error("the loop paused while a query waited for an upstream")
	}
	waiting.Add(-1)
	ask("ten")
	read(1)
	wakeup("eleven", "nine", "ten")
	if pauses != 2 {
		t.Error("the loop did not pause once no query waited for an upstream")
	}
}
