package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// run starts w with a short debounce and returns a channel told of each
// change it reports.
func run(t *testing.T, w *Watcher) <-chan struct{} {
	t.Helper()
	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, 20*time.Millisecond, func() { changed <- struct{}{} })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return changed
}

// watched writes a file name in a new directory and opens a watch on it.
func watched(t *testing.T, name string) (dir, path string, w *Watcher) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, w
}

func waitChange(t *testing.T, changed <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not reported within 10 s", what)
	}
}

func TestSavesAreSeenBothWays(t *testing.T) {
	dir, path, w := watched(t, "list.txt")
	// Saved the way editors do, after the watch opened and before it runs:
	// a new file renamed over the old one.
	tmp := filepath.Join(dir, ".list.txt.swp")
	os.WriteFile(tmp, []byte("two.example\n"), 0o600)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	changed := run(t, w)
	waitChange(t, changed, "a file renamed into place")
	// Written in place, as `cat > list.txt` or dnsmasq's leases do.
	if err := os.WriteFile(path, []byte("three.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitChange(t, changed, "a file written in place")
}

func TestAMissingDirectoryIsAnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone", "list.txt")
	if _, err := Open([]string{missing}); err == nil {
		t.Fatal("a watch opened on a directory that does not exist")
	}
}
