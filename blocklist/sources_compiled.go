package blocklist

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CompiledFile is where Sources keep the Set they last compiled, in their
// directory (see Sources.Build).
const CompiledFile = "compiled.set"

// loadCompiled returns the Set of CompiledFile when it was built from the
// lists as they are now on disk, and records each list's status; nil when
// there is none, or it is stale or damaged, which it logs.
func (s *Sources) loadCompiled() *Set {
	path := filepath.Join(s.dir, CompiledFile)
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("compiled lists unreadable; compiling them again", "file", path, "err", err)
		}
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.log.Warn("compiled lists unreadable; compiling them again", "file", path, "err", err)
		return nil
	}
	now, errs := s.identify()
	set, saved, err := readCompiled(f, fi.Size(), func(saved []Input) bool { return sameInputs(saved, now) })
	switch {
	case errors.Is(err, errStale):
		s.log.Info("lists changed since they were compiled; compiling them again", "file", path)
		return nil
	case err != nil:
		s.log.Warn("compiled lists ignored; compiling them again", "file", path, "err", err)
		return nil
	}
	for i, c := range s.cfgs {
		s.recordBuilt(c, saved[i].Stats, errs[i])
		if errs[i] != nil {
			s.log.Warn("list left out", "list", c.Name, "err", errs[i])
		}
	}
	s.log.Info("compiled lists loaded", "file", path, "names", set.Len())
	return set
}

// identify returns the inputs as they are on disk now, without Stats: the
// digest of each list's file, zero with the error when it cannot be read.
func (s *Sources) identify() ([]Input, []error) {
	inputs := make([]Input, len(s.cfgs))
	errs := make([]error, len(s.cfgs))
	for i, c := range s.cfgs {
		inputs[i] = Input{Name: c.Name, Category: c.category(), Format: c.format()}
		errs[i] = digestSource(s.dir, c, &inputs[i].SHA256)
	}
	return inputs, errs
}

// digestSource puts the SHA-256 of list c's file in sum.
func digestSource(dir string, c SourceConfig, sum *[sha256.Size]byte) error {
	f, err := openSource(dir, c)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		*sum = [sha256.Size]byte{}
		return fmt.Errorf("reading list %q: %w", c.Name, err)
	}
	h.Sum(sum[:0])
	return nil
}

// saveCompiled writes set and its inputs to CompiledFile atomically: a
// temporary file, synced, renamed over the old one, so that a power cut
// leaves the old file or the new one, never half of one.
func (s *Sources) saveCompiled(set *Set, inputs []Input) error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, "."+CompiledFile+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	err = writeCompiled(tmp, set, inputs)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", CompiledFile, err)
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, CompiledFile))
}
