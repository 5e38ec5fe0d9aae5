package configs

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch calls changed, at most once per quiet period of debounce, after the
// file at path is written, replaced or renamed into place. It watches the
// directory, not the file: editors and config managers save by writing a
// new file and renaming it over the old, which a watch on the old file's
// inode would miss. It returns when ctx ends, or at once if the watch
// cannot start.
func Watch(ctx context.Context, path string, debounce time.Duration, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return err
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) == abs && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				timer.Reset(debounce) // coalesce the several events of one save
			}
		case <-w.Errors:
			// An overflowed event queue: reload anyway, the file may have changed.
			timer.Reset(debounce)
		case <-timer.C:
			changed()
		}
	}
}
