package watch

import (
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// source reads the kernel's inotify queue of the watched directories
// through Go's network poller, and tells the watched files' events from
// the others' where it reads them.
type source struct {
	f     *os.File
	want  map[int32]map[string]bool // watch descriptor → base names watched in its directory
	reads atomic.Int64              // reads of the queue, for the tests
}

// mask is what may change a file's content or put another file in its
// place. IN_MODIFY stays though it is the busy one: dnsmasq rewrites its
// leases file in place and never closes it. Left out: IN_ACCESS, IN_OPEN,
// IN_CLOSE_NOWRITE and IN_ATTRIB, which every reader of the directory
// makes, and IN_DELETE: a list or a config deleted keeps what was read.
const mask = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_ONLYDIR

// maxEvent is the longest event the kernel queues: a name of NAME_MAX
// bytes, its NUL, padded to 16.
const maxEvent = unix.SizeofInotifyEvent + unix.NAME_MAX + 1

func open(dirs []string, want map[string]map[string]bool) (*source, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	s := &source{want: map[int32]map[string]bool{}}
	for _, dir := range dirs {
		wd, err := unix.InotifyAddWatch(fd, dir, mask)
		if err != nil {
			unix.Close(fd)
			return nil, &os.PathError{Op: "watch", Path: dir, Err: err}
		}
		// Two paths to one directory (a symbolic link) share its watch.
		if s.want[int32(wd)] == nil {
			s.want[int32(wd)] = map[string]bool{}
		}
		maps.Copy(s.want[int32(wd)], want[dir])
	}
	s.f = os.NewFile(uintptr(fd), "inotify") // non-blocking: read through the poller
	return s, nil
}

// read signals seen for each read of the queue that holds an event of a
// watched file, then leaves the queue for rest, until ctx ends or the
// source is closed.
func (s *source) read(ctx context.Context, rest time.Duration, seen chan<- struct{}) {
	// Room for 60 events of the longest names, hundreds of usual ones.
	buf := make([]byte, 16<<10)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		n, err := s.f.Read(buf)
		s.reads.Add(1)
		if errors.Is(err, os.ErrClosed) || ctx.Err() != nil {
			return
		}
		if err != nil {
			// Never seen: the queue cannot be read, so a change may be
			// missed from now on. Say there was one, and stop.
			signal(seen)
			return
		}
		if s.relevant(buf[:n]) {
			signal(seen)
		}
		if n > len(buf)-maxEvent {
			continue // more may wait: the rest comes once the queue is read, so that it never overflows for it
		}
		if !pause(ctx, t, rest) {
			return
		}
	}
}

// relevant reports whether the events in b touch a watched file, or may
// have: a queue that overflowed lost some.
func (s *source) relevant(b []byte) bool {
	const head = unix.SizeofInotifyEvent // wd, mask, cookie, len; then the name, NUL-padded
	for len(b) >= head {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		m := binary.NativeEndian.Uint32(b[4:])
		end := head + int(binary.NativeEndian.Uint32(b[12:]))
		if m&unix.IN_Q_OVERFLOW != 0 || end > len(b) {
			return true
		}
		name := b[head:end]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if s.want[wd][string(name)] {
			return true
		}
		b = b[end:]
	}
	return false
}

// close ends the watch, and a read under way.
func (s *source) close() { s.f.Close() }

// pause waits d, or until ctx ends; it reports whether ctx is still live.
func pause(ctx context.Context, t *time.Timer, d time.Duration) bool {
	t.Reset(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-t.C:
		return true
	}
}
