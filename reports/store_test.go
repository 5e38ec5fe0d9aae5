package reports

import (
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
)

var hlT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// hlStore opens a store in a fresh directory, closed at the end of the test.
func hlStore(t testing.TB) *BoltStore {
	t.Helper()
	s, err := OpenStore(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hlKey(t testing.TB) feed.SecretKey {
	t.Helper()
	k, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var hlSeq int

// hlBatch signs reports under key with a fresh id; it returns the batch,
// its body and its signature header.
func hlBatch(t testing.TB, key feed.SecretKey, rs ...Report) (Batch, []byte, string) {
	t.Helper()
	hlSeq++
	b := Batch{ID: fmt.Sprintf("%032x", hlSeq), Reports: rs}
	body, sig, err := SignBatch(b, key)
	if err != nil {
		t.Fatal(err)
	}
	b.Schema, b.Key = SchemaVersion, key.Public().String()
	return b, body, sig
}

func hlManual(domain, category, day, note, band string) Report {
	return Report{Kind: Manual, Domain: domain, Category: category, Day: day, Count: 1, Note: note, AgeBand: band}
}

func hlCounted(kind Kind, domain, category, day string, n uint32) Report {
	return Report{Kind: kind, Domain: domain, Category: category, Day: day, Count: n}
}

// hlPut signs rs under key and stores the batch.
func hlPut(t *testing.T, s *BoltStore, key feed.SecretKey, rs ...Report) {
	t.Helper()
	b, body, sig := hlBatch(t, key, rs...)
	hlReceive(t, s, b, body, sig)
}

func hlReceive(t *testing.T, s *BoltStore, b Batch, body []byte, sig string) Ack {
	t.Helper()
	ack, err := s.Receive(b, body, sig, hlT0)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func TestStoreSurvivesReopening(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, body, sig := hlBatch(t, hlKey(t), hlManual("a.example", "abuse", "2026-11-20", "", ""))
	hlReceive(t, s, b, body, sig)
	if _, err := OpenStore(dir, 10*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second open while the first holds it = %v; want ErrLocked", err)
	}
	s.Close()
	s, err = OpenStore(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ack := hlReceive(t, s, b, body, sig); !ack.Duplicate {
		t.Fatalf("after reopening, the same batch = %+v; want a duplicate", ack)
	}
}
