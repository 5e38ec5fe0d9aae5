package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/pgstore"
)

// openStore opens the store the configuration names: PostgreSQL, shared
// with the other servers, or the bbolt file in state_dir, which one
// process holds at a time (ErrLocked after waiting lockWait).
func openStore(ctx context.Context, c *config, lockWait time.Duration) (reports.Store, error) {
	if c.Store.Enabled() {
		return pgstore.Open(ctx, c.Store)
	}
	return reports.OpenStore(c.StateDir, lockWait)
}

// migrateCommand brings the PostgreSQL schema to this build's version.
func migrateCommand(args []string, stdout io.Writer) error {
	c, _, err := configFlags("migrate", args, 0)
	if err != nil {
		return err
	}
	if !c.Store.Enabled() {
		return errors.New("migrate: [store] postgres is not set; the embedded store needs no migration")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	applied, err := pgstore.Migrate(ctx, c.Store)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "schema already at version %d\n", pgstore.SchemaVersion)
		return nil
	}
	fmt.Fprintf(stdout, "schema migrated to version %d (applied %v)\n", pgstore.SchemaVersion, applied)
	return nil
}
