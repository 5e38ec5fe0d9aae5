package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func obOpen(t testing.TB, lim Limits) (*Outbox, *bytes.Buffer) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "amane.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var logs bytes.Buffer
	o, err := OpenOutbox(db, slog.New(slog.NewTextHandler(&logs, nil)), lim)
	if err != nil {
		t.Fatal(err)
	}
	return o, &logs
}

func obManual(domain, note string) Report {
	return Report{Kind: Manual, Domain: domain, Category: "cyberviolence", Day: "2026-11-23", Count: 1, Note: note}
}

func obCount(kind Kind, day, domain string, n uint32) Report {
	return Report{Kind: kind, Domain: domain, Category: "abuse", Day: day, Count: n}
}

// obIntake is a minimal helpline for the appliance's tests: it checks
// signatures, deduplicates by batch id and keeps every report it stored.
type obIntake struct {
	mu      sync.Mutex
	fail    int // answer the next fail requests with status
	status  int
	batches map[string]Batch
	bodies  [][]byte
	posts   int
}

func obNewIntake(t testing.TB) (*obIntake, *httptest.Server) {
	in := &obIntake{batches: map[string]Batch{}}
	srv := httptest.NewServer(in)
	t.Cleanup(srv.Close)
	return in, srv
}

func (in *obIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.posts++
	body, _ := io.ReadAll(r.Body)
	in.bodies = append(in.bodies, body)
	if r.URL.Path != "/"+ReportsPath {
		http.NotFound(w, r)
		return
	}
	if in.fail > 0 {
		in.fail--
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(in.status)
		json.NewEncoder(w).Encode(Refusal{Error: "test says no"})
		return
	}
	b, err := VerifyBatch(body, r.Header.Get(SignatureHeader))
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(Refusal{Error: err.Error()})
		return
	}
	_, dup := in.batches[b.ID]
	if !dup {
		in.batches[b.ID] = b
	}
	json.NewEncoder(w).Encode(Ack{ID: b.ID, Accepted: len(b.Reports), Duplicate: dup})
}

func (in *obIntake) reports() []Report {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Report
	for _, b := range in.batches {
		out = append(out, b.Reports...)
	}
	return out
}

