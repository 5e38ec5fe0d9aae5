package blocklist

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// listServer serves body at /list with an ETag, honouring If-None-Match;
// the handler can be swapped to misbehave.
type listServer struct {
	*httptest.Server
	handler atomic.Value // http.HandlerFunc
	hits    atomic.Int32
}

func newListServer(t *testing.T) *listServer {
	ls := &listServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.hits.Add(1)
		ls.handler.Load().(http.HandlerFunc)(w, r)
	}))
	t.Cleanup(ls.Close)
	return ls
}

func serveList(body, etag string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, body)
	}
}

func TestFetchKeepsTheLastGoodCopy(t *testing.T) {
	ls := newListServer(t)
	dir := t.TempDir()
	cfg := SourceConfig{Name: "gambling", Category: "gambling", URL: ls.URL + "/list"}
	s := NewSources([]SourceConfig{cfg}, dir, quietLog())
	blocked := func() bool {
		set, err := s.Build()
		if err != nil {
			t.Fatal(err)
		}
		return set.Lookup("www.casino.example").Blocked()
	}
	if blocked() {
		t.Fatal("blocked before any download")
	}
	ls.handler.Store(serveList("casino.example\npoker.example\n", `"v1"`))
	if changed, err := s.Fetch(t.Context(), cfg); err != nil || !changed || !blocked() {
		t.Fatalf("first download: changed=%v err=%v", changed, err)
	}
	t.Run("an unchanged list is not downloaded again (304)", func(t *testing.T) {
		if changed, err := s.Fetch(t.Context(), cfg); err != nil || changed {
			t.Fatalf("changed=%v err=%v", changed, err)
		}
	})
	bad := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"a server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }},
		{"an HTML page instead of a list", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body><h1>Service unavailable</h1></body></html>\n")
		}},
		{"a download larger than the cap", func(w http.ResponseWriter, r *http.Request) {
			for range 100 {
				io.WriteString(w, strings.Repeat("x.example\n", 100))
			}
		}},
		{"a connection cut mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			io.WriteString(w, "partial.example\n")
			panic(http.ErrAbortHandler)
		}},
	}
	s.max = 4096
	for _, tt := range bad {
		t.Run(tt.name+" keeps the last good copy", func(t *testing.T) {
			ls.handler.Store(tt.handler)
			if _, err := s.Fetch(t.Context(), cfg); err == nil {
				t.Fatal("the bad download was accepted")
			}
			if !blocked() {
				t.Fatal("the last good copy was lost")
			}
			st := s.Status()[0]
			if st.Err == "" || st.ErrorSince.IsZero() {
				t.Fatalf("status does not say why and since when: %+v", st)
			}
		})
	}
	t.Run("the status file says why and since when, for amane lists status", func(t *testing.T) {
		var out strings.Builder
		if err := WriteStatus(&out, dir, time.Now()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "gambling: 2 names (domains)") || !strings.Contains(out.String(), "FAILING since") ||
			!strings.Contains(out.String(), "the last good copy stays in use") {
			t.Fatalf("status:\n%s", out.String())
		}
	})
	t.Run("a cold boot without network loads the copy on disk", func(t *testing.T) {
		s2 := NewSources([]SourceConfig{cfg}, dir, quietLog())
		set, err := s2.Build()
		if err != nil || !set.Lookup("poker.example").Blocked() {
			t.Fatalf("err %v", err)
		}
	})
}

func TestLocalListsAreWatched(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(path, []byte("one.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSources([]SourceConfig{{Name: "mine", Category: "games", Path: path}}, filepath.Join(dir, "state"), quietLog())
	sets := make(chan *Set, 10)
	first, err := s.Start(t.Context(), func(set *Set) { sets <- set })
	if err != nil || !first.Lookup("one.example").Blocked() {
		t.Fatalf("first compile: %v", err)
	}
	// Start returns with the watch in place: a save right now is seen.
	tmp := path + ".new"
	os.WriteFile(tmp, []byte("one.example\ntwo.example\n"), 0o600)
	os.Rename(tmp, path)
	select {
	case set := <-sets:
		if !set.Lookup("two.example").Blocked() {
			t.Fatal("the new name is not in the rebuilt set")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no rebuild within 10 s of a change")
	}
}

func TestSourceValidation(t *testing.T) {
	err := ValidateSources([]SourceConfig{
		{Name: "a", Category: "gambling", URL: "https://example.org/a"},
		{Name: "a", Category: "kittens", URL: "ftp://example.org/b", Refresh: time.Second},
		{Name: "../etc", Category: "games", Path: "relative.txt"},
		{Name: "d", Category: "games", URL: "https://x.example/d", Path: "/also"},
	})
	for _, want := range []string{"list[1].name:", "list[1].category:", "list[1].url:", "list[1].refresh:", "list[2].name:", "list[2].path:", "list[3].url: give exactly one"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestAListAskedAtItsURLsInOrderAndOnlyInItsHours: the catalog's lists
// give their URLs by the hour: a mirror that fails is passed for the next
// URL, and outside the maintainer's hours nothing is asked, which is
// neither a failure nor a success.
func TestAListAskedAtItsURLsInOrderAndOnlyInItsHours(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		if r.URL.Path == "/mirror" {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte("catalog.example\n"))
	}))
	defer srv.Close()
	open := true
	cfg := SourceConfig{Name: "catalog.x", Category: "adult", Format: "domains",
		URLsAt: func(time.Time) []string {
			if !open {
				return nil
			}
			return []string{srv.URL + "/mirror", srv.URL + "/origin"}
		}}
	s := NewSources([]SourceConfig{cfg}, t.TempDir(), quietLog())
	changed, err := s.Fetch(context.Background(), cfg)
	if err != nil || !changed || !slices.Equal(asked, []string{"/mirror", "/origin"}) {
		t.Fatalf("changed %v, err %v, asked %q", changed, err, asked)
	}
	open, asked = false, nil
	if _, err := s.Fetch(context.Background(), cfg); !errors.Is(err, errNotNow) || len(asked) > 0 {
		t.Fatalf("outside its hours: err %v, asked %q", err, asked)
	}
	if st := s.Status(); len(st) != 1 || st[0].Err != "" {
		t.Fatalf("outside its hours is no failure: %+v", st)
	}
}
