package feed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A feed's state directory:
//
//	current                 the name of the copy in use, replaced atomically
//	v00000001795400000/     a verified copy: manifest.json, its .minisig,
//	                        the list files, and .etag (the server's ETag)
//	.incoming-123/          a download in progress, removed if it fails
//	floor                   the rollback floor: the highest version ever
//	                        verified, apart from the copy (floor.go)
//
// An update writes and fsyncs a whole new copy beside the one in use,
// renames it into place, then replaces `current` (a write to a temporary
// file, fsync, rename, fsync of the directory). A power cut at any point
// leaves `current` naming a complete verified copy. The copy is itself a
// feed directory that any static web server could serve again.
const (
	currentFile    = "current"
	etagFile       = ".etag" // hidden, so never the name of a list file
	incomingPrefix = ".incoming-"
	versionPrefix  = "v"
	versionDigits  = 20 // uint64 in decimal, zero-padded so that names sort by version
)

// ErrNoCopy is wrapped by Load's error when the state directory holds no
// verified copy yet (a first boot).
var ErrNoCopy = errors.New("no verified copy on disk yet")

func versionDirName(v uint64) string { return fmt.Sprintf("%s%0*d", versionPrefix, versionDigits, v) }

func isVersionDirName(name string) bool {
	digits, ok := strings.CutPrefix(name, versionPrefix)
	return ok && len(digits) == versionDigits && strings.Trim(digits, "0123456789") == ""
}

// readCurrent returns the directory of the copy in use.
func readCurrent(stateDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, currentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNoCopy
	}
	if err != nil {
		return "", fmt.Errorf("reading the current copy's name: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if !isVersionDirName(name) {
		return "", fmt.Errorf("%s names %q, not a copy", filepath.Join(stateDir, currentFile), clip(name))
	}
	return filepath.Join(stateDir, name), nil
}

// commit moves the complete, fsynced copy in incoming into place as the
// copy of version v, makes it current and removes every other copy.
func commit(stateDir, incoming string, v uint64) (string, error) {
	name := versionDirName(v)
	dir := filepath.Join(stateDir, name)
	if err := os.RemoveAll(dir); err != nil { // left by a crash before `current` changed
		return "", fmt.Errorf("removing a stale %s: %w", name, err)
	}
	if err := os.Rename(incoming, dir); err != nil {
		return "", fmt.Errorf("moving the new copy into place: %w", err)
	}
	if err := syncDir(stateDir); err != nil {
		return "", err
	}
	if err := replaceFile(filepath.Join(stateDir, currentFile), []byte(name+"\n")); err != nil {
		return "", fmt.Errorf("switching to the new copy: %w", err)
	}
	prune(stateDir, name)
	return dir, nil
}

// prune removes every copy but keep, and downloads left by a crash. It is
// best effort: what it cannot remove now, a later update removes.
func prune(stateDir, keep string) {
	entries, err := os.ReadDir(stateDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if n != keep && (isVersionDirName(n) || strings.HasPrefix(n, incomingPrefix)) {
			os.RemoveAll(filepath.Join(stateDir, n))
		}
	}
}

// removeIncoming removes downloads that a crash left behind.
func removeIncoming(stateDir string) {
	entries, _ := os.ReadDir(stateDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), incomingPrefix) {
			os.RemoveAll(filepath.Join(stateDir, e.Name()))
		}
	}
}

// writeFileSync creates path with data and fsyncs it.
func writeFileSync(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replaceFile atomically replaces path with data: readers see the old
// content or the new, and a power cut leaves one of them.
func replaceFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := writeFileSync(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or a creation in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
