package feed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// installDir puts the complete directory tmp in place of out, atomically
// where the system allows it: on Linux the two directories are exchanged
// in one renameat2(RENAME_EXCHANGE), so that out always names a whole
// feed. Elsewhere (or on a file system without it) out is renamed aside
// and tmp renamed into place: out is missing for an instant, which a
// client sees as a failed fetch and retries, never as a mix. Afterwards
// tmp holds the old feed, for the caller to remove.
func installDir(tmp, out string) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
		return syncDir(filepath.Dir(out))
	}
	if exchangeDirs(tmp, out) == nil {
		return syncDir(filepath.Dir(out))
	}
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("moving the old feed aside: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("moving the new feed into place: %w (and restoring the old one from %s: %v)", err, old, rerr)
		}
		return fmt.Errorf("moving the new feed into place: %w", err)
	}
	if err := os.Rename(old, tmp); err != nil {
		os.RemoveAll(old)
	}
	return syncDir(filepath.Dir(out))
}
