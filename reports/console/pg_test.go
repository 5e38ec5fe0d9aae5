package console

import (
	"context"
	"os"
	"testing"

	"github.com/amane-dns/amane/internal/pgtest"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/pgstore"
)

// cluster is the PostgreSQL server of this package's tests; nil when
// PostgreSQL is not installed (those tests then skip).
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// pgStore returns a fresh, migrated PostgreSQL store.
func pgStore(t testing.TB) reports.Store {
	t.Helper()
	pgtest.Skip(t, cluster)
	c := pgstore.Config{Postgres: cluster.NewDatabase(t)}
	ctx := context.Background()
	if _, err := pgstore.Migrate(ctx, c); err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
