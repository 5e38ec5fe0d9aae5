package pgstore

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is the [store] table of the helpline's configuration. An empty
// Postgres means the embedded bbolt store.
type Config struct {
	// Postgres is the database URL, "postgres://USER@HOST:PORT/DB?sslmode=...",
	// without its password: that comes from PasswordFile, or from the
	// environment (PGPASSWORD) or ~/.pgpass as libpq reads them.
	Postgres     string `toml:"postgres"`
	PasswordFile string `toml:"password_file"` // a file holding only the password
	MaxConns     int    `toml:"max_conns"`     // connections per server; 0 is pgx's default
}

// Enabled says whether the configuration names a PostgreSQL database.
func (c Config) Enabled() bool { return c.Postgres != "" }

// Validate returns every problem with c, each naming its key relative to
// the [store] table.
func (c Config) Validate() error {
	var errs []error
	if c.Postgres != "" {
		if _, err := pgxpool.ParseConfig(c.Postgres); err != nil {
			errs = append(errs, fielderr.New("postgres", "%v", err))
		} else if hasPassword(c.Postgres) {
			errs = append(errs, fielderr.New("postgres", "carries a password: put it in password_file or PGPASSWORD, not in the configuration"))
		}
	}
	if c.PasswordFile != "" && c.Postgres == "" {
		errs = append(errs, fielderr.New("password_file", "set, but postgres is not"))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fielderr.New("max_conns", "%d, want 0 (the default) or more", c.MaxConns))
	}
	return errors.Join(errs...)
}

func hasPassword(s string) bool {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		_, set := u.User.Password()
		return set || u.Query().Has("password")
	}
	return strings.Contains(s, "password=") // the key=value form
}

// poolConfig is the pgx configuration of c, with the password read.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.Postgres)
	if err != nil {
		return nil, fmt.Errorf("[store] postgres: %w", err)
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("[store] password_file: %w", err)
		}
		pc.ConnConfig.Password = strings.TrimRight(string(b), "\r\n")
	}
	if c.MaxConns > 0 {
		pc.MaxConns = int32(c.MaxConns)
	}
	return pc, nil
}
