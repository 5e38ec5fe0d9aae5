// Package storetest owns the behaviour every reports.Store must have: one
// suite, run by each implementation's tests against a fresh store, so that
// the embedded bbolt store and the PostgreSQL one answer alike.
package storetest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/reports"
)

// T0 is the time the suite receives batches at: whole seconds, which every
// store keeps exactly.
var T0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Open returns a fresh, empty store, closed when t ends.
type Open func(t *testing.T) reports.Store

// Run runs the suite, each test on its own store.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, reports.Store)
	}{
		{"keeps each batch once with its evidence", keepsEachBatchOnce},
		{"stores a batch received concurrently once", concurrentDuplicates},
		{"aggregates by domain", aggregatesByDomain},
		{"triage confirms, rejects and retracts", triage},
		{"stats count by category, age band and month", stats},
		{"key limiter refuses past the burst", keyLimiter},
		{"reports of a domain, by day, with notes", domainReports},
		{"audit log records every decision, in order", auditLog},
		{"accounts are added, listed and removed, and audited", accounts},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// Key returns a fresh appliance key.
func Key(t testing.TB) feed.SecretKey {
	t.Helper()
	k, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var seq atomic.Uint64

// Batch signs rs under key with a fresh id; it returns the batch, its body
// and its signature header.
func Batch(t testing.TB, key feed.SecretKey, rs ...reports.Report) (reports.Batch, []byte, string) {
	t.Helper()
	b := reports.Batch{ID: fmt.Sprintf("%016x%016x", time.Now().UnixNano(), seq.Add(1)), Reports: rs}
	body, sig, err := reports.SignBatch(b, key)
	if err != nil {
		t.Fatal(err)
	}
	b.Schema, b.Key = reports.SchemaVersion, key.Public().String()
	return b, body, sig
}

// Manual returns a manual report.
func Manual(domain, category, day, note, band string) reports.Report {
	return reports.Report{Kind: reports.Manual, Domain: domain, Category: category, Day: day, Count: 1, Note: note, AgeBand: band}
}

// Counted returns a day's count.
func Counted(kind reports.Kind, domain, category, day string, n uint32) reports.Report {
	return reports.Report{Kind: kind, Domain: domain, Category: category, Day: day, Count: n}
}

func put(t *testing.T, s reports.Store, key feed.SecretKey, rs ...reports.Report) {
	t.Helper()
	b, body, sig := Batch(t, key, rs...)
	receive(t, s, b, body, sig)
}

func receive(t *testing.T, s reports.Store, b reports.Batch, body []byte, sig string) reports.Ack {
	t.Helper()
	ack, err := s.Receive(b, body, sig, T0)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

// same compares what the operators see of two values: their JSON.
func same(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func keepsEachBatchOnce(t *testing.T, s reports.Store) {
	k1, k2 := Key(t), Key(t)
	b, body, sig := Batch(t, k1, Manual("bad.example", "abuse", "2026-11-20", "seen at school", "9-12"))
	if ack := receive(t, s, b, body, sig); ack != (reports.Ack{ID: b.ID, Accepted: 1}) {
		t.Fatalf("first receipt = %+v", ack)
	}
	if ack := receive(t, s, b, body, sig); ack != (reports.Ack{ID: b.ID, Accepted: 1, Duplicate: true}) {
		t.Fatalf("second receipt = %+v; want a duplicate ack", ack)
	}
	other := b
	other.Key = k2.Public().String()
	if _, err := s.Receive(other, body, sig, T0); !errors.Is(err, reports.ErrIDConflict) {
		t.Fatalf("the same id under another key = %v; want ErrIDConflict", err)
	}
	a, err := s.Domain("bad.example")
	if err != nil || a.Reports != 1 || a.Appliances != 1 {
		t.Fatalf("Domain = %+v, %v; want the report stored once", a, err)
	}
	gotBody, gotSig, at, err := s.Evidence(b.ID)
	if err != nil || string(gotBody) != string(body) || gotSig != sig || !at.Equal(T0) {
		t.Fatalf("Evidence = %q, %q, %v, %v; want the exact body and signature", gotBody, gotSig, at, err)
	}
	if _, _, _, err := s.Evidence("0123456789abcdef0123456789abcdef"); err == nil {
		t.Fatal("Evidence of a batch never received: no error")
	}
	if n, err := s.Batches(); err != nil || n != 1 {
		t.Fatalf("Batches = %d, %v; want 1", n, err)
	}
}

// concurrentDuplicates: an appliance that timed out resends while the
// first request is still being stored; both must be acknowledged, once as
// new and once as a duplicate, and the reports stored once.
func concurrentDuplicates(t *testing.T, s reports.Store) {
	b, body, sig := Batch(t, Key(t), Manual("a.example", "abuse", "2026-11-20", "", ""), Counted(reports.Watch, "b.example", "scam", "2026-11-20", 4))
	const n = 8
	acks := make([]reports.Ack, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { acks[i], errs[i] = s.Receive(b, body, sig, T0) })
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("receipt %d: %v", i, errs[i])
		}
		if acks[i].ID != b.ID || acks[i].Accepted != 2 {
			t.Fatalf("receipt %d = %+v; want 2 accepted", i, acks[i])
		}
		if !acks[i].Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d receipts were not duplicates; want exactly 1", fresh)
	}
	if a, err := s.Domain("b.example"); err != nil || a.Reports != 1 || a.Count != 4 {
		t.Fatalf("Domain = %+v, %v; want the count stored once", a, err)
	}
	if st, err := s.Stats(); err != nil || len(st.ByCategory) != 2 || st.ByCategory[0].Reports != 1 {
		t.Fatalf("Stats = %+v, %v; want each report counted once", st, err)
	}
}

func aggregatesByDomain(t *testing.T, s reports.Store) {
	k1, k2 := Key(t), Key(t)
	put(t, s, k1, Manual("bad.example", "abuse", "2026-10-30", "a note", "9-12"), Counted(reports.Watch, "bad.example", "abuse", "2026-11-02", 7))
	put(t, s, k2, Manual("bad.example", "cyberviolence", "2026-11-05", "", ""), Counted(reports.Mandatory, "other.example", "adult", "2026-11-01", 3))
	a, err := s.Domain("bad.example")
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Aggregate{
		Domain: "bad.example", Appliances: 2, Reports: 3, Count: 9,
		Kinds:      map[reports.Kind]uint64{reports.Manual: 2, reports.Watch: 7},
		Categories: map[string]uint64{"abuse": 8, "cyberviolence": 1},
		AgeBands:   map[string]uint64{"9-12": 1, "": 8},
		First:      "2026-10-30", Last: "2026-11-05",
		Notes:  []string{"2026-10-30: a note"},
		Triage: reports.Triage{Status: reports.StatusNew},
	}
	if !same(a, want) {
		t.Fatalf("Domain =\n%+v\nwant\n%+v", a, want)
	}
	if _, err := s.Domain("never.example"); !errors.Is(err, reports.ErrNotReported) {
		t.Fatalf("Domain of a name nobody reported = %v; want ErrNotReported", err)
	}
	tests := []struct {
		name string
		f    reports.Filter
		want []string
	}{
		{"no filter selects every domain", reports.Filter{}, []string{"bad.example", "other.example"}},
		{"a category selects its domains", reports.Filter{Category: "adult"}, []string{"other.example"}},
		{"a day range selects reports of those days", reports.Filter{Since: "2026-11-03", Until: "2026-11-30"}, []string{"bad.example"}},
		{"a kind selects reports of that kind", reports.Filter{Kind: reports.Mandatory}, []string{"other.example"}},
		{"a status selects domains in that state", reports.Filter{Status: reports.StatusConfirmed}, nil},
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
	aggs, err := s.Domains(reports.Filter{})
	if err != nil || len(aggs) != 2 {
		t.Fatalf("Domains = %+v, %v", aggs, err)
	}
	want.Notes = nil
	if !same(aggs[0], want) {
		t.Errorf("Domains()[0] =\n%+v\nwant\n%+v (the domain's aggregate without its notes)", aggs[0], want)
	}
	if aggs, _ := s.Domains(reports.Filter{Since: "2026-11-03"}); len(aggs) != 1 || aggs[0].Count != 1 || aggs[0].First != "2026-11-05" {
		t.Errorf("a filtered aggregate counts only the selected reports: %+v", aggs)
	}
	if _, err := s.Domains(reports.Filter{Since: "yesterday"}); err == nil {
		t.Error("a bad day in a filter was accepted")
	}
}

func triage(t *testing.T, s reports.Store) {
	put(t, s, Key(t), Manual("a.example", "abuse", "2026-11-20", "", ""), Manual("b.example", "scam", "2026-11-20", "", ""))
	if _, err := s.Confirm("typo.example", "abuse", by("ana", T0)); !errors.Is(err, reports.ErrNotReported) {
		t.Fatalf("confirming a name nobody reported = %v; want ErrNotReported", err)
	}
	if _, err := s.Confirm("a.example", "porn", by("ana", T0)); err == nil {
		t.Fatal("confirming with an unknown category was accepted")
	}
	if _, err := s.Retract("a.example", by("ana", T0)); err == nil {
		t.Fatal("retracting a new domain was accepted")
	}
	if tr, err := s.Confirm("a.example", "abuse", by("ana", T0)); err != nil || tr != (reports.Triage{Status: reports.StatusConfirmed, Category: "abuse", At: T0}) {
		t.Fatalf("Confirm = %+v, %v", tr, err)
	}
	if _, err := s.Confirm("b.example", "scam", by("ana", T0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reject("a.example", reason("ana", T0, "not abuse")); err == nil {
		t.Fatal("rejecting a confirmed domain without retracting it was accepted")
	}
	if got, _ := s.Confirmed(); !reflect.DeepEqual(got, map[string][]string{"abuse": {"a.example"}, "scam": {"b.example"}}) {
		t.Fatalf("Confirmed = %v", got)
	}
	if tr, err := s.Retract("a.example", by("ana", T0.Add(time.Hour))); err != nil || tr != (reports.Triage{Status: reports.StatusRetracted, Category: "abuse", At: T0.Add(time.Hour)}) {
		t.Fatalf("Retract = %+v, %v", tr, err)
	}
	if tr, err := s.Reject("a.example", reason("bilal", T0.Add(2*time.Hour), "a school's site")); err != nil || tr.Reason != "a school's site" {
		t.Fatalf("Reject after Retract = %+v, %v", tr, err)
	}
	if got, _ := s.Confirmed(); !reflect.DeepEqual(got, map[string][]string{"scam": {"b.example"}}) {
		t.Fatalf("Confirmed after the retraction = %v; want a.example gone", got)
	}
	if aggs, _ := s.Domains(reports.Filter{Status: reports.StatusRejected}); len(aggs) != 1 || aggs[0].Triage.Reason != "a school's site" {
		t.Fatalf("Domains(rejected) = %+v", aggs)
	}
	if a, _ := s.Domain("b.example"); a.Triage.Status != reports.StatusConfirmed || a.Triage.Category != "scam" {
		t.Fatalf("Domain(b.example).Triage = %+v", a.Triage)
	}
}

func stats(t *testing.T, s reports.Store) {
	k := Key(t)
	put(t, s, k,
		Manual("a.example", "cyberviolence", "2026-10-30", "", "13-17"),
		Manual("b.example", "abuse", "2026-11-01", "", "9-12"),
		Counted(reports.Watch, "a.example", "cyberviolence", "2026-11-02", 5))
	put(t, s, Key(t), Counted(reports.Watch, "a.example", "cyberviolence", "2026-11-02", 2))
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Stats{
		ByCategory: []reports.StatRow{{Key: "abuse", Reports: 1, Manual: 1, Count: 1, Domains: 1}, {Key: "cyberviolence", Reports: 3, Manual: 1, Count: 8, Domains: 1}},
		ByAgeBand:  []reports.StatRow{{Key: "9-12", Reports: 1, Manual: 1, Count: 1, Domains: 1}, {Key: "13-17", Reports: 1, Manual: 1, Count: 1, Domains: 1}, {Key: reports.NoAgeBand, Reports: 2, Count: 7, Domains: 1}},
		ByMonth:    []reports.StatRow{{Key: "2026-10", Reports: 1, Manual: 1, Count: 1, Domains: 1}, {Key: "2026-11", Reports: 3, Manual: 1, Count: 8, Domains: 2}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats =\n%+v\nwant\n%+v", st, want)
	}
}

func keyLimiter(t *testing.T, s reports.Store) {
	l := s.KeyLimiter(30, 3, 100)
	a, b := Key(t).Public().String(), Key(t).Public().String()
	for i := range 3 {
		if ok, _, err := l.Take(a, T0); err != nil || !ok {
			t.Fatalf("take %d within the burst = %v, %v", i+1, ok, err)
		}
	}
	ok, wait, err := l.Take(a, T0)
	if err != nil || ok || wait <= 0 || wait > time.Hour {
		t.Fatalf("take past the burst = %v, wait %v, %v; want a refusal with a wait under an hour", ok, wait, err)
	}
	if ok, _, err := l.Take(b, T0); err != nil || !ok {
		t.Fatalf("another key = %v, %v; want its own allowance", ok, err)
	}
	if ok, _, err := l.Take(a, T0.Add(wait)); err != nil || !ok {
		t.Fatalf("after the wait it gave = %v, %v; want allowed", ok, err)
	}
}

func by(who string, at time.Time) reports.Decision { return reports.Decision{By: who, At: at} }

func reason(who string, at time.Time, why string) reports.Decision {
	return reports.Decision{By: who, At: at, Reason: why}
}

func auditLog(t *testing.T, s reports.Store) {
	put(t, s, Key(t), Manual("a.example", "abuse", "2026-11-20", "", ""), Manual("ab.example", "scam", "2026-11-20", "", ""))
	if _, err := s.Confirm("a.example", "abuse", reports.Decision{At: T0}); err == nil {
		t.Fatal("a decision without its author was accepted")
	}
	if _, err := s.Retract("a.example", by("ana", T0)); err == nil {
		t.Fatal("retracting a new domain was accepted")
	}
	if _, err := s.Confirm("a.example", "abuse", reason("ana", T0, "a forum of groomers")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm("ab.example", "scam", by("bilal", T0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract("a.example", reason("bilal", T0.Add(time.Hour), "the forum closed")); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(reports.AuditEntry{At: T0, By: "ana", Action: reports.ActionConfirm, Domain: "a.example"}); err == nil {
		t.Fatal("Record of a triage action was accepted: the log would disagree with the triage")
	}
	if err := s.Record(reports.AuditEntry{At: T0.Add(2 * time.Hour), By: "chafik", Action: reports.ActionPublish, Detail: "version 7"}); err != nil {
		t.Fatal(err)
	}
	log, err := s.Audit("a.example")
	if err != nil {
		t.Fatal(err)
	}
	want := []reports.AuditEntry{
		{At: T0, By: "ana", Action: "confirm", Domain: "a.example", Category: "abuse", Reason: "a forum of groomers"},
		{At: T0.Add(time.Hour), By: "bilal", Action: "retract", Domain: "a.example", Category: "abuse", Reason: "the forum closed"},
	}
	if len(log) != 2 || log[0].Seq >= log[1].Seq {
		t.Fatalf("Audit(a.example) = %+v; want two entries in increasing order (a refused decision leaves none)", log)
	}
	for i := range log {
		log[i].Seq = 0
	}
	if !same(log, want) {
		t.Fatalf("Audit(a.example) =\n%+v\nwant\n%+v", log, want)
	}
	if log, _ := s.Audit("ab.example"); len(log) != 1 || log[0].By != "bilal" {
		t.Fatalf("Audit(ab.example) = %+v; want bilal's confirmation only (no prefix confusion)", log)
	}
	if log, _ := s.Audit(""); len(log) != 1 || log[0].Action != reports.ActionPublish || log[0].Detail != "version 7" {
		t.Fatalf("Audit(\"\") = %+v; want the publication", log)
	}
	if log, err := s.Audit("never.example"); err != nil || len(log) != 0 {
		t.Fatalf("Audit of a domain without decisions = %+v, %v; want none", log, err)
	}
}

func accounts(t *testing.T, s reports.Store) {
	ana := reports.Account{Name: "ana", Role: reports.RolePublisher, Hash: "$argon2id$fake", Created: T0}
	admin := by("root", T0)
	if err := s.AddAccount(ana, admin); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAccount(ana, admin); !errors.Is(err, reports.ErrAccountExists) {
		t.Fatalf("adding ana twice = %v; want ErrAccountExists", err)
	}
	if err := s.AddAccount(reports.Account{Name: "Bad Name", Role: reports.RoleOperator, Hash: "x"}, admin); err == nil {
		t.Fatal("a bad account name was accepted")
	}
	if err := s.AddAccount(reports.Account{Name: "bob", Role: "boss", Hash: "x"}, admin); err == nil {
		t.Fatal("an unknown role was accepted")
	}
	if err := s.AddAccount(reports.Account{Name: "bilal", Role: reports.RoleOperator, Hash: "h2", Created: T0}, admin); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Account("ana"); err != nil || !same(got, ana) {
		t.Fatalf("Account(ana) = %+v, %v; want %+v", got, err, ana)
	}
	if all, err := s.Accounts(); err != nil || len(all) != 2 || all[0].Name != "ana" || all[1].Name != "bilal" {
		t.Fatalf("Accounts = %+v, %v; want ana and bilal, by name", all, err)
	}
	if err := s.RemoveAccount("ana", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Account("ana"); !errors.Is(err, reports.ErrNoAccount) {
		t.Fatalf("Account after RemoveAccount = %v; want ErrNoAccount", err)
	}
	if err := s.RemoveAccount("ana", admin); !errors.Is(err, reports.ErrNoAccount) {
		t.Fatalf("removing ana twice = %v; want ErrNoAccount", err)
	}
	log, _ := s.Audit("")
	var acts []string
	for _, e := range log {
		acts = append(acts, e.Action+" "+e.Detail+" by "+e.By)
	}
	if want := []string{"account.add ana publisher by root", "account.add bilal operator by root", "account.remove ana by root"}; !reflect.DeepEqual(acts, want) {
		t.Fatalf("the audit log of the accounts = %q; want %q", acts, want)
	}
}

func domainReports(t *testing.T, s reports.Store) {
	k := Key(t)
	put(t, s, k, Manual("a.example", "abuse", "2026-11-21", "second day", "9-12"), Counted(reports.Watch, "ab.example", "scam", "2026-11-20", 3))
	put(t, s, Key(t), Counted(reports.Watch, "a.example", "abuse", "2026-11-20", 4))
	got, err := s.Reports("a.example")
	want := []reports.Report{Counted(reports.Watch, "a.example", "abuse", "2026-11-20", 4), Manual("a.example", "abuse", "2026-11-21", "second day", "9-12")}
	if err != nil || !same(got, want) {
		t.Fatalf("Reports(a.example) = %+v, %v; want %+v", got, err, want)
	}
	if got, err := s.Reports("nobody.example"); err != nil || len(got) != 0 {
		t.Fatalf("Reports of a domain nobody reported = %+v, %v; want none", got, err)
	}
}
