package configs

import (
	"context"
	"time"

	"github.com/amane-dns/amane/internal/watch"
)

// Watch calls changed, at most once per quiet period of debounce, after the
// configuration file at path is saved (see package watch). It returns when
// ctx ends, or at once if the watch cannot start.
func Watch(ctx context.Context, path string, debounce time.Duration, changed func()) error {
	w, err := watch.Open([]string{path})
	if err != nil {
		return err
	}
	w.Run(ctx, debounce, changed)
	return nil
}
