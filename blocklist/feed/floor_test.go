package feed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 9 item 2: a damaged list file in the copy on disk made the next
// Update skip the version comparison, so an older manifest that verified
// was taken. The floor is kept apart from the copy, so the damage cannot
// lower it.
func TestRollbackRefusedAfterTheCopyIsDamaged(t *testing.T) {
	tests := []struct {
		name   string
		damage func(f *fixture, dir string)
	}{
		{"a list file corrupted", func(f *fixture, dir string) {
			os.WriteFile(filepath.Join(dir, "abuse.txt"), []byte("bad.example\nworse.exampl\n"), 0o644)
		}},
		{"a list file missing", func(f *fixture, dir string) { os.Remove(filepath.Join(dir, "watch.txt")) }},
		{"the manifest corrupted", func(f *fixture, dir string) {
			os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{"), 0o644)
		}},
		{"the whole copy and its pointer gone", func(f *fixture, dir string) {
			os.RemoveAll(dir)
			os.Remove(filepath.Join(f.state, currentFile))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.publishVersion(10, goodFiles())
			snap, _ := f.update(f.subscribe())
			tt.damage(f, snap.Dir)
			f.publishVersion(9, goodFiles())

			s := f.subscribe() // a restart: nothing held in memory
			_, changed, err := s.Update(context.Background())
			if !errors.Is(err, ErrRollback) || changed {
				t.Fatalf("Update offered version 9 after version 10 = changed %v, %v; want a rollback refused", changed, err)
			}
			if want := "older than version 10, the highest verified"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			// The same version 10 is taken again, repairing the copy, and
			// a newer one after it.
			f.publishVersion(10, goodFiles())
			if snap, changed := f.update(s); !changed || snap.Manifest.Version != 10 {
				t.Fatalf("Update offered version 10 again = version %d, changed %v; want the copy repaired", snap.Manifest.Version, changed)
			}
			f.assertHeld(10, goodFiles())
		})
	}
}

func TestFloorRefusesAnotherManifestOfTheSameVersion(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	snap, _ := f.update(f.subscribe())
	os.Remove(filepath.Join(snap.Dir, "watch.txt"))
	other := goodFiles()
	other["abuse.txt"] = "other.example\n"
	f.publishVersion(10, other)
	if _, _, err := f.subscribe().Update(context.Background()); !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("Update = %v, want %v", err, ErrVersionConflict)
	}
}

func TestFloorRisesWithEachVersionTaken(t *testing.T) {
	f := newFixture(t)
	for _, v := range []uint64{3, 7, 8} {
		f.publishVersion(v, goodFiles())
		f.update(f.subscribe())
		fl, ok, err := readFloor(f.state)
		if err != nil || !ok || fl.Version != v {
			t.Fatalf("after taking version %d the floor is %+v, present %v, %v", v, fl, ok, err)
		}
	}
}

// A floor file that is missing is rebuilt from the copy on disk (an
// appliance upgraded from a version without floors, or the file deleted
// by hand): from a manifest whose signature still verifies, even if a
// list file beside it is damaged.
func TestMissingFloorIsRebuiltFromTheCopyOnDisk(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	snap, _ := f.update(f.subscribe())
	if err := os.Remove(filepath.Join(f.state, floorFile)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(snap.Dir, "abuse.txt"), []byte("damaged\n"), 0o644)
	f.publishVersion(9, goodFiles())
	if _, _, err := f.subscribe().Update(context.Background()); !errors.Is(err, ErrRollback) {
		t.Fatalf("Update = %v, want %v", err, ErrRollback)
	}
	if fl, ok, err := readFloor(f.state); err != nil || !ok || fl.Version != 10 {
		t.Errorf("floor rebuilt = %+v, present %v, %v; want version 10 written back", fl, ok, err)
	}
}

// A floor file that is there but damaged is never taken as 0: updates are
// refused with an error that names the file and says what to do, and the
// copy in use stays (Load needs no floor, so filtering goes on).
func TestDamagedFloorRefusesUpdates(t *testing.T) {
	tests := []struct {
		name    string
		content func(good string) string
	}{
		{"empty", func(string) string { return "" }},
		{"garbage", func(string) string { return "hello\n" }},
		{"cut short", func(good string) string { return good[:len(good)/2] }},
		{"a digit of the version changed", func(good string) string { return strings.Replace(good, "10 ", "19 ", 1) }},
		{"a digit of the check changed", func(good string) string {
			b := []byte(strings.TrimSpace(good))
			if b[len(b)-1] == '0' {
				b[len(b)-1] = '1'
			} else {
				b[len(b)-1] = '0'
			}
			return string(b) + "\n"
		}},
		{"a version too large", func(string) string { return "99999999999999999999999 x y\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.publishVersion(10, goodFiles())
			f.update(f.subscribe())
			path := filepath.Join(f.state, floorFile)
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, []byte(tt.content(string(good))), 0o644)
			f.publishVersion(11, map[string]string{"abuse.txt": "new.example\n"})

			s := f.subscribe()
			snap, changed, err := s.Update(context.Background())
			if !errors.Is(err, ErrFloorDamaged) || changed || snap.Manifest.Version != 10 {
				t.Fatalf("Update = version %d, changed %v, %v; want version 10 kept and %v", snap.Manifest.Version, changed, err, ErrFloorDamaged)
			}
			for _, want := range []string{path, "remove it"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if snap, err := f.subscribe().Load(); err != nil || snap.Manifest.Version != 10 {
				t.Errorf("Load with a damaged floor = version %d, %v; want the copy on disk", snap.Manifest.Version, err)
			}
			// The documented repair: remove the file; the floor is rebuilt
			// from the copy on disk and the update goes through.
			os.Remove(path)
			if snap, changed := f.update(s); !changed || snap.Manifest.Version != 11 {
				t.Fatalf("Update after removing the floor = version %d, changed %v", snap.Manifest.Version, changed)
			}
		})
	}
}

func TestFloorFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := readFloor(dir); ok || err != nil {
		t.Fatalf("readFloor of an empty directory = present %v, %v; want absent, no error", ok, err)
	}
	want := floor{Version: 1<<64 - 1, Sum: strings.Repeat("ab", 32)}
	if err := writeFloor(dir, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := readFloor(dir)
	if err != nil || !ok || got != want {
		t.Fatalf("readFloor = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, floorFile+".tmp")); !os.IsNotExist(err) {
		t.Errorf("the temporary file was left behind: %v", err)
	}
}

// A newer manifest that verified raises the floor even when its list
// files then fail: it was signed, so the older versions are superseded.
func TestFloorRisesBeforeTheDownload(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	f.update(f.subscribe())
	next := map[string]string{"abuse.txt": "new.example\n"}
	f.publishVersion(11, next)
	f.write("abuse.txt", []byte("old.example\n")) // same size, other bytes
	s := f.subscribe()
	if _, _, err := s.Update(context.Background()); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("Update = %v, want %v", err, ErrHashMismatch)
	}
	if fl, _, err := readFloor(f.state); err != nil || fl.Version != 11 {
		t.Fatalf("floor = %+v, %v; want version 11", fl, err)
	}
	f.assertHeld(10, goodFiles()) // the copy in use stays
	f.write("abuse.txt", []byte(next["abuse.txt"]))
	if snap, changed := f.update(s); !changed || snap.Manifest.Version != 11 {
		t.Fatalf("Update once the files are right = version %d, changed %v", snap.Manifest.Version, changed)
	}
}
