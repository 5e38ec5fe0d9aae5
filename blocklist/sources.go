package blocklist

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// MaxListBytes caps one downloaded list: two million names in hosts format
// are about 60 MB; a server sending more is refused, not followed.
const MaxListBytes = 128 << 20

// Sources keeps configured lists current: it compiles them into a Set from
// what is on disk (local files, last good copies of URL lists) with no
// network at all, which is the boot path, and it fetches URL lists with
// conditional requests, keeping the last good copy when a download or
// parse fails.
type Sources struct {
	cfgs   []SourceConfig
	dir    string // holds the last good copies and their validators
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	max    int64 // bytes a download may have, MaxListBytes unless a test says
	// readOnly keeps Build from writing CompiledFile (SetCompiledReadOnly).
	readOnly bool

	mu     sync.Mutex // guards status
	status map[string]*SourceStatus
	// running counts the goroutines Start began, for Wait.
	running sync.WaitGroup
}

// Wait returns once every goroutine Start began has returned, after its
// context ended: nothing of the sources writes to their directory after.
func (s *Sources) Wait() { s.running.Wait() }

// SetCompiledReadOnly makes Build use CompiledFile when it matches the
// lists but never write it: for a command that compiles the lists beside the
// running daemon (amane explain), whose lists may differ from the daemon's
// (no catalog) and which must not make the daemon's next boot parse again.
func (s *Sources) SetCompiledReadOnly() { s.readOnly = true }

// errNotNow is Fetch's answer for a list that may not be asked now
// (outside the hours its maintainer allows, with no mirror): not a
// failure, and not a success that would put the next try a refresh away.
var errNotNow = errors.New("not to be asked at this hour")

// SetTransport replaces how downloads reach the network (nil: Go's
// default); call it before Start. Tests use it to keep every download on
// loopback.
func (s *Sources) SetTransport(rt http.RoundTripper) { s.client.Transport = rt }

// NewSources returns the sources for cfgs, keeping copies in dir.
func NewSources(cfgs []SourceConfig, dir string, log *slog.Logger) *Sources {
	return &Sources{
		cfgs: cfgs, dir: dir, log: log, now: time.Now, max: MaxListBytes, status: map[string]*SourceStatus{},
		client: &http.Client{
			Timeout: 2 * time.Minute,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("more than 5 redirects")
				}
				if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
					return errors.New("redirect from https to plain http refused")
				}
				return nil
			},
		},
	}
}

// Build compiles every list from disk into a Set. A list that cannot be
// read is left out and its status says why; the others still count.
//
// The Set last compiled is kept in CompiledFile beside the lists, with the
// SHA-256 of every file it was parsed from: when every list is still the
// same, Build maps it instead of parsing (a few milliseconds for a million
// names, against a second), and otherwise compiles a new one straight into
// that file and maps it: the Set's tables are then never in the heap. A
// compiled file that is damaged, truncated, of another version or of other
// lists is logged and rebuilt, never used.
func (s *Sources) Build() (*Set, error) {
	if set := s.loadCompiled(); set != nil {
		return set, nil
	}
	b, inputs, keep := s.parseAll()
	if keep && !s.readOnly {
		set, err := s.compileToFile(b, inputs)
		if err == nil {
			return set, nil
		}
		// The Builder is spent: parse again, into memory this time.
		s.log.Warn("compiled lists not saved; the next start parses them again", "err", err)
		b, _, _ = s.parseAll()
	}
	return b.Build()
}

// parseAll parses every list into a new Builder, records each list's
// status, and says whether the result may be saved: no list failed
// halfway.
func (s *Sources) parseAll() (b *Builder, inputs []Input, keep bool) {
	b = NewBuilder()
	inputs = make([]Input, 0, len(s.cfgs))
	keep = true
	for _, c := range s.cfgs {
		id := b.AddList(c.Name, c.category())
		in := Input{Name: c.Name, Category: c.category(), Format: c.format()}
		opened, err := s.parseOne(b, id, c, &in)
		keep = keep && (err == nil || !opened)
		inputs = append(inputs, in)
		s.recordBuilt(c, in.Stats, err)
		if err != nil {
			s.log.Warn("list left out", "list", c.Name, "err", err)
		}
	}
	return b, inputs, keep
}

