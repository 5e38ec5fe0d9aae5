package policy

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestPause(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pauses, err := NewPauses(db)
	if err != nil {
		t.Fatal(err)
	}
	s := bedtimeSnapshot(t, "Europe/Paris").WithPauses(pauses)
	other := Client{Addr: netip.MustParseAddr("192.168.1.99")}
	now := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	if err := pauses.Pause("tablet", now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	t.Run("a paused device is blocked until the pause ends, and told so", func(t *testing.T) {
		d := s.Decide(tablet, "news.example", 1, now)
		if d.Action != Block || d.Why != ByPause || d.TTLCap != 30*time.Minute {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("other devices are not", func(t *testing.T) {
		if d := s.Decide(other, "news.example", 1, now); d.Action != Allow {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("the always-allowed names answer during a pause", func(t *testing.T) {
		if d := s.Decide(tablet, "school.example", 1, now); d.Action != Allow {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("the pause ends on time", func(t *testing.T) {
		if d := s.Decide(tablet, "news.example", 1, now.Add(30*time.Minute)); d.Action != Allow {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("a profile can be paused", func(t *testing.T) {
		pauses.Resume("tablet")
		pauses.Pause("child", now.Add(time.Hour))
		if d := s.Decide(tablet, "news.example", 1, now); d.Why != ByPause {
			t.Fatalf("decision %+v", d)
		}
	})
	t.Run("pauses are kept in the state file", func(t *testing.T) {
		again, err := NewPauses(db)
		if err != nil {
			t.Fatal(err)
		}
		if l := again.List(now); len(l) != 1 || l[0].Target != "child" {
			t.Fatalf("reloaded %v", l)
		}
	})
}
