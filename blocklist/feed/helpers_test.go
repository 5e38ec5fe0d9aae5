package feed

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the fixtures' clock.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// goodFiles are the list files of a fixture's first version.
func goodFiles() map[string]string {
	return map[string]string{"abuse.txt": "bad.example\nworse.example\n", "watch.txt": "suspect.example\n"}
}

// fixture is a helpline serving a feed directory over HTTP on 127.0.0.1,
// and an appliance's state directory.
type fixture struct {
	t     *testing.T
	key   SecretKey
	www   string // the feed directory served
	state string // the appliance's state directory
	now   time.Time
	srv   *httptest.Server

	mu     sync.Mutex                  // guards following
	routes map[string]http.HandlerFunc // by file name: what the server does instead of serving the file
	hits   map[string]int              // requests by file name
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, key: newKey(t), www: t.TempDir(), state: filepath.Join(t.TempDir(), "emc"), now: t0,
		routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func newKey(t testing.TB) SecretKey {
	t.Helper()
	k, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// serve serves the files of f.www with an ETag, as a static server does,
// unless a route says otherwise.
func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.URL.Path)
	f.mu.Lock()
	route := f.routes[name]
	f.hits[name]++
	f.mu.Unlock()
	if route != nil {
		route(w, r)
		return
	}
	b, err := os.ReadFile(filepath.Join(f.www, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

func (f *fixture) route(file string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[file] = h
}

func (f *fixture) hitCount(file string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[file]
}

// manifest describes files as version v of feed "emc", valid from an hour
// before the fixture's clock for 30 days.
func (f *fixture) manifest(v uint64, files map[string]string) Manifest {
	m := Manifest{Schema: SchemaVersion, Name: "emc", Version: v, Issued: f.now.Add(-time.Hour), Expires: f.now.Add(720 * time.Hour)}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		sum := sha256.Sum256([]byte(files[name]))
		cat, mandatory := "cyberviolence", false
		if strings.HasPrefix(name, "abuse") {
			cat, mandatory = "abuse", true
		}
		m.Lists = append(m.Lists, List{File: name, Size: int64(len(files[name])), SHA256: hex.EncodeToString(sum[:]),
			Category: cat, Format: "domains", Mandatory: mandatory, Watch: !mandatory})
	}
	return m
}

// publish writes files and m, signed by key, into the served directory,
// and returns the manifest's bytes.
func (f *fixture) publish(m Manifest, files map[string]string, key SecretKey) []byte {
	f.t.Helper()
	for name, content := range files {
		f.write(name, []byte(content))
	}
	raw, err := m.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	f.write(ManifestFile, raw)
	f.write(SignatureFile, key.Sign(raw, "timestamp:1\tfile:manifest.json\thashed").Encode())
	return raw
}

// publishVersion publishes version v of files, signed by the fixture's key.
func (f *fixture) publishVersion(v uint64, files map[string]string) []byte {
	return f.publish(f.manifest(v, files), files, f.key)
}

func (f *fixture) write(name string, b []byte) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.www, name), b, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) config() Config {
	return Config{URL: f.srv.URL + "/feeds/emc/", PublicKey: f.key.Public().String()}
}

func (f *fixture) options() Options {
	return Options{StateDir: f.state, HTTPClient: f.srv.Client(), Limits: Limits{MaxFileBytes: 1 << 20},
		Timeout: 10 * time.Second, Now: func() time.Time { return f.now }, Logger: slog.New(slog.DiscardHandler)}
}

// subscribe returns a new subscription of the appliance, as after a restart.
func (f *fixture) subscribe() *Subscription {
	f.t.Helper()
	s, err := New(f.config(), f.options())
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// update runs one Update and fails the test on an error.
func (f *fixture) update(s *Subscription) (Snapshot, bool) {
	f.t.Helper()
	snap, changed, err := s.Update(context.Background())
	if err != nil {
		f.t.Fatalf("Update: %v", err)
	}
	return snap, changed
}

// assertHeld checks, as a restarted appliance without network would, that
// the state directory holds version v with exactly files, and no leftover
// download.
func (f *fixture) assertHeld(v uint64, files map[string]string) {
	f.t.Helper()
	snap, err := f.subscribe().Load()
	if err != nil {
		f.t.Fatalf("Load: %v", err)
	}
	if snap.Manifest.Version != v || len(snap.Manifest.Lists) != len(files) {
		f.t.Fatalf("held version %d with %d lists, want version %d with %d", snap.Manifest.Version, len(snap.Manifest.Lists), v, len(files))
	}
	for _, l := range snap.Manifest.Lists {
		if b, err := os.ReadFile(snap.Path(l)); err != nil || string(b) != files[l.File] {
			f.t.Errorf("held %s = %q, %v; want %q", l.File, b, err, files[l.File])
		}
	}
	entries, _ := os.ReadDir(f.state)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), incomingPrefix) || e.IsDir() && filepath.Join(f.state, e.Name()) != snap.Dir {
			f.t.Errorf("state directory keeps %s besides the current copy", e.Name())
		}
	}
}

// treeOf returns every file under dir with its content, to compare trees.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		tree[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
