//go:build !linux

package watch

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// source is fsnotify's watch, where amane is not on Linux (a developer's
// machine): it reads every event as it comes, the other files' too.
type source struct {
	w    *fsnotify.Watcher
	want map[string]map[string]bool
}

func open(dirs []string, want map[string]map[string]bool) (*source, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		if err := w.Add(dir); err != nil {
			w.Close()
			return nil, err
		}
	}
	return &source{w: w, want: want}, nil
}

// read signals seen for each event of a watched file, and for an error
// (an overflowed queue: a change may have been lost), until ctx ends or the
// source is closed. fsnotify reads as events come: rest is not used.
func (s *source) read(ctx context.Context, _ time.Duration, seen chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-s.w.Events:
			if !ok {
				return
			}
			dir, base := filepath.Split(filepath.Clean(ev.Name))
			if s.want[filepath.Clean(dir)][base] && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				signal(seen)
			}
		case _, ok := <-s.w.Errors:
			if !ok {
				return
			}
			signal(seen)
		}
	}
}

func (s *source) close() { s.w.Close() }
