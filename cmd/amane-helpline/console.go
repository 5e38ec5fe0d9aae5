package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/console"
	"github.com/amane-dns/amane/reports/pgstore"
)

// consoleFile keeps the console's sessions, in state_dir: a file of its
// own, so that the sessions never take the report store's lock, and the
// same on either store. With PostgreSQL and several servers, each keeps
// its own sessions: the load balancer must send an operator to one
// server (sticky sessions), or the console runs on one of them.
const consoleFile = "console.db"

// newConsole opens the console's sessions and builds its handler on store.
func newConsole(c *config, store reports.Store, log *slog.Logger, now func() time.Time) (*console.Console, func() error, error) {
	db, err := bolt.Open(filepath.Join(c.StateDir, consoleFile), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, nil, fmt.Errorf("console: opening %s: %w", filepath.Join(c.StateDir, consoleFile), err)
	}
	sessions, err := web.NewSessions(db, web.SessionConfig{Bucket: "console.sessions", TTL: 12 * time.Hour, Now: now})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("console: %w", err)
	}
	var pub console.Publisher
	if c.Feed.Key != "" && c.Feed.Lists != "" && (c.Feed.Dir != "" || c.Store.Enabled()) {
		pub = &feedPublisher{c: c, store: store, now: now}
	}
	con, err := console.New(console.Options{
		Store: store, Sessions: sessions, Publisher: pub, Reporter: c.Reporter,
		Hosts: c.Console.AllowedHosts(), Log: log, Now: now,
	})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return con, db.Close, nil
}

// feedPublisher publishes the feed from the console as `feed publish
// -config` does: [feed] lists plus the confirmed domains, signed with
// [feed] key, into [feed] dir or, with PostgreSQL, into the database
// under its advisory lock.
type feedPublisher struct {
	c     *config
	store reports.Store
	now   func() time.Time
	mu    sync.Mutex // one publication at a time from this process (the directory)
}

// Published reads the confirmed-CATEGORY.txt lists of the newest feed.
func (p *feedPublisher) Published() (map[string][]string, error) {
	files := map[string][]byte{}
	if pg, ok := p.store.(*pgstore.Store); ok {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var err error
		if files, err = pg.LatestFeed(ctx); err != nil {
			return nil, err
		}
	} else {
		names, _ := filepath.Glob(filepath.Join(p.c.Feed.Dir, "confirmed-*.txt"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			files[filepath.Base(n)] = b
		}
	}
	out := map[string][]string{}
	for name, b := range files {
		cat, ok := strings.CutPrefix(strings.TrimSuffix(name, ".txt"), "confirmed-")
		if !ok || !strings.HasSuffix(name, ".txt") {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if d := strings.TrimSpace(sc.Text()); d != "" {
				out[cat] = append(out[cat], d)
			}
		}
	}
	return out, nil
}

// Publish signs and publishes the next version.
func (p *feedPublisher) Publish(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := feed.PublishOptions{Now: p.now, Accept: checkIDs, ListsDir: p.c.Feed.Lists, OutDir: p.c.Feed.Dir, Name: p.c.Feed.Name, Expires: p.c.Feed.Expires}
	b, err := os.ReadFile(p.c.Feed.Key)
	if err != nil {
		return 0, err
	}
	if o.Key, err = feed.ParseSecretKey(b); err != nil {
		return 0, fmt.Errorf("%s: %w", p.c.Feed.Key, err)
	}
	if p.c.Feed.Contact != "" {
		if o.Contact, err = readContact(p.c.Feed.Contact); err != nil {
			return 0, fmt.Errorf("%s: %w", p.c.Feed.Contact, err)
		}
	}
	confirmed, err := p.store.Confirmed()
	if err != nil {
		return 0, err
	}
	o.Extra = confirmedLists(confirmed)
	var m feed.Manifest
	if pg, ok := p.store.(*pgstore.Store); ok {
		err = pg.PublishFeed(ctx, func(dir string) error {
			o.OutDir = dir
			m, err = feed.Publish(o)
			return err
		})
	} else {
		m, err = feed.Publish(o)
	}
	if err != nil {
		return 0, err
	}
	return int64(m.Version), nil
}

var errConsoleState = errors.New("required for the console: where its sessions are kept (console.db)")
