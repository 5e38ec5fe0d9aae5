// Package pgstore owns the helpline's PostgreSQL store: the reports.Store
// that any number of stateless intake servers share. The batch id is the
// table's primary key, so the same batch posted to two servers at once is
// stored once; the statistics are kept as reports arrive (daily_stats);
// the per-key rate limit is a counter row per key and window; the feed is
// published under an advisory lock and served from the database. The
// schema is versioned (migrations/), applied by Migrate and checked by
// Open. It is its own package so that the appliance, which imports
// reports, never links pgx.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/amane-dns/amane/reports"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// opTimeout bounds one store operation: the reports.Store methods take no
// context, and a database that does not answer must not hold an intake
// request forever (the appliance retries).
const opTimeout = 30 * time.Second

// statShards is how many rows a popular (day, domain, category, age band)
// is spread over in daily_stats.
const statShards = 16

// Store is the PostgreSQL reports.Store. It is safe for concurrent use,
// and any number of processes may share one database.
type Store struct {
	pool *pgxpool.Pool // never nil after Open
}

var _ reports.Store = (*Store)(nil)

func connect(ctx context.Context, c Config) (*pgxpool.Pool, error) {
	pc, err := c.poolConfig()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("[store] postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to the report database: %w", err)
	}
	return pool, nil
}

// Open connects to the database of c and checks that its schema is the
// one this build knows (see Migrate).
func Open(ctx context.Context, c Config) (*Store, error) {
	pool, err := connect(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// retryable says whether a transaction failed only because another
// conflicted with it: a deadlock or a serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// inTx runs fn in a transaction, again (up to 5 times) when it lost a
// conflict with another.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range 5 {
		if err = pgx.BeginFunc(ctx, s.pool, fn); !retryable(err) {
			return err
		}
	}
	return err
}

// Receive implements reports.Store, in one statement (one round trip, one
// commit): the batch, its reports and its additions to daily_stats. The
// INSERT ... ON CONFLICT DO NOTHING on the batch id is what makes a retry,
// or the same batch at two servers at once, store nothing twice: the
// second insert waits on the first's row and, once the first commits,
// inserts nothing, and then neither do the reports and stats inserts,
// which run only if it did.
func (s *Store) Receive(b reports.Batch, body []byte, sig string, now time.Time) (reports.Ack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var r reportColumns
	for _, rep := range b.Reports {
		r.add(rep)
	}
	st := statRows(b)
	var inserted int
	var err error
	for range 5 { // a deadlock between two batches' stats rows is retried
		err = s.pool.QueryRow(ctx, receiveSQL, b.ID, b.Key, now.UTC(), len(b.Reports), body, sig,
			r.domain, r.kind, r.category, r.day, r.count, r.note, r.band,
			st.day, st.domain, st.category, st.band, statShard(b.ID), st.reports, st.manual, st.count).Scan(&inserted)
		if !retryable(err) {
			break
		}
	}
	if err != nil {
		return reports.Ack{}, fmt.Errorf("storing batch %s: %w", b.ID, err)
	}
	if inserted == 1 {
		return reports.Ack{ID: b.ID, Accepted: len(b.Reports)}, nil
	}
	var key string
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT key, reports FROM batches WHERE id = $1`, b.ID).Scan(&key, &n); err != nil {
		return reports.Ack{}, fmt.Errorf("storing batch %s: %w", b.ID, err)
	}
	if key != b.Key {
		return reports.Ack{}, fmt.Errorf("storing batch %s: %w", b.ID, reports.ErrIDConflict)
	}
	return reports.Ack{ID: b.ID, Accepted: n, Duplicate: true}, nil
}

const receiveSQL = `WITH ins AS (
	INSERT INTO batches (id, key, received, reports, body, signature)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id
), r AS (
	INSERT INTO reports (batch, idx, domain, kind, category, day, count, note, age_band, key)
	SELECT $1, o - 1, d, k, c, dy, n, nt, ab, $2
	FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[])
		WITH ORDINALITY AS u(d, k, c, dy, n, nt, ab, o)
	WHERE EXISTS (SELECT 1 FROM ins)
), s AS (
	INSERT INTO daily_stats (day, domain, category, age_band, shard, reports, manual, count)
	SELECT d, dom, c, a, $18, r, m, n
	FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $19::bigint[], $20::bigint[], $21::bigint[])
		WITH ORDINALITY AS u(d, dom, c, a, r, m, n, o)
	WHERE EXISTS (SELECT 1 FROM ins)
	ORDER BY o
	ON CONFLICT (day, domain, category, age_band, shard) DO UPDATE SET
		reports = daily_stats.reports + excluded.reports,
		manual = daily_stats.manual + excluded.manual,
		count = daily_stats.count + excluded.count
)
SELECT count(*) FROM ins`

// reportColumns are a batch's reports as one array per column.
type reportColumns struct {
	domain, kind, category, day, note, band []string
	count                                   []int64
}

func (c *reportColumns) add(r reports.Report) {
	c.domain, c.kind, c.category = append(c.domain, r.Domain), append(c.kind, string(r.Kind)), append(c.category, r.Category)
	c.day, c.note, c.band = append(c.day, r.Day), append(c.note, r.Note), append(c.band, r.AgeBand)
	c.count = append(c.count, int64(r.Count))
}

// statKey is one row of daily_stats.
type statKey struct{ day, domain, category, band string }

// statColumns are a batch's additions to daily_stats, one array a column.
type statColumns struct {
	day, domain, category, band []string
	reports, manual, count      []int64
}

// statRows sums b's reports by daily_stats row, in key order: two
// statements that touch the same rows lock them in the same order, so
// they queue rather than deadlock.
func statRows(b reports.Batch) statColumns {
	type sums struct{ reports, manual, count int64 }
	acc := map[statKey]*sums{}
	for _, r := range b.Reports {
		k := statKey{r.Day, r.Domain, r.Category, r.AgeBand}
		a := acc[k]
		if a == nil {
			a = &sums{}
			acc[k] = a
		}
		a.reports++
		a.count += int64(r.Count)
		if r.Kind == reports.Manual {
			a.manual++
		}
	}
	keys := make([]statKey, 0, len(acc))
	for k := range acc {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b statKey) int {
		return cmpAll(strings.Compare(a.day, b.day), strings.Compare(a.domain, b.domain),
			strings.Compare(a.category, b.category), strings.Compare(a.band, b.band))
	})
	var c statColumns
	for _, k := range keys {
		a := acc[k]
		c.day, c.domain, c.category, c.band = append(c.day, k.day), append(c.domain, k.domain), append(c.category, k.category), append(c.band, k.band)
		c.reports, c.manual, c.count = append(c.reports, a.reports), append(c.manual, a.manual), append(c.count, a.count)
	}
	return c
}

// statShard is the daily_stats shard of a batch: its id's hash.
func statShard(id string) int16 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int16(h.Sum32() % statShards)
}

func cmpAll(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

// Evidence implements reports.Store.
func (s *Store) Evidence(id string) (body []byte, sig string, received time.Time, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err = s.pool.QueryRow(ctx, `SELECT body, signature, received FROM batches WHERE id = $1`, id).Scan(&body, &sig, &received)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", time.Time{}, fmt.Errorf("no batch %q", id)
	}
	return body, sig, received.UTC(), err
}

// Batches implements reports.Store.
func (s *Store) Batches() (n int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM batches`).Scan(&n)
	return n, err
}
