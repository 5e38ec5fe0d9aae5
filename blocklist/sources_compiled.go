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
	defer f.Close() // a mapping outlives its descriptor
	fi, err := f.Stat()
	if err != nil {
		s.log.Warn("compiled lists unreadable; compiling them again", "file", path, "err", err)
		return nil
	}
	var errs []error
	set, saved, err := mapCompiled(f, fi.Size(), func(saved []Input) bool {
		var same bool
		same, errs = s.unchanged(saved)
		return same
	})
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

// unchanged reports whether the lists on disk are still the saved ones,
// and why each list that cannot be read cannot. A list whose file has the
// stamp recorded when it was compiled is taken as unchanged without being
// read (see fileStamp); any other is hashed. It stops at the first list
// that differs.
func (s *Sources) unchanged(saved []Input) (bool, []error) {
	if len(saved) != len(s.cfgs) {
		return false, nil
	}
	errs := make([]error, len(s.cfgs))
	for i, c := range s.cfgs {
		now := Input{Name: c.Name, Category: c.category(), Format: c.format()}
		if !sameList(now, saved[i]) {
			return false, nil
		}
		if saved[i].stamp.valid() {
			if fi, err := statSource(s.dir, c); err == nil {
				if st, ok := stampOf(fi); ok && st == saved[i].stamp {
					continue
				}
			}
		}
		errs[i] = digestSource(s.dir, c, &now.SHA256)
		if now.SHA256 != saved[i].SHA256 {
			return false, nil
		}
	}
	return true, errs
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

// compileToFile compiles b straight into a new CompiledFile, atomically
// (a temporary file, synced, renamed over the old one, so that a power
// cut leaves the old file or the new one, never half of one), and returns
// the Set mapped from it. b is spent, whatever happens.
func (s *Sources) compileToFile(b *Builder, inputs []Input) (*Set, error) {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(s.dir, "."+CompiledFile+"-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	defer tmp.Close()
	err = b.buildFile(tmp, inputs)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.dir, CompiledFile))
	}
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", CompiledFile, err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	set, _, err := mapCompiled(tmp, fi.Size(), nil)
	return set, err
}
