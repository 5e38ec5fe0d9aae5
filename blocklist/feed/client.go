package feed

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
)

// Refusals of a manifest that verified. Each is wrapped by an error that
// says which versions and times were compared.
var (
	ErrRollback        = errors.New("refusing a rollback")
	ErrVersionConflict = errors.New("refusing a different manifest with the same version")
	ErrExpired         = errors.New("refusing an expired manifest")
	ErrNotYetValid     = errors.New("refusing a manifest issued in the future")
	ErrWrongFeed       = errors.New("refusing another feed's manifest")
)

// Snapshot is a verified copy of a feed on disk: every file it names was
// checked against the signed manifest.
type Snapshot struct {
	Manifest Manifest
	// Dir holds the list files. They stay until an Update succeeds and
	// replaces them, so compile a snapshot before asking for the next one
	// (Poll does).
	Dir string
	// Stale is true when the manifest had expired when this snapshot was
	// returned: the feed could not be renewed, and the last good copy goes
	// on protecting the child rather than nothing.
	Stale bool
}

// Path returns where l's verified file is.
func (s Snapshot) Path(l List) string { return filepath.Join(s.Dir, l.File) }

// Subscription is an appliance's subscription to one feed: it loads the
// verified copy on disk, and updates it from the helpline's server.
type Subscription struct {
	name string   // for messages: Config.Name, else the URL's last path element or host
	pin  string   // Config.Name: a manifest must carry it when set
	base *url.URL // the feed directory, ending in '/'
	key  PublicKey
	opts Options // with defaults

	mu   sync.Mutex // serializes Load and Update; guards held
	held *heldCopy  // nil until a copy loaded or downloaded

	wake chan struct{} // PollNow: Poll asks at once
}

// heldCopy is the verified copy in use and what is needed to compare a
// new manifest with it.
type heldCopy struct {
	snap Snapshot
	raw  []byte // manifest.json as signed
	etag string // the server's ETag for raw, or ""
}

// New returns a subscription for c; it reads nothing yet.
func New(c Config, o Options) (*Subscription, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("feed %q: %w", c.URL, err)
	}
	if o.StateDir == "" {
		return nil, fmt.Errorf("feed %q: a state directory is required", c.URL)
	}
	s := &Subscription{pin: c.Name, opts: o.withDefaults(), wake: make(chan struct{}, 1)}
	s.base, _ = c.baseURL()
	s.key, _ = ParsePublicKey(c.PublicKey)
	if s.name = c.Name; s.name == "" {
		s.name = path.Base(s.base.Path) // ".../feeds/emc/" names "emc"
	}
	if s.name == "/" {
		s.name = s.base.Hostname()
	}
	return s, nil
}

// Name returns the name the subscription uses in its messages.
func (s *Subscription) Name() string { return s.name }

// Load reads the verified copy on disk, as at a cold boot without network,
// and checks it again: signature, every file's size and SHA-256. A copy
// past its expiry is still returned, with Stale set and a warning logged:
// a helpline that cannot be reached must not leave a child unprotected.
// With no copy on disk the error wraps ErrNoCopy.
func (s *Subscription) Load() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.loadLocked()
	if err != nil {
		return Snapshot{}, fmt.Errorf("feed %q: loading the copy on disk: %w", s.name, err)
	}
	s.held = h
	snap := s.snapshotLocked()
	if snap.Stale {
		s.opts.Logger.Warn("feed copy on disk has expired; using it until a new version can be fetched",
			"feed", s.name, "version", snap.Manifest.Version, "expired", snap.Manifest.Expires)
	}
	return snap, nil
}

func (s *Subscription) loadLocked() (*heldCopy, error) {
	dir, err := readCurrent(s.opts.StateDir)
	if err != nil {
		return nil, err
	}
	m, raw, err := s.readManifest(dir)
	if err != nil {
		return nil, err
	}
	for _, l := range m.Lists {
		if err := checkFile(filepath.Join(dir, l.File), l); err != nil {
			return nil, err
		}
	}
	etag, _ := os.ReadFile(filepath.Join(dir, etagFile)) // losing it costs one full fetch
	return &heldCopy{snap: Snapshot{Manifest: m, Dir: dir}, raw: raw, etag: string(etag)}, nil
}

// readManifest reads and verifies the manifest of the copy in dir,
// without looking at its list files.
func (s *Subscription) readManifest(dir string) (Manifest, []byte, error) {
	raw, err := readFileMax(filepath.Join(dir, ManifestFile), s.opts.MaxManifestBytes)
	if err != nil {
		return Manifest{}, nil, err
	}
	sig, err := readFileMax(filepath.Join(dir, SignatureFile), maxSignatureBytes)
	if err != nil {
		return Manifest{}, nil, err
	}
	m, err := s.verify(raw, sig, s.pin)
	return m, raw, err
}

// verify checks the signature of raw, then decodes and validates it, then
// checks its name against want (if set) and its lists with Options.Accept.
func (s *Subscription) verify(raw, sigFile []byte, want string) (Manifest, error) {
	sig, err := ParseSignature(sigFile)
	if err != nil {
		return Manifest{}, fmt.Errorf("verifying %s: %w", ManifestFile, err)
	}
	if err := Verify(s.key, raw, sig); err != nil {
		return Manifest{}, fmt.Errorf("verifying %s: %w", ManifestFile, err)
	}
	m, err := DecodeManifest(raw, s.opts.Limits)
	if err != nil {
		return Manifest{}, err
	}
	if want != "" && m.Name != want {
		return Manifest{}, fmt.Errorf("the manifest is for feed %q, not %q: %w", m.Name, want, ErrWrongFeed)
	}
	for _, l := range m.Lists {
		if s.opts.Accept == nil {
			break
		}
		if err := s.opts.Accept(l); err != nil {
			return Manifest{}, fmt.Errorf("manifest version %d, list %q: %w", m.Version, l.File, err)
		}
	}
	return m, nil
}

// snapshotLocked returns the held snapshot (zero if none) with Stale set
// by the clock now.
func (s *Subscription) snapshotLocked() Snapshot {
	if s.held == nil {
		return Snapshot{}
	}
	snap := s.held.snap
	snap.Stale = !s.opts.Now().Before(snap.Manifest.Expires)
	return snap
}

func readFileMax(path string, max int64) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d: %w", path, len(b), max, ErrTooLarge)
	}
	return b, nil
}

// sameBytes reports whether a new manifest is the one held, byte for byte.
func (h *heldCopy) sameBytes(raw []byte) bool { return h != nil && bytes.Equal(h.raw, raw) }
