package configs

import (
	"github.com/amane-dns/amane/internal/watch"
)

// Watch starts watching the configuration file at path. Call it before
// Load, then Run the watcher: a save made after the watch started and
// before the file was read is then seen, never lost (see package watch).
func Watch(path string) (*watch.Watcher, error) {
	return watch.Open([]string{path})
}