// recordBuilt sets list c's status after a build or a load.
func (s *Sources) recordBuilt(c SourceConfig, st Stats, err error) {
	s.record(c.Name, func(ss *SourceStatus) {
		if err != nil {
			s.failedLocked(ss, err)
			return
		}
		ss.Stats = st
		if ss.Updated.IsZero() || c.Path != "" {
			ss.Updated = s.now()
		}
	})
}

// parseOne parses list c into b, and fills in the digest of the file read,
// its stamp when it held still (see fileStamp) and the Stats. opened says
// whether the file could be opened: a list that cannot be is left out, and
// its digest stays zero.
func (s *Sources) parseOne(b *Builder, id int, c SourceConfig, in *Input) (opened bool, err error) {
	f, err := openSource(s.dir, c)
	if err != nil {
		return false, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("reading list %q: %w", c.Name, err)
	}
	h := sha256.New()
	in.Stats, err = b.Parse(id, io.TeeReader(f, h), c.format())
	if err != nil {
		return true, fmt.Errorf("reading list %q: %w", c.Name, err)
	}
	// A parser may stop before the end (an archive's trailer): the digest
	// is of the whole file, as loadCompiled computes it.
	if _, err := io.Copy(h, f); err != nil {
		return true, fmt.Errorf("reading list %q: %w", c.Name, err)
	}
	h.Sum(in.SHA256[:0])
	if after, err := f.Stat(); err == nil {
		// The file system's clock, not an injected one: it is what
		// stamps the file.
		in.stamp = stableStamp(before, after, time.Now())
	}
	return true, nil
}

// Status returns every list's status, in configuration order.
func (s *Sources) Status() []SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SourceStatus, 0, len(s.cfgs))
	for _, c := range s.cfgs {
		if st, ok := s.status[c.Name]; ok {
			out = append(out, *st)
		}
	}
	return out
}

