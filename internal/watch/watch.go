// Package watch reports changes to files by watching their directories,
// with the events of one save coalesced. It is shared by the configuration
// file watch and the local block lists.
package watch

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher watches the directories of some files. Open it before reading
// the files, so that no change made after the read can be missed.
type Watcher struct {
	w    *fsnotify.Watcher
	want map[string]bool // absolute paths of the files
}

// Open starts watching the directories of paths. It watches directories,
// not files: editors and config managers save by writing a new file and
// renaming it over the old, which a watch on the old file's inode misses.
func Open(paths []string) (*Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err == nil && !want[abs] {
			want[abs] = true
			err = w.Add(filepath.Dir(abs))
		}
		if err != nil {
			w.Close()
			return nil, err
		}
	}
	return &Watcher{w: w, want: want}, nil
}

// Run calls changed, at most once per quiet period of debounce, after any
// of the files is written, replaced or renamed into place, until ctx ends;
// then it closes the watch.
func (w *Watcher) Run(ctx context.Context, debounce time.Duration, changed func()) {
	defer w.w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if w.want[filepath.Clean(ev.Name)] && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				timer.Reset(debounce) // coalesce the several events of one save
			}
		case <-w.w.Errors:
			// An overflowed event queue: report a change anyway, one may have happened.
			timer.Reset(debounce)
		case <-timer.C:
			changed()
		}
	}
}
