package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema is versioned by the numbered files in migrations/, applied in
// order, each in its own transaction that also records it in
// schema_migrations. A file, once released, is never edited: a change is
// a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock that serializes migrate runs.
const migrationLock = 0x616d616e65_01 // "amane" 1

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			panic("migration " + base + ": no version number")
		}
		sql, _ := migrationFiles.ReadFile(n)
		out = append(out, migration{version: v, name: base, sql: string(sql)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			panic(fmt.Sprintf("migration %s: want version %d", m.name, i+1))
		}
	}
	return out
}

// SchemaVersion is the schema this build runs on: its newest migration.
var SchemaVersion = len(migrations())

// ErrSchema is wrapped by Open's error when the database's schema is not
// SchemaVersion.
var ErrSchema = errors.New("unknown database schema")

// version returns the database's schema version; 0 when it has none.
func version(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table: a new database
		return 0, nil
	}
	return v, err
}

// checkVersion refuses a schema this build does not know, older or newer.
func checkVersion(ctx context.Context, pool *pgxpool.Pool) error {
	v, err := version(ctx, pool)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	switch {
	case v < SchemaVersion:
		return fmt.Errorf("%w: the database is at schema version %d, this amane-helpline needs %d: run amane-helpline migrate", ErrSchema, v, SchemaVersion)
	case v > SchemaVersion:
		return fmt.Errorf("%w: the database is at schema version %d, newer than this amane-helpline knows (%d): upgrade amane-helpline", ErrSchema, v, SchemaVersion)
	}
	return nil
}

// Migrate brings the database at c to SchemaVersion and returns the
// versions it applied. Concurrent runs wait for each other. A database
// newer than this build is refused.
func Migrate(ctx context.Context, c Config) (applied []int, err error) {
	pool, err := connect(ctx, c)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // the session ends anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	cur, err := version(ctx, conn)
	if err != nil {
		return nil, err
	}
	if cur > SchemaVersion {
		return nil, fmt.Errorf("%w: the database is at schema version %d, newer than this amane-helpline knows (%d)", ErrSchema, cur, SchemaVersion)
	}
	for _, m := range migrations()[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("applying migration %s: %w", m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}
