package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// feedLock is the advisory lock that serializes feed publications across
// every helpline machine on the database.
const feedLock = 0x616d616e65_02 // "amane" 2

// keepFeeds is how many published versions the database keeps.
const keepFeeds = 10

// PublishFeed runs publish on a directory holding the newest published
// feed (empty at first) and stores what publish left there as the next
// version, which every server then serves. Publications are serialized by
// an advisory lock held for the whole transaction, so two operators
// publishing at once produce two versions, one after the other, the
// second built on the first.
func (s *Store) PublishFeed(ctx context.Context, publish func(dir string) error) error {
	tmp, err := os.MkdirTemp("", "amane-feed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "feed")
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
			return err
		}
		os.RemoveAll(dir)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT name, content FROM feed_files WHERE version = (SELECT max(version) FROM feed_versions)`)
		if err != nil {
			return err
		}
		files, err := collectFiles(rows)
		if err != nil {
			return err
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
				return err
			}
		}
		if err := publish(dir); err != nil {
			return err
		}
		var v int64
		if err := tx.QueryRow(ctx, `INSERT INTO feed_versions (published) VALUES (now()) RETURNING version`).Scan(&v); err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				return fmt.Errorf("the published feed holds %s, not a file", e.Name())
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO feed_files (version, name, content) VALUES ($1, $2, $3)`, v, e.Name(), b); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM feed_versions WHERE version <= $1`, v-keepFeeds)
		return err
	})
}

// feedSnapshot is one published version, whole; never changed once made.
type feedSnapshot struct {
	version int64
	files   map[string][]byte
}

// FeedServer serves the newest feed version in the database at /feed/
// (mounted with http.StripPrefix). Run reloads it when a new version is
// published; a request reads one snapshot, so it never sees two versions.
type FeedServer struct {
	s    *Store
	log  *slog.Logger
	snap atomic.Pointer[feedSnapshot] // nil until the first load
}

// NewFeedServer returns a server of s's feed, loaded once.
func (s *Store) NewFeedServer(ctx context.Context, log *slog.Logger) (*FeedServer, error) {
	f := &FeedServer{s: s, log: log}
	return f, f.reload(ctx)
}

func (f *FeedServer) reload(ctx context.Context) error {
	var v int64
	if err := f.s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM feed_versions`).Scan(&v); err != nil {
		return fmt.Errorf("reading the feed version: %w", err)
	}
	if cur := f.snap.Load(); cur != nil && cur.version == v {
		return nil
	}
	rows, err := f.s.pool.Query(ctx, `SELECT name, content FROM feed_files WHERE version = $1`, v)
	if err != nil {
		return fmt.Errorf("reading feed version %d: %w", v, err)
	}
	files, err := collectFiles(rows)
	if err != nil {
		return fmt.Errorf("reading feed version %d: %w", v, err)
	}
	f.snap.Store(&feedSnapshot{version: v, files: files})
	return nil
}

// Run reloads the feed every interval until ctx ends: a publication
// reaches every server within one interval.
func (f *FeedServer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := f.reload(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("the feed could not be reloaded; serving the one before", "err", err)
		}
	}
}

// ServeHTTP serves one file of the feed by its name.
func (f *FeedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := f.snap.Load()
	name := strings.TrimPrefix(r.URL.Path, "/")
	b, ok := snap.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, snap.version))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// collectFiles reads (name, content) rows.
func collectFiles(rows pgx.Rows) (map[string][]byte, error) {
	defer rows.Close()
	files := map[string][]byte{}
	for rows.Next() {
		var name string
		var content []byte
		if err := rows.Scan(&name, &content); err != nil {
			return nil, err
		}
		files[name] = content
	}
	return files, rows.Err()
}

// LatestFeed returns the files of the newest published version, by name;
// none before the first publication.
func (s *Store) LatestFeed(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, content FROM feed_files WHERE version = (SELECT max(version) FROM feed_versions)`)
	if err != nil {
		return nil, err
	}
	return collectFiles(rows)
}
