package watch

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// event is one raw inotify event as the kernel queues it, its name
// NUL-padded to a multiple of 16 bytes.
func event(wd int32, m uint32, name string) []byte {
	n := 0
	if name != "" {
		n = (len(name) + 1 + 15) &^ 15
	}
	b := make([]byte, unix.SizeofInotifyEvent+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], m)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[unix.SizeofInotifyEvent:], name)
	return b
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestOnlyTheWatchedFilesEventsAreChanges(t *testing.T) {
	s := &source{want: map[int32]map[string]bool{1: {"amane.toml": true}, 2: {"dhcp.leases": true}}}
	for _, c := range []struct {
		what string
		b    []byte
		want bool
	}{
		{"another file written", event(1, unix.IN_MODIFY, "amane.log"), false},
		{"a watched name in another directory", event(1, unix.IN_MODIFY, "dhcp.leases"), false},
		{"a name that starts like the watched one", event(1, unix.IN_MODIFY, "amane.toml.swp"), false},
		{"the directory's own event", event(1, unix.IN_IGNORED, ""), false},
		{"the watched file written", event(1, unix.IN_MODIFY, "amane.toml"), true},
		{"the watched file behind others", cat(event(1, unix.IN_CREATE, "x"), event(2, unix.IN_MODIFY, "y"), event(2, unix.IN_MOVED_TO, "dhcp.leases")), true},
		{"a 200-byte name before the watched one", cat(event(1, unix.IN_MODIFY, string(make([]byte, 200))), event(1, unix.IN_CLOSE_WRITE, "amane.toml")), true},
		{"the queue overflowed", event(-1, unix.IN_Q_OVERFLOW, ""), true},
		{"an event cut short", event(1, unix.IN_MODIFY, "amane.log")[:20], true},
	} {
		if got := s.relevant(c.b); got != c.want {
			t.Errorf("%s: relevant = %v, want %v", c.what, got, c.want)
		}
	}
}

// TestABusyNeighbourWakesTheWatchOncePerRest: a file beside the watched
// one, written thousands of times (a log, a program's output), costs the
// watch one read per rest, not one per write: the kernel folds the writes
// left unread into one event. Before, each write woke the watch, and a
// bench's output file beside a list cost amane 3,600 wakeups a second. A
// save of the watched file after them is still seen.
func TestABusyNeighbourWakesTheWatchOncePerRest(t *testing.T) {
	dir, path, w := watched(t, "list.txt")
	w.rest = rest * 3 // room for the writes below on a slow machine; not asserted
	changed := run(t, w)
	log, err := os.Create(filepath.Join(dir, "dnsperf.out"))
	if err != nil {
		t.Fatal(err)
	}
	const writes = 2000
	for range writes {
		if _, err := log.Write([]byte("> NOERROR example.com A 0.020\n")); err != nil {
			t.Fatal(err)
		}
	}
	log.Close()
	tmp := path + ".new"
	os.WriteFile(tmp, []byte("two.example\n"), 0o600)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	waitChange(t, changed, "the save after the neighbour's writes")
	if n := w.src.reads.Load(); n > 10 {
		t.Errorf("the watch read its queue %d times for %d writes to another file and one save", n, writes)
	}
}

// TestTheQueueIsReadToItsEndBeforeARest: a rest starts once the kernel's
// queue is read to its end, so that a directory busy with many files (more
// events than one read takes) neither overflows the queue nor hides a save
// behind them until the next rest ends.
func TestTheQueueIsReadToItsEndBeforeARest(t *testing.T) {
	dir, path, w := watched(t, "amane.toml")
	w.rest = time.Hour // a save seen only after a rest is not seen in this test
	// Before Run reads anything: 2,000 new files (4,000 events, several
	// reads' worth), then the save.
	for i := range 2000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("session-%04d.tmp", i)), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte("# v2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitChange(t, run(t, w), "a save behind 4,000 other events")
	if n := w.src.reads.Load(); n < 3 {
		t.Errorf("the events were read in %d reads: the test did not fill one", n)
	}
}

func TestTwoPathsToOneDirectoryShareItsWatch(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "lists")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(link, "b.txt")
	w, err := Open([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	changed := run(t, w)
	waitChange(t, changed, "a write to the first path's file")
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitChange(t, changed, "a write to the second path's file")
}
