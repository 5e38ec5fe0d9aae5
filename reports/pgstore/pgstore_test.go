package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amane-dns/amane/internal/pgtest"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/storetest"
)

// cluster is the one PostgreSQL server of this package's tests; nil when
// PostgreSQL is not installed.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// migrated returns the configuration of a fresh, migrated database.
func migrated(t *testing.T) Config {
	t.Helper()
	pgtest.Skip(t, cluster)
	c := Config{Postgres: cluster.NewDatabase(t)}
	if _, err := Migrate(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func open(t *testing.T, c Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) reports.Store { return open(t, migrated(t)) })
}

func TestOpenRefusesASchemaItDoesNotKnow(t *testing.T) {
	pgtest.Skip(t, cluster)
	ctx := context.Background()
	c := Config{Postgres: cluster.NewDatabase(t)}
	if _, err := Open(ctx, c); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "run amane-helpline migrate") {
		t.Fatalf("Open on an empty database = %v; want ErrSchema saying to migrate", err)
	}
	applied, err := Migrate(ctx, c)
	if err != nil || len(applied) != SchemaVersion {
		t.Fatalf("Migrate = %v, %v; want every version applied", applied, err)
	}
	if applied, err := Migrate(ctx, c); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate again = %v, %v; want nothing to do", applied, err)
	}
	s := open(t, c)
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, c); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "upgrade amane-helpline") {
		t.Fatalf("Open on a newer schema = %v; want ErrSchema saying to upgrade", err)
	}
	if _, err := Migrate(ctx, c); !errors.Is(err, ErrSchema) {
		t.Fatalf("Migrate on a newer schema = %v; want ErrSchema", err)
	}
}

func TestConfigKeepsThePasswordOutOfTheFile(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Config
		ok   bool
	}{
		{"a URL without a password is accepted", Config{Postgres: "postgres://helpline@db.example/reports"}, true},
		{"a URL with a password is refused", Config{Postgres: "postgres://helpline:secret@db.example/reports"}, false},
		{"a password parameter is refused", Config{Postgres: "postgres://helpline@db.example/reports?password=secret"}, false},
		{"a password file without a database is refused", Config{PasswordFile: "pw"}, false},
		{"no database is the embedded store", Config{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestTwoIntakeServersStoreOneBatchOnce posts the same batch to two intake
// servers on one database at the same moment, many times over: each time
// both answer 200, one as new and one as a duplicate, as one bbolt server
// answers a retry, and the database holds the batch once.
func TestTwoIntakeServersStoreOneBatchOnce(t *testing.T) {
	c := migrated(t)
	ic := reports.DefaultIntakeConfig()
	ic.InsecureHTTP, ic.KeyBurst = true, 1000
	log := slog.New(slog.DiscardHandler)
	var urls [2]string
	var stores [2]*Store
	for i := range urls {
		stores[i] = open(t, c)
		srv := httptest.NewServer(reports.NewIntake(stores[i], ic, log, time.Now))
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	const rounds = 20
	key := storetest.Key(t)
	for round := range rounds {
		b, body, sig := storetest.Batch(t, key, storetest.Manual("same.example", "abuse", "2026-11-20", fmt.Sprint("round ", round), ""))
		var acks [2]reports.Ack
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range urls {
			wg.Go(func() {
				<-start
				acks[i], errs[i] = post(urls[i], body, sig)
			})
		}
		close(start)
		wg.Wait()
		for i := range urls {
			if errs[i] != nil {
				t.Fatalf("round %d, server %d: %v", round, i, errs[i])
			}
			if acks[i].ID != b.ID || acks[i].Accepted != 1 {
				t.Fatalf("round %d, server %d answered %+v", round, i, acks[i])
			}
		}
		if acks[0].Duplicate == acks[1].Duplicate {
			t.Fatalf("round %d: duplicates %v and %v; want exactly one", round, acks[0].Duplicate, acks[1].Duplicate)
		}
	}
	if n, err := stores[1].Batches(); err != nil || n != rounds {
		t.Fatalf("Batches = %d, %v; want %d", n, err, rounds)
	}
	if a, err := stores[0].Domain("same.example"); err != nil || a.Reports != rounds {
		t.Fatalf("Domain = %+v, %v; want %d reports", a, err, rounds)
	}
}

func post(url string, body []byte, sig string) (reports.Ack, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(reports.SignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reports.Ack{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return reports.Ack{}, fmt.Errorf("%s: %s", resp.Status, raw)
	}
	var ack reports.Ack
	return ack, json.Unmarshal(raw, &ack)
}

func TestKeyLimitHoldsAcrossServers(t *testing.T) {
	c := migrated(t)
	a, b := open(t, c).KeyLimiter(30, 4, 1), open(t, c).KeyLimiter(30, 4, 1)
	key := storetest.Key(t).Public().String()
	allowed := 0
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = b
		}
		ok, _, err := l.Take(key, storetest.T0)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	if allowed != 4 {
		t.Fatalf("%d of 10 batches allowed through two servers; want the burst, 4", allowed)
	}
}

// TestFeedPublicationsAreSerialized publishes from two stores at once:
// each publication sees the one before it, and both servers then serve
// the newest.
func TestFeedPublicationsAreSerialized(t *testing.T) {
	c := migrated(t)
	ctx := context.Background()
	s1, s2 := open(t, c), open(t, c)
	publish := func(dir string) error {
		n := 0
		if b, err := os.ReadFile(filepath.Join(dir, "n")); err == nil {
			fmt.Sscan(string(b), &n)
		}
		return os.WriteFile(filepath.Join(dir, "n"), []byte(fmt.Sprint(n+1)), 0o644)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() { errs[i] = s.PublishFeed(ctx, publish) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*Store{s1, s2} {
		fs, err := s.NewFeedServer(ctx, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		fs.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/n", nil))
		if w.Code != http.StatusOK || w.Body.String() != "6" {
			t.Fatalf("server %d serves n = %d %q; want 6 (each publication built on the one before)", i, w.Code, w.Body)
		}
		w = httptest.NewRecorder()
		fs.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/missing", nil))
		if w.Code != http.StatusNotFound {
			t.Fatalf("a missing file = %d; want 404", w.Code)
		}
	}
}

func TestTheAuditLogRefusesEditsAndDeletes(t *testing.T) {
	s := open(t, migrated(t))
	if err := s.Record(reports.AuditEntry{At: storetest.T0, By: "ana", Action: reports.ActionPublish, Detail: "version 1"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, sql := range []string{`UPDATE audit SET by_name = 'someone else'`, `DELETE FROM audit`, `TRUNCATE audit`} {
		if _, err := s.pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v; want refused as append-only", sql, err)
		}
	}
	if log, _ := s.Audit(""); len(log) != 1 || log[0].By != "ana" {
		t.Fatalf("the audit log after the attempts = %+v; want it unchanged", log)
	}
}
