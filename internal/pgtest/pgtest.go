// Package pgtest owns the throw-away PostgreSQL clusters that tests run
// against: initdb in a temporary directory, a server on a unix socket in
// it (nothing listens on TCP), one database per test. It is imported by
// tests only.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres is returned by Start when initdb, pg_ctl or postgres
// cannot be found: Debian's postgresql package provides them.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; install Debian's postgresql package")

// Cluster is a running throw-away PostgreSQL server.
type Cluster struct {
	dir  string // the temporary directory: data/, the socket, the log
	bin  string // the directory of pg_ctl
	cred *syscall.Credential
	seq  atomic.Int64
}

// binDir finds the server binaries: on PATH, in /usr/local/bin, or the
// newest /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	dirs := []string{}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "/usr/local/bin")
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.Reverse(versions)
	for _, d := range append(dirs, versions...) {
		ok := true
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// Start makes a cluster in a new temporary directory and starts it. Run
// as root, the cluster belongs to the user nobody: initdb refuses root.
// fsync is off: a test's database need not survive a power cut.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running PostgreSQL as root is refused, and there is no user nobody: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=200", dir)
	if err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return c, nil
}

func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop") //nolint:errcheck // removing it anyway
	os.RemoveAll(c.dir)
}

// URL returns the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=5432&sslmode=disable", db, c.dir)
}

// NewDatabase creates an empty database for t and returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("test_%d", c.seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return c.URL(name)
}

// Main runs a package's tests with a cluster in *c (nil when PostgreSQL
// is missing: tests then skip with Skip) and stops it afterwards.
func Main(m *testing.M, c **Cluster) int {
	var err error
	*c, err = Start()
	if err != nil {
		skipReason = err.Error()
		if !errors.Is(err, ErrNoPostgres) {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
	}
	code := m.Run()
	if *c != nil {
		(*c).Stop()
	}
	return code
}

var skipReason string

// Skip skips t when Main found no PostgreSQL.
func Skip(t testing.TB, c *Cluster) {
	t.Helper()
	if c == nil {
		t.Skip("no PostgreSQL: ", skipReason)
	}
}
