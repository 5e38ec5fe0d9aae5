package blocklist

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// statInfo is an os.FileInfo with a chosen Stat_t.
type statInfo struct {
	fs.FileInfo
	st syscall.Stat_t
}

func (s statInfo) Size() int64 { return s.st.Size }
func (s statInfo) Sys() any    { return &s.st }

func TestAStampIsRecordedOnlyForAFileThatHeldStill(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	info := func(size int64, changed time.Time) os.FileInfo {
		ts := syscall.NsecToTimespec(changed.UnixNano())
		return statInfo{st: syscall.Stat_t{Size: size, Ino: 7, Dev: 1, Mtim: ts, Ctim: ts}}
	}
	old := now.Add(-time.Hour)
	for _, c := range []struct {
		name          string
		before, after os.FileInfo
		recorded      bool
	}{
		{"a file unchanged for an hour is stamped", info(10, old), info(10, old), true},
		{"a file changed while it was parsed is not", info(10, old), info(12, now), false},
		{"a file changed a second ago is not: a write in the same tick would go unseen", info(10, now.Add(-time.Second)), info(10, now.Add(-time.Second)), false},
		{"a file still for longer than stillFor is", info(10, now.Add(-stillFor-time.Millisecond)), info(10, now.Add(-stillFor-time.Millisecond)), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := stableStamp(c.before, c.after, now)
			if st.valid() != c.recorded {
				t.Fatalf("stamp %+v, want recorded: %v", st, c.recorded)
			}
		})
	}
}

func TestAListWithItsRecordedStampIsNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "local.txt")
	if err := os.WriteFile(list, []byte("casino.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSources([]SourceConfig{{Name: "local", Category: "gambling", Path: list}}, filepath.Join(dir, "lists"), quietLog())
	stampNow := func() fileStamp {
		fi, err := os.Stat(list)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := stampOf(fi)
		return st
	}
	// What the compiled file would say had the list held still: its
	// stamp, and a digest that is not the file's. Trusting the stamp is
	// the only way to call the lists unchanged.
	saved := []Input{{Name: "local", Category: Gambling, SHA256: [32]byte{1}, stamp: stampNow()}}
	if same, _ := s.unchanged(saved); !same {
		t.Fatal("the stamp matched, and the list was read anyway")
	}
	if err := os.WriteFile(list, []byte("casino.example\nbet.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if same, _ := s.unchanged(saved); same {
		t.Fatal("the list changed (and its stamp with it), and was taken as unchanged")
	}
	saved[0].stamp = fileStamp{}
	if same, _ := s.unchanged(saved); same {
		t.Fatal("without a stamp, the wrong digest was taken as matching")
	}
}