func TestOutboxKeepsAndBoundsReports(t *testing.T) {
	t.Run("a manual report is refused when invalid and kept when valid", func(t *testing.T) {
		o, _ := obOpen(t, Limits{})
		if err := o.Add(obManual("Bad.Example", "")); err == nil || !strings.Contains(err.Error(), "normal form") {
			t.Fatalf("un-normalized domain: %v", err)
		}
		if err := o.Add(obCount(Watch, "2026-11-23", "x.example", 1)); err == nil {
			t.Fatal("a count was taken as a manual report")
		}
		if err := o.Add(obManual("bad.example", "قال لابني أشياء فظيعة")); err != nil {
			t.Fatal(err)
		}
		st, err := o.Status()
		if err != nil || len(st.Manual) != 1 || st.Manual[0].Note != "قال لابني أشياء فظيعة" || !strings.HasPrefix(st.Key, "RW") {
			t.Fatalf("status %+v, %v", st, err)
		}
	})
	t.Run("counts merge, and when full the oldest days go first, with a log line", func(t *testing.T) {
		o, logs := obOpen(t, Limits{Counts: 3})
		now := time.Now()
		o.AddCounts([]Report{obCount(Watch, "2026-11-20", "a.example", 2), obCount(Watch, "2026-11-21", "a.example", 1)}, now)
		o.AddCounts([]Report{obCount(Watch, "2026-11-20", "a.example", 5), obCount(Mandatory, "2026-11-22", "a.example", 1)}, now)
		if st, _ := o.Status(); st.Counts != 3 || st.Dropped != 0 {
			t.Fatalf("merged: %+v", st)
		}
		if err := o.AddCounts([]Report{obCount(Watch, "2026-11-23", "b.example", 1)}, now); err != nil {
			t.Fatal(err)
		}
		st, _ := o.Status()
		if st.Counts != 3 || st.Dropped != 1 || !strings.Contains(logs.String(), "oldest_day=2026-11-20") {
			t.Fatalf("after overflow: %+v; log %s", st, logs)
		}
	})
	t.Run("manual reports are never dropped: past the limit, Add refuses", func(t *testing.T) {
		o, _ := obOpen(t, Limits{Manual: 2, Counts: 1})
		for range 2 {
			if err := o.Add(obManual("bad.example", "")); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Add(obManual("bad.example", "")); !errors.Is(err, ErrFull) {
			t.Fatalf("third: %v", err)
		}
		o.AddCounts([]Report{obCount(Watch, "2026-11-20", "a.example", 1), obCount(Watch, "2026-11-21", "a.example", 1)}, time.Now())
		if st, _ := o.Status(); len(st.Manual) != 2 || st.Counts != 1 {
			t.Fatalf("%+v", st)
		}
	})
}

func TestSealing(t *testing.T) {
	o, _ := obOpen(t, Limits{})
	o.Add(obManual("bad.example", "a note"))
	o.AddCounts([]Report{obCount(Watch, "2026-11-22", "a.example", 4), obCount(Watch, "2026-11-23", "a.example", 1)}, time.Now())
	b, ok, err := o.next(time.Now(), "2026-11-23")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	got, err := VerifyBatch(b.Body, b.Sig)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Reports) != 2 || got.Reports[0].Kind != Manual || got.Reports[1].Day != "2026-11-22" {
		t.Fatalf("sealed %+v: want the manual report and yesterday's count, not today's", got.Reports)
	}
	again, _, _ := o.next(time.Now(), "2026-11-23")
	if again.ID != b.ID || !bytes.Equal(again.Body, b.Body) || again.Sig != b.Sig {
		t.Fatal("an unacknowledged batch was not sent again with the same bytes")
	}
	if err := o.acked(b, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := o.next(time.Now(), "2026-11-23"); ok {
		t.Fatal("today's count was sealed before the day ended")
	}
	b2, ok, _ := o.next(time.Now(), "2026-11-24")
	if !ok || b2.ID == b.ID || b2.Reports != 1 {
		t.Fatalf("next day: %+v", b2)
	}

	t.Run("a rotated key signs what is sealed after, and only that", func(t *testing.T) {
		before, _ := o.Status()
		pub, err := o.RotateKey(time.Now())
		if err != nil || pub == before.Key {
			t.Fatal(pub, err)
		}
		same, _, _ := o.next(time.Now(), "2026-11-24")
		if !bytes.Equal(same.Body, b2.Body) {
			t.Fatal("a sealed batch was re-signed")
		}
		o.acked(same, time.Now())
		o.Add(obManual("bad.example", ""))
		b3, _, _ := o.next(time.Now(), "2026-11-24")
		if got, err := VerifyBatch(b3.Body, b3.Sig); err != nil || got.Key != pub {
			t.Fatalf("after rotation: key %q, %v", got.Key, err)
		}
	})
}

func TestSenderDeliversOnceThroughFailures(t *testing.T) {
	o, _ := obOpen(t, Limits{})
	in, srv := obNewIntake(t)
	// The helpline is down for a day. With the default backoff (5 s
	// doubling to 15 min, then a random point in its upper half) a day is
	// some 130 tries: here they come a millisecond apart.
	s := &Sender{}
	s.defaults()
	tries, waited := 0, time.Duration(0)
	for waited < 24*time.Hour {
		tries++
		w := s.Backoff(tries)
		if d := min(s.MinBackoff<<(min(tries, 20)-1), s.MaxBackoff); w < d/2 || w > d {
			t.Fatalf("wait %s after %d failures, want between %s and %s", w, tries, d/2, d)
		}
		waited += w
	}
	in.fail, in.status = tries, http.StatusServiceUnavailable
	for i := range 3 {
		day := time.Date(2026, 11, 20+i, 12, 0, 0, 0, time.UTC).Format(time.DateOnly)
		o.AddCounts([]Report{obCount(Watch, day, "a.example", uint32(i+1))}, time.Now())
	}
	for _, note := range []string{"one", "two"} {
		if err := o.Add(obManual("bad.example", note)); err != nil {
			t.Fatal(err)
		}
	}
	acked := make(chan []Report, 1)
	s = &Sender{Outbox: o, URL: srv.URL + "/", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Idle: time.Millisecond,
		Acknowledged: func(manual []Report) { acked <- manual }}
	stop := obRunSender(t, s)
	// Stored at the helpline is not yet acknowledged at the appliance.
	obWaitFor(t, func() bool { st, _ := o.Status(); return st.AckedReports == 5 })
	stop()
	st, _ := o.Status()
	if st.AckedReports != 5 || st.AckedManual != 2 || len(st.Batches) != 0 || len(st.Manual) != 0 || st.Counts != 0 {
		t.Fatalf("status after delivery: %+v", st)
	}
	if in.posts != tries+1 {
		t.Fatalf("%d posts for %d failures: want every failure retried, and nothing sent after the acknowledgement", in.posts, tries)
	}
	select {
	case manual := <-acked: // the parents are told: "the helpline received your report"
		if len(manual) != 2 || manual[0].Domain != "bad.example" || manual[0].Kind != Manual {
			t.Fatalf("acknowledged by hand: %+v", manual)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the acknowledgement of the reports made by hand was not told")
	}
	t.Logf("a day down is %d tries with the default backoff; all 5 reports delivered at the next", tries)
	if n := len(in.batches); n != 1 {
		t.Fatalf("%d batches stored, want 1: every retry was the same batch", n)
	}
}

func TestSenderSetsAsideWhatTheHelplineRefuses(t *testing.T) {
	o, logs := obOpen(t, Limits{})
	in, srv := obNewIntake(t)
	in.fail, in.status = 1, http.StatusBadRequest
	o.Add(obManual("bad.example", "first"))
	s := &Sender{Outbox: o, URL: srv.URL, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Idle: time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))}
	stop := obRunSender(t, s)
	obWaitFor(t, func() bool { st, _ := o.Status(); return len(st.Refused) == 1 })
	o.Add(obManual("bad.example", "second"))
	obWaitFor(t, func() bool { return len(in.reports()) == 1 })
	stop()
	st, _ := o.Status()
	if !strings.Contains(st.Refused[0].LastError, "400 Bad Request: test says no") || in.reports()[0].Note != "second" {
		t.Fatalf("refused %+v, delivered %+v", st.Refused, in.reports())
	}
}

func obRunSender(t *testing.T, s *Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func obWaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestADaysCountsWaitUntilTheDayIsOverAndThenSome(t *testing.T) {
	o, _ := obOpen(t, Limits{})
	in, srv := obNewIntake(t)
	o.AddCounts([]Report{obCount(Watch, "2026-11-23", "a.example", 3)}, time.Now())
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC).UnixNano()) // the day is over, but not by two hours
	s := &Sender{Outbox: o, URL: srv.URL, Location: time.UTC, CountsAfter: 2 * time.Hour, Idle: time.Millisecond,
		Now: func() time.Time { return time.Unix(0, clock.Load()) }}
	stop := obRunSender(t, s)
	o.Add(obManual("bad.example", "")) // sent at once
	obWaitFor(t, func() bool { st, _ := o.Status(); return st.AckedManual == 1 })
	if st, _ := o.Status(); st.Counts != 1 || len(in.reports()) != 1 {
		t.Fatalf("the count left before its time: %+v", st)
	}
	clock.Store(time.Date(2026, 11, 24, 2, 0, 1, 0, time.UTC).UnixNano())
	obWaitFor(t, func() bool { st, _ := o.Status(); return st.AckedReports == 2 })
	stop()
}
