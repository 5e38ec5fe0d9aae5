// Package watch reports changes to files by watching their directories,
// with the events of one save coalesced. It is shared by the configuration
// file watch, the local block lists and the DHCP leases files.
//
// It watches directories, not files: editors and config managers save by
// writing a new file and renaming it over the old, which a watch on the old
// file's inode misses. A directory's watch sees every other file in it too,
// and a busy neighbour (a log, a leases file, a program's output) may be
// written thousands of times a second. So on Linux the watch reads the
// kernel's queue itself (inotify_linux.go), drops the other files' events
// where it reads them, and once it has read the queue to its end leaves it
// for a rest (100 ms): meanwhile the kernel folds a file's repeated event
// into one, and a busy neighbour costs amane ten wakeups a second, not one
// per write. Elsewhere it goes through fsnotify (fsnotify_other.go).
package watch

import (
	"context"
	"path/filepath"
	"time"
)

// Watcher watches the directories of some files. Open it before reading
// the files, so that no change made after the read can be missed.
type Watcher struct {
	src  *source       // the platform's reader
	rest time.Duration // between two reads of the queue
}

// rest is how long the watch leaves the kernel's queue unread after a
// read: a change is seen at most this much later, and a file written many
// times meanwhile wakes the watch once.
const rest = 100 * time.Millisecond

// Open starts watching the directories of paths. Changes are queued from
// its return, and read once Run runs.
func Open(paths []string) (*Watcher, error) {
	want := map[string]map[string]bool{}
	var dirs []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		dir, base := filepath.Split(abs)
		dir = filepath.Clean(dir)
		if want[dir] == nil {
			want[dir] = map[string]bool{}
			dirs = append(dirs, dir)
		}
		want[dir][base] = true
	}
	src, err := open(dirs, want)
	if err != nil {
		return nil, err
	}
	return &Watcher{src: src, rest: rest}, nil
}

// Run calls changed, at most once per quiet period of debounce, after any
// of the files is written, replaced or renamed into place, until ctx ends;
// then it closes the watch. A queue that overflowed counts as a change,
// since one may have been lost.
func (w *Watcher) Run(ctx context.Context, debounce time.Duration, changed func()) {
	ctx, cancel := context.WithCancel(ctx)
	seen := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.src.read(ctx, w.rest, seen)
	}()
	defer func() {
		cancel()
		w.src.close() // ends a read under way
		<-done
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-seen:
			timer.Reset(debounce) // coalesce the several events of one save
		case <-timer.C:
			changed()
		}
	}
}

// signal tells Run that a watched file changed, without waiting: one signal
// pending is as good as many.
func signal(seen chan<- struct{}) {
	select {
	case seen <- struct{}{}:
	default:
	}
}