func (s *Sources) record(name string, f func(*SourceStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[name]
	if !ok {
		st = &SourceStatus{Name: name}
		s.status[name] = st
	}
	f(st)
	s.saveStatusLocked()
}

// StatusFile is where the sources keep their status for `amane lists
// status`, in their directory.
const StatusFile = "status.json"

// savedStatus is one list's line of StatusFile.
type savedStatus struct {
	Name       string    `json:"name"`
	Format     string    `json:"format,omitempty"`
	Names      int       `json:"names"`
	Skipped    int       `json:"skipped"`
	Updated    time.Time `json:"updated,omitzero"`
	Err        string    `json:"error,omitempty"`
	ErrorSince time.Time `json:"error_since,omitzero"`
}

// saveStatusLocked writes the status for the command line to read. It is
// small and written only when a list's state changes, not per query.
func (s *Sources) saveStatusLocked() {
	out := make([]savedStatus, 0, len(s.cfgs))
	for _, c := range s.cfgs {
		if st, ok := s.status[c.Name]; ok {
			out = append(out, savedStatus{
				Name: st.Name, Format: st.Stats.Format.String(), Names: st.Stats.Accepted, Skipped: st.Stats.SkippedTotal(),
				Updated: st.Updated, Err: st.Err, ErrorSince: st.ErrorSince,
			})
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err == nil && os.MkdirAll(s.dir, 0o750) == nil {
		writeFileAtomic(filepath.Join(s.dir, StatusFile), b)
	}
}

// SavedStatus is one list's line of the status file in the lists
// directory, for readers outside the running daemon.
type SavedStatus = savedStatus

// ReadStatus reads the status file in dir, as the running daemon last
// wrote it.
func ReadStatus(dir string) ([]SavedStatus, error) {
	b, err := os.ReadFile(filepath.Join(dir, StatusFile))
	if err != nil {
		return nil, fmt.Errorf("no list status yet (is amane running with lists configured?): %w", err)
	}
	var all []savedStatus
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("reading %s: %w", StatusFile, err)
	}
	return all, nil
}

// WriteStatus prints the status file in dir for an operator: each list,
// its names, when it was last updated, and why and since when it fails.
func WriteStatus(w io.Writer, dir string, now time.Time) error {
	all, err := ReadStatus(dir)
	if err != nil {
		return err
	}
	for _, st := range all {
		fmt.Fprintf(w, "%s: %d names (%s), %d lines skipped, updated %s ago\n",
			st.Name, st.Names, st.Format, st.Skipped, now.Sub(st.Updated).Round(time.Second))
		if st.Err != "" {
			fmt.Fprintf(w, "  FAILING since %s (%s ago): %s\n  the last good copy stays in use\n",
				st.ErrorSince.Format(time.RFC3339), now.Sub(st.ErrorSince).Round(time.Second), st.Err)
		}
	}
	return nil
}

func (s *Sources) failedLocked(ss *SourceStatus, err error) {
	if ss.Err == "" {
		ss.ErrorSince = s.now()
	}
	ss.Err = err.Error()
}

// validators are what a server gave to make the next request conditional.
type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Fetch asks the server for a new version of the URL list c. It reports
// whether the last good copy changed. A failed download, an oversized one,
// or one that parses to nothing (an HTML error page, say) leaves the last
// good copy as it was.
func (s *Sources) Fetch(ctx context.Context, c SourceConfig) (bool, error) {
	changed, err := s.fetch(ctx, c)
	if errors.Is(err, errNotNow) {
		return false, err // nothing asked, nothing failed
	}
	s.record(c.Name, func(ss *SourceStatus) {
		if err != nil {
			s.failedLocked(ss, err)
			return
		}
		ss.Err = ""
		if changed {
			ss.Updated = s.now()
		}
	})
	return changed, err
}

// fetch tries each URL the list may be asked at now, in order, until one
// answers; the error is the last one's.
func (s *Sources) fetch(ctx context.Context, c SourceConfig) (bool, error) {
	urls := []string{c.URL}
	if c.URLsAt != nil {
		if urls = c.URLsAt(s.now()); len(urls) == 0 {
			return false, errNotNow
		}
	}
	var err error
	for _, u := range urls {
		var changed bool
		if changed, err = s.fetchURL(ctx, c, u); err == nil || ctx.Err() != nil {
			return changed, err
		}
	}
	return false, err
}

func (s *Sources) fetchURL(ctx context.Context, c SourceConfig, url string) (bool, error) {
	metaPath := lastGood(s.dir, c.Name) + ".meta"
	var v validators
	if b, err := os.ReadFile(metaPath); err == nil {
		json.Unmarshal(b, &v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(lastGood(s.dir, c.Name)); err == nil { // validators only mean something with the copy
		if v.ETag != "" {
			req.Header.Set("If-None-Match", v.ETag)
		}
		if v.LastModified != "" {
			req.Header.Set("If-Modified-Since", v.LastModified)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("fetching list %q: %w", c.Name, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return false, nil
	case http.StatusOK:
	default:
		return false, fmt.Errorf("fetching list %q from %s: HTTP %s", c.Name, url, resp.Status)
	}
	if err := s.store(c, resp.Body); err != nil {
		return false, err
	}
	v = validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	b, _ := json.Marshal(v)
	return true, writeFileAtomic(metaPath, b)
}

// store checks a download and puts it in place of the last good copy.
func (s *Sources) store(c SourceConfig, body io.Reader) error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, "."+c.Name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(body, s.max+1))
	if err != nil {
		return fmt.Errorf("downloading list %q: %w (after %d bytes)", c.Name, err, n)
	}
	if n > s.max {
		return fmt.Errorf("list %q is larger than %d bytes: refused", c.Name, s.max)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	st, err := Parse(tmp, c.format(), func(Rule) {})
	if err != nil {
		return fmt.Errorf("parsing list %q: %w", c.Name, err)
	}
	if st.Accepted == 0 && n > 0 {
		return fmt.Errorf("list %q: the download (%d bytes, %d lines) holds no usable name; kept the last good copy", c.Name, n, st.Lines)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), lastGood(s.dir, c.Name))
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Dir returns the directory that holds the last good copies.
func (s *Sources) Dir() string { return filepath.Clean(s.dir) }
