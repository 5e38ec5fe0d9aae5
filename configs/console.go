package configs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/BurntSushi/toml"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/policy"
)

// ConsoleFile is the file in state_dir where the parents' console keeps
// what a parent changed. The hand-written configuration is never
// rewritten (DESIGN.md): the console's objects sit beside it, in the same
// schema, decoded by the same strict decoder.
const ConsoleFile = "console.toml"

// Console is what the console may set: devices and profiles that the
// hand-written file does not define. A name the hand-written file defines
// is the hand-written file's, and read-only in the console.
type Console struct {
	Profiles []policy.ProfileConfig `toml:"profile"`
	Devices  []policy.DeviceConfig  `toml:"device"`
}

// ConsolePath is where the console's settings of f live ("" without a
// state_dir: the console then changes nothing that lasts).
func (f *File) ConsolePath() string {
	if f.StateDir == "" {
		return ""
	}
	return filepath.Join(f.StateDir, ConsoleFile)
}

// loadConsole merges the console's file, if there is one, into f, which
// Load just read from the hand-written file.
func (f *File) loadConsole() error {
	path := f.ConsolePath()
	if path == "" {
		return nil
	}
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var c Console
	if err := DecodeStrict(path, src, &c, func() error { return f.checkConsole(&c) }); err != nil {
		return err
	}
	f.merge(c)
	return nil
}

// checkConsole checks c against the hand-written f: no name twice, and the
// merged whole valid. Problems name c's keys ("profile[1].schedule[0].from").
func (f *File) checkConsole(c *Console) error {
	var errs []error
	for i, p := range c.Profiles {
		if f.hasProfile(p.Name) {
			errs = append(errs, fielderr.New(fmt.Sprintf("profile[%d].name", i), "%q is set in %s: change it there", p.Name, f.Path))
		}
	}
	for i, d := range c.Devices {
		if f.hasDevice(d.Name) {
			errs = append(errs, fielderr.New(fmt.Sprintf("device[%d].name", i), "%q is set in %s: change it there", d.Name, f.Path))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	merged := *f
	merged.merge(*c)
	return consoleKeys(merged.validate(), len(f.Profiles), len(f.Devices))
}

// consoleKeys keeps the problems of the merged file that are the
// console's objects', renamed to their keys in the console's file; the
// hand-written file's own problems were reported when it was read.
func consoleKeys(err error, profiles, devices int) error {
	var out []error
	for _, e := range fielderr.Flatten(err) {
		var fe *fielderr.Error
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		if key, ok := shiftIndex(fe.Key, "profile", profiles); ok {
			out = append(out, &fielderr.Error{Key: key, Err: fe.Err})
		} else if key, ok := shiftIndex(fe.Key, "device", devices); ok {
			out = append(out, &fielderr.Error{Key: key, Err: fe.Err})
		}
	}
	return errors.Join(out...)
}

// merge appends c's objects to f's and remembers them as the console's.
func (f *File) merge(c Console) {
	f.Profiles = append(slices.Clip(f.Profiles), c.Profiles...)
	f.Devices = append(slices.Clip(f.Devices), c.Devices...)
	f.Console = &c
}

func (f *File) hasProfile(name string) bool {
	return slices.ContainsFunc(f.handProfiles(), func(p policy.ProfileConfig) bool { return p.Name == name })
}

func (f *File) hasDevice(name string) bool {
	return slices.ContainsFunc(f.handDevices(), func(d policy.DeviceConfig) bool { return d.Name == name })
}

// handProfiles and handDevices are the hand-written file's own objects.
func (f *File) handProfiles() []policy.ProfileConfig {
	if f.Console != nil {
		return f.Profiles[:len(f.Profiles)-len(f.Console.Profiles)]
	}
	return f.Profiles
}

func (f *File) handDevices() []policy.DeviceConfig {
	if f.Console != nil {
		return f.Devices[:len(f.Devices)-len(f.Console.Devices)]
	}
	return f.Devices
}

// ProfileSetByHand reports whether the hand-written file defines the
// profile name: the console shows it read-only.
func (f *File) ProfileSetByHand(name string) bool { return f.hasProfile(name) }

// DeviceSetByHand reports whether the hand-written file defines the
// device name.
func (f *File) DeviceSetByHand(name string) bool { return f.hasDevice(name) }

// WithConsole returns the configuration that c would make, as Load would
// read it once c is written, or the problems that forbid it, keyed as in
// c (to show next to each field). f is left as it is.
func (f *File) WithConsole(c Console) (*File, error) {
	hand := *f
	hand.Profiles, hand.Devices, hand.Console = f.handProfiles(), f.handDevices(), nil
	if err := hand.checkConsole(&c); err != nil {
		return nil, err
	}
	next := hand
	next.merge(c)
	return &next, nil
}

// WriteConsole checks c as WithConsole does and writes it to the console's
// file atomically (a temporary file, fsync, rename, fsync of the
// directory): a power cut leaves the old file or the new, never half.
// It returns the configuration to reload.
func (f *File) WriteConsole(c Console) (*File, error) {
	path := f.ConsolePath()
	if path == "" {
		return nil, errors.New("state_dir is empty: the console has nowhere to keep a change")
	}
	next, err := f.WithConsole(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by amane's console: what a parent set there. Edit it with the console,\n" +
		"# or by hand with the same keys as amane.toml; amane.toml's own objects win.\n\n")
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return next, nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".console-*.toml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// shiftIndex renames key, a merged file's key under list (e.g.
// "profile[5].schedule[0].from"), to its key in the console's file, where
// the list starts after the hand-written file's n objects; ok is false for
// a key of the hand-written file's own objects or of another list.
func shiftIndex(key, list string, n int) (string, bool) {
	var i int
	var rest string
	if _, err := fmt.Sscanf(key, list+"[%d]", &i); err != nil || i < n {
		return "", false
	}
	head := fmt.Sprintf("%s[%d]", list, i)
	rest = key[len(head):]
	return fmt.Sprintf("%s[%d]%s", list, i-n, rest), true
}
