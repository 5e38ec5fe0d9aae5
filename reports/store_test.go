package reports

import (
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
)

var hlT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// hlStore opens a store in a fresh directory, closed at the end of the test.
func hlStore(t testing.TB) *Store {
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
func hlPut(t *testing.T, s *Store, key feed.SecretKey, rs ...Report) {
	t.Helper()
	b, body, sig := hlBatch(t, key, rs...)
	hlReceive(t, s, b, body, sig)
}

func hlReceive(t *testing.T, s *Store, b Batch, body []byte, sig string) Ack {
	t.Helper()
	ack, err := s.Receive(b, body, sig, hlT0)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func TestStoreKeepsEachBatchOnceWithItsEvidence(t *testing.T) {
	s := hlStore(t)
	k1, k2 := hlKey(t), hlKey(t)
	b, body, sig := hlBatch(t, k1, hlManual("bad.example", "abuse", "2026-11-20", "seen at school", "9-12"))
	if ack := hlReceive(t, s, b, body, sig); ack != (Ack{ID: b.ID, Accepted: 1}) {
		t.Fatalf("first receipt = %+v", ack)
	}
	if ack := hlReceive(t, s, b, body, sig); ack != (Ack{ID: b.ID, Accepted: 1, Duplicate: true}) {
		t.Fatalf("second receipt = %+v; want a duplicate ack", ack)
	}
	other := b
	other.Key = k2.Public().String()
	if _, err := s.Receive(other, body, sig, hlT0); !errors.Is(err, ErrIDConflict) {
		t.Fatalf("the same id under another key = %v; want ErrIDConflict", err)
	}
	a, err := s.Domain("bad.example")
	if err != nil || a.Reports != 1 || a.Appliances != 1 {
		t.Fatalf("Domain = %+v, %v; want the report stored once", a, err)
	}
	gotBody, gotSig, at, err := s.Evidence(b.ID)
	if err != nil || string(gotBody) != string(body) || gotSig != sig || !at.Equal(hlT0) {
		t.Fatalf("Evidence = %q, %q, %v, %v; want the exact body and signature", gotBody, gotSig, at, err)
	}
}

func TestStoreAggregatesByDomain(t *testing.T) {
	s := hlStore(t)
	k1, k2 := hlKey(t), hlKey(t)
	for _, b := range [][]Report{
		{hlManual("bad.example", "abuse", "2026-10-30", "a note", "9-12"), hlCounted(Watch, "bad.example", "abuse", "2026-11-02", 7)},
		{hlManual("bad.example", "cyberviolence", "2026-11-05", "", ""), hlCounted(Mandatory, "other.example", "adult", "2026-11-01", 3)},
	} {
		key := k1
		if b[0].Category == "cyberviolence" {
			key = k2
		}
		hlPut(t, s, key, b...)
	}
	a, err := s.Domain("bad.example")
	if err != nil {
		t.Fatal(err)
	}
	want := Aggregate{
		Domain: "bad.example", Appliances: 2, Reports: 3, Count: 9,
		Kinds:      map[Kind]uint64{Manual: 2, Watch: 7},
		Categories: map[string]uint64{"abuse": 8, "cyberviolence": 1},
		AgeBands:   map[string]uint64{"9-12": 1, "": 8},
		First:      "2026-10-30", Last: "2026-11-05",
		Notes:  []string{"2026-10-30: a note"},
		Triage: Triage{Status: StatusNew},
	}
	a.keys = nil
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("Domain =\n%+v\nwant\n%+v", a, want)
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"no filter selects every domain", Filter{}, []string{"bad.example", "other.example"}},
		{"a category selects its domains", Filter{Category: "adult"}, []string{"other.example"}},
		{"a day range selects reports of those days", Filter{Since: "2026-11-03", Until: "2026-11-30"}, []string{"bad.example"}},
		{"a kind selects reports of that kind", Filter{Kind: Mandatory}, []string{"other.example"}},
		{"a status selects domains in that state", Filter{Status: StatusConfirmed}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aggs, err := s.Domains(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range aggs {
				got = append(got, a.Domain)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Domains(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
	if aggs, _ := s.Domains(Filter{Since: "2026-11-03"}); len(aggs) != 1 || aggs[0].Count != 1 || aggs[0].First != "2026-11-05" {
		t.Errorf("a filtered aggregate counts only the selected reports: %+v", aggs)
	}
	if _, err := s.Domains(Filter{Since: "yesterday"}); err == nil {
		t.Error("a bad day in a filter was accepted")
	}
}

func TestTriageConfirmRejectRetract(t *testing.T) {
	s := hlStore(t)
	k := hlKey(t)
	hlPut(t, s, k, hlManual("a.example", "abuse", "2026-11-20", "", ""), hlManual("b.example", "scam", "2026-11-20", "", ""))
	if _, err := s.Confirm("typo.example", "abuse", hlT0); !errors.Is(err, ErrNotReported) {
		t.Fatalf("confirming a name nobody reported = %v; want ErrNotReported", err)
	}
	if _, err := s.Confirm("a.example", "porn", hlT0); err == nil {
		t.Fatal("confirming with an unknown category was accepted")
	}
	if _, err := s.Retract("a.example", hlT0); err == nil {
		t.Fatal("retracting a new domain was accepted")
	}
	if tr, err := s.Confirm("a.example", "abuse", hlT0); err != nil || tr.Status != StatusConfirmed {
		t.Fatalf("Confirm = %+v, %v", tr, err)
	}
	if _, err := s.Confirm("b.example", "scam", hlT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reject("a.example", "not abuse", hlT0); err == nil {
		t.Fatal("rejecting a confirmed domain without retracting it was accepted")
	}
	if got, _ := s.Confirmed(); !reflect.DeepEqual(got, map[string][]string{"abuse": {"a.example"}, "scam": {"b.example"}}) {
		t.Fatalf("Confirmed = %v", got)
	}
	if _, err := s.Retract("a.example", hlT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tr, err := s.Reject("a.example", "a school's site", hlT0); err != nil || tr.Reason != "a school's site" {
		t.Fatalf("Reject after Retract = %+v, %v", tr, err)
	}
	if got, _ := s.Confirmed(); !reflect.DeepEqual(got, map[string][]string{"scam": {"b.example"}}) {
		t.Fatalf("Confirmed after the retraction = %v; want a.example gone", got)
	}
	if aggs, _ := s.Domains(Filter{Status: StatusRejected}); len(aggs) != 1 || aggs[0].Triage.Reason != "a school's site" {
		t.Fatalf("Domains(rejected) = %+v", aggs)
	}
}

func TestStatsByCategoryAgeBandAndMonth(t *testing.T) {
	s := hlStore(t)
	k := hlKey(t)
	hlPut(t, s, k,
		hlManual("a.example", "cyberviolence", "2026-10-30", "", "13-17"),
		hlManual("b.example", "abuse", "2026-11-01", "", "9-12"),
		hlCounted(Watch, "a.example", "cyberviolence", "2026-11-02", 5))
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		ByCategory: []StatRow{{"abuse", 1, 1, 1, 1}, {"cyberviolence", 2, 1, 6, 1}},
		ByAgeBand:  []StatRow{{"9-12", 1, 1, 1, 1}, {"13-17", 1, 1, 1, 1}, {NoAgeBand, 1, 0, 5, 1}},
		ByMonth:    []StatRow{{"2026-10", 1, 1, 1, 1}, {"2026-11", 2, 1, 6, 2}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats =\n%+v\nwant\n%+v", st, want)
	}
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
