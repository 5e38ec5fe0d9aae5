package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The rollback floor is the highest version of the feed ever verified and
// taken, with the SHA-256 of that manifest, kept in its own file of the
// state directory apart from the copy (issue 9). A copy on disk can be
// damaged — a list file changed, the manifest cut short, the whole copy
// gone — and is then downloaded again; the floor is what stops an older
// manifest, validly signed but superseded, from being taken in its place.
//
// The file is one line, written atomically (temporary file, fsync,
// rename, fsync of the directory):
//
//	<version> <SHA-256 of manifest.json, hex> <CRC-32 of what precedes, hex>
//
// The CRC makes a damaged file (a flipped digit, a cut line) an error
// rather than a lower floor. A missing file is rebuilt from the copy on
// disk (see floorLocked); a damaged one refuses every update until an
// operator removes it.
const (
	floorFile     = "floor"
	maxFloorBytes = 128
)

// ErrFloorDamaged is wrapped by Update's error while the floor file
// cannot be read back: no update is taken, since none can be checked
// against the versions verified before.
var ErrFloorDamaged = errors.New("refusing updates: the rollback floor is damaged")

// floor is the content of the floor file. The zero floor lets any
// version through.
type floor struct {
	Version uint64
	Sum     string // hex SHA-256 of the manifest of Version; "" with Version 0
}

func (f floor) line() string {
	body := strconv.FormatUint(f.Version, 10) + " " + f.Sum
	return fmt.Sprintf("%s %08x\n", body, crc32.ChecksumIEEE([]byte(body)))
}

func manifestSum(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// readFloor reads the floor file of stateDir. ok is false, with no error,
// when there is none. Any other problem is an error, wrapping
// ErrFloorDamaged when the file is there but not a floor.
func readFloor(stateDir string) (fl floor, ok bool, err error) {
	path := filepath.Join(stateDir, floorFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return floor{}, false, nil
	}
	if err != nil {
		return floor{}, false, fmt.Errorf("reading the rollback floor: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFloorBytes+1))
	if err != nil {
		return floor{}, false, fmt.Errorf("reading the rollback floor: %w", err)
	}
	fl, err = parseFloor(b)
	if err != nil {
		return floor{}, false, fmt.Errorf("%s: %s: %w; the copy in use goes on filtering; remove it to rebuild it from the copy on disk", path, err, ErrFloorDamaged)
	}
	return fl, true, nil
}

// parseFloor decodes a floor file's bytes strictly.
func parseFloor(b []byte) (floor, error) {
	if len(b) > maxFloorBytes {
		return floor{}, fmt.Errorf("over %d bytes", maxFloorBytes)
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return floor{}, errors.New("not one complete line (cut short?)")
	}
	fields := strings.Split(s, " ")
	if len(fields) != 3 {
		return floor{}, fmt.Errorf("%d fields, want 3 (version, manifest SHA-256, check)", len(fields))
	}
	v, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return floor{}, fmt.Errorf("version %q is not a number", clip(fields[0]))
	}
	if _, err := hex.DecodeString(fields[1]); err != nil || len(fields[1]) != 2*sha256.Size {
		return floor{}, fmt.Errorf("%q is not a hex SHA-256", clip(fields[1]))
	}
	fl := floor{Version: v, Sum: fields[1]}
	if fl.line() != string(b) {
		return floor{}, errors.New("the check does not match the version and hash")
	}
	return fl, nil
}

// writeFloor replaces the floor file of stateDir atomically.
func writeFloor(stateDir string, fl floor) error {
	if err := replaceFile(filepath.Join(stateDir, floorFile), []byte(fl.line())); err != nil {
		return fmt.Errorf("writing the rollback floor: %w", err)
	}
	return nil
}

// floorLocked returns the rollback floor. A missing floor file is
// rebuilt, and written, from the highest version on disk whose manifest
// still verifies (an appliance upgraded from a release without floors, a
// file removed by an operator); the list files beside that manifest need
// not be intact. With nothing on disk the floor is zero: a first boot.
func (s *Subscription) floorLocked() (floor, error) {
	fl, ok, err := readFloor(s.opts.StateDir)
	if err != nil || ok {
		return fl, err
	}
	fl = s.floorOnDisk()
	if fl.Version == 0 {
		return fl, nil
	}
	return fl, writeFloor(s.opts.StateDir, fl)
}

// floorOnDisk returns the highest version among the held copy and every
// copy directory whose manifest verifies.
func (s *Subscription) floorOnDisk() floor {
	var fl floor
	if s.held != nil {
		fl = floor{s.held.snap.Manifest.Version, manifestSum(s.held.raw)}
	}
	entries, _ := os.ReadDir(s.opts.StateDir)
	for _, e := range entries {
		if !isVersionDirName(e.Name()) {
			continue
		}
		m, raw, err := s.readManifest(filepath.Join(s.opts.StateDir, e.Name()))
		if err == nil && m.Version > fl.Version {
			fl = floor{m.Version, manifestSum(raw)}
		}
	}
	return fl
}

// compareFloor refuses a manifest older than the floor, or of the floor's
// version with other content.
func compareFloor(m Manifest, raw []byte, fl floor) error {
	switch {
	case fl.Version == 0: // nothing verified yet
		return nil
	case m.Version < fl.Version:
		return fmt.Errorf("manifest version %d is older than version %d, the highest verified before: %w", m.Version, fl.Version, ErrRollback)
	case m.Version == fl.Version && fl.Sum != manifestSum(raw):
		return fmt.Errorf("manifest version %d is the highest version verified before, with different content (a new publication must increase the version): %w", m.Version, ErrVersionConflict)
	}
	return nil
}
