package feed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Update asks the server for a newer version of the feed and, if there is
// one that verifies, downloads and checks every file, stores the copy and
// makes it current. It returns the snapshot in use and whether it changed.
//
// 304 Not Modified, or the same manifest again, change nothing. Every
// refusal (bad signature, another key, a rollback, the same version with
// other content, an expired manifest, a wrong hash or size, a download
// over a limit or cut short, an unreachable server) is an error saying
// what was refused; the snapshot returned with it is the last good one,
// still on disk, unchanged.
func (s *Subscription) Update(ctx context.Context) (Snapshot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	changed, err := s.updateLocked(ctx)
	if err != nil {
		err = fmt.Errorf("feed %q: %w", s.name, err)
	}
	return s.snapshotLocked(), changed, err
}

func (s *Subscription) updateLocked(ctx context.Context) (bool, error) {
	if err := os.MkdirAll(s.opts.StateDir, 0o755); err != nil {
		return false, fmt.Errorf("creating the state directory: %w", err)
	}
	removeIncoming(s.opts.StateDir)
	heldETag := s.heldETagLocked()
	fl, err := s.floorLocked()
	if err != nil {
		return false, err
	}
	raw, etag, err := s.fetchSmall(ctx, ManifestFile, s.opts.MaxManifestBytes, heldETag)
	if errors.Is(err, errNotModified) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sig, _, err := s.fetchSmall(ctx, SignatureFile, maxSignatureBytes, "")
	if err != nil {
		return false, err
	}
	m, err := s.verify(raw, sig, s.pinnedName())
	if err != nil {
		return false, err
	}
	if same, err := s.compareHeld(m, raw); same || err != nil {
		if same && etag != heldETag { // the server's ETag changed, not the feed
			replaceFile(filepath.Join(s.held.snap.Dir, etagFile), []byte(etag))
			s.held.etag = etag
		}
		return false, err
	}
	if err := compareFloor(m, raw, fl); err != nil {
		return false, err
	}
	if err := s.checkTimes(m); err != nil {
		return false, err
	}
	// The floor rises as soon as a newer manifest passed every check that
	// does not need its list files: it was signed, so every older version
	// is superseded even if this download fails.
	if m.Version > fl.Version {
		if err := writeFloor(s.opts.StateDir, floor{m.Version, manifestSum(raw)}); err != nil {
			return false, err
		}
	}
	dir, err := s.download(ctx, m, raw, sig, etag)
	if err != nil {
		return false, err
	}
	s.held = &heldCopy{snap: Snapshot{Manifest: m, Dir: dir}, raw: raw, etag: etag}
	return true, nil
}

// heldETagLocked returns the ETag of the copy held, loading the copy on
// disk first if none is held yet. A copy that does not load (none yet, or
// damaged) is replaced by the download; Load is where its error is told.
func (s *Subscription) heldETagLocked() string {
	if s.held == nil {
		s.held, _ = s.loadLocked()
	}
	if s.held == nil {
		return ""
	}
	return s.held.etag
}

// pinnedName is the name a new manifest must carry: the configured one,
// else the one held.
func (s *Subscription) pinnedName() string {
	if s.pin == "" && s.held != nil {
		return s.held.snap.Manifest.Name
	}
	return s.pin
}

// compareHeld reports whether m is the manifest held, and refuses one that
// would replace it with an older or conflicting version.
func (s *Subscription) compareHeld(m Manifest, raw []byte) (same bool, err error) {
	if s.held == nil {
		return false, nil
	}
	held := s.held.snap.Manifest.Version
	switch {
	case s.held.sameBytes(raw):
		return true, nil
	case m.Version < held:
		return false, fmt.Errorf("manifest version %d is older than the version held (%d): %w", m.Version, held, ErrRollback)
	case m.Version == held:
		return false, fmt.Errorf("manifest version %d is the version held, with different content (a new publication must increase the version): %w", m.Version, ErrVersionConflict)
	}
	return false, nil
}

// checkTimes refuses an expired manifest, and one issued further in the
// future than the clock skew allows (a wrong clock here, or there).
func (s *Subscription) checkTimes(m Manifest) error {
	now := s.opts.Now()
	if !now.Before(m.Expires) {
		return fmt.Errorf("manifest version %d expired at %s (now %s): %w",
			m.Version, m.Expires.Format(timeFormat), now.UTC().Format(timeFormat), ErrExpired)
	}
	if m.Issued.After(now.Add(s.opts.ClockSkew)) {
		return fmt.Errorf("manifest version %d was issued at %s, more than %s after this clock (%s); check the clock: %w",
			m.Version, m.Issued.Format(timeFormat), s.opts.ClockSkew, now.UTC().Format(timeFormat), ErrNotYetValid)
	}
	return nil
}

// download writes a complete copy of version m into a new directory
// inside the state directory, fsyncs it, and commits it.
func (s *Subscription) download(ctx context.Context, m Manifest, raw, sig []byte, etag string) (string, error) {
	tmp, err := os.MkdirTemp(s.opts.StateDir, incomingPrefix)
	if err != nil {
		return "", fmt.Errorf("making a download directory: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once committed: it has been renamed
	for _, l := range m.Lists {
		if s.reuse(l, filepath.Join(tmp, l.File)) {
			continue
		}
		if err := s.fetchList(ctx, l, filepath.Join(tmp, l.File)); err != nil {
			return "", fmt.Errorf("manifest version %d: %w", m.Version, err)
		}
	}
	for name, data := range map[string][]byte{ManifestFile: raw, SignatureFile: sig, etagFile: []byte(etag)} {
		if err := writeFileSync(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", fmt.Errorf("storing %s: %w", name, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	return commit(s.opts.StateDir, tmp, m.Version)
}

// reuse links l from the held copy into path when the held copy has the
// same file, sparing the download; it checks the result as it would a
// download.
func (s *Subscription) reuse(l List, path string) bool {
	if s.held == nil {
		return false
	}
	old, ok := s.held.snap.Manifest.List(l.File)
	if !ok || old.SHA256 != l.SHA256 || old.Size != l.Size {
		return false
	}
	if os.Link(s.held.snap.Path(old), path) != nil {
		return false
	}
	if checkFile(path, l) != nil {
		os.Remove(path)
		return false
	}
	return true
}

// PollNow makes Poll ask for a new version at once rather than at its
// next tick (an operator's reload, after the helpline published).
func (s *Subscription) PollNow() {
	select {
	case s.wake <- struct{}{}:
	default: // a poll is already asked for
	}
}

// Poll calls Update now and then every interval (±10%, so that appliances
// do not all ask at once) until ctx ends, and calls onNew with each new
// snapshot. It logs each refusal and a stale copy as warnings; the copy in
// use stays until a new one verifies.
func (s *Subscription) Poll(ctx context.Context, interval time.Duration, onNew func(Snapshot)) {
	if interval <= 0 {
		interval = DefaultPoll
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		snap, changed, err := s.Update(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			s.opts.Logger.Warn("feed update refused; keeping the last good copy",
				"feed", s.name, "version_held", snap.Manifest.Version, "err", err)
		case changed:
			s.opts.Logger.Info("feed updated", "feed", s.name, "version", snap.Manifest.Version, "lists", len(snap.Manifest.Lists))
			onNew(snap)
		}
		if snap.Stale {
			s.opts.Logger.Warn("feed has expired and no newer version could be fetched; still using it",
				"feed", s.name, "version", snap.Manifest.Version, "expired", snap.Manifest.Expires)
		}
		t.Reset(interval - interval/10 + rand.N(interval/5+1))
	}
}
