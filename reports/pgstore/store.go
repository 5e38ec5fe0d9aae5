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

// Receive implements reports.Store. The INSERT ... ON CONFLICT DO NOTHING
// on the batch id is what makes a retry, or the same batch at two servers
// at once, store nothing twice: the second insert waits on the first's
// row, and stores nothing once the first commits.
func (s *Store) Receive(b reports.Batch, body []byte, sig string, now time.Time) (reports.Ack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var ack reports.Ack
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO batches (id, key, received, reports, body, signature)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			b.ID, b.Key, now.UTC(), len(b.Reports), body, sig)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var key string
			var n int
			if err := tx.QueryRow(ctx, `SELECT key, reports FROM batches WHERE id = $1`, b.ID).Scan(&key, &n); err != nil {
				return err
			}
			if key != b.Key {
				return reports.ErrIDConflict
			}
			ack = reports.Ack{ID: b.ID, Accepted: n, Duplicate: true}
			return nil
		}
		rows := make([][]any, len(b.Reports))
		for i, r := range b.Reports {
			rows[i] = []any{b.ID, i, r.Domain, string(r.Kind), r.Category, r.Day, int64(r.Count), r.Note, r.AgeBand, b.Key}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"reports"},
			[]string{"batch", "idx", "domain", "kind", "category", "day", "count", "note", "age_band", "key"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if err := addStats(ctx, tx, b); err != nil {
			return err
		}
		ack = reports.Ack{ID: b.ID, Accepted: len(b.Reports)}
		return nil
	})
	if err != nil {
		return reports.Ack{}, fmt.Errorf("storing batch %s: %w", b.ID, err)
	}
	return ack, nil
}

// statKey is one row of daily_stats.
type statKey struct{ day, domain, category, band string }

// addStats adds b's reports to daily_stats, in the rows of one shard (the
// batch id's), in key order: two transactions that touch the same rows
// lock them in the same order, so they queue and never deadlock.
func addStats(ctx context.Context, tx pgx.Tx, b reports.Batch) error {
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
	var days, domains, cats, bands []string
	var nr, nm, nc []int64
	for _, k := range keys {
		a := acc[k]
		days, domains, cats, bands = append(days, k.day), append(domains, k.domain), append(cats, k.category), append(bands, k.band)
		nr, nm, nc = append(nr, a.reports), append(nm, a.manual), append(nc, a.count)
	}
	h := fnv.New32a()
	h.Write([]byte(b.ID))
	shard := int16(h.Sum32() % statShards)
	_, err := tx.Exec(ctx, `INSERT INTO daily_stats (day, domain, category, age_band, shard, reports, manual, count)
		SELECT d, dom, c, a, $5, r, m, n
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::bigint[], $7::bigint[], $8::bigint[])
			WITH ORDINALITY AS u(d, dom, c, a, r, m, n, o)
		ORDER BY o
		ON CONFLICT (day, domain, category, age_band, shard) DO UPDATE SET
			reports = daily_stats.reports + excluded.reports,
			manual = daily_stats.manual + excluded.manual,
			count = daily_stats.count + excluded.count`,
		days, domains, cats, bands, shard, nr, nm, nc)
	return err
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
