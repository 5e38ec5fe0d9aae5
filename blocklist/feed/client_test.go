package feed

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestUpdateRefuses serves, after a good version 10, something an
// appliance must refuse, and checks the refusal and that version 10 stays
// in use and on disk, unchanged.
func TestUpdateRefuses(t *testing.T) {
	next := map[string]string{"abuse.txt": "bad.example\nworse.example\nnew.example\n", "watch.txt": "suspect.example\n"}
	var served atomic.Int64 // bytes sent by the endless stream
	tests := []struct {
		name  string
		serve func(f *fixture)
		want  error  // wrapped sentinel, or nil
		msg   string // in the error's text
	}{
		{"a manifest signed by another key is refused", func(f *fixture) {
			f.publish(f.manifest(11, next), next, newKey(t))
		}, ErrBadSignature, "not by the configured key"},
		{"a signature forged under the right key id is refused", func(f *fixture) {
			other := newKey(t)
			other.ID = f.key.ID
			f.publish(f.manifest(11, next), next, other)
		}, ErrBadSignature, "does not match"},
		{"a manifest modified after signing is refused", func(f *fixture) {
			raw := f.publishVersion(11, next)
			f.write(ManifestFile, []byte(strings.Replace(string(raw), `"version": 11`, `"version": 12`, 1)))
		}, ErrBadSignature, "does not match"},
		{"a modified trusted comment is refused", func(f *fixture) {
			raw := f.publishVersion(11, next)
			sig := f.key.Sign(raw, "timestamp:1")
			sig.TrustedComment = "timestamp:2"
			f.write(SignatureFile, sig.Encode())
		}, ErrBadSignature, "trusted comment"},
		{"a garbled signature file is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.write(SignatureFile, []byte("untrusted comment: x\nnot base64\n"))
		}, nil, "parsing signature"},
		{"a missing signature is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.route(SignatureFile, http.NotFound)
		}, nil, "404 Not Found"},
		{"a list file whose hash does not match is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.write("abuse.txt", []byte("bad.example\nworse.example\nxxx.example\n"))
		}, ErrHashMismatch, `list "abuse.txt": SHA-256`},
		{"a list file longer than the manifest says is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.write("abuse.txt", []byte(next["abuse.txt"]+"more.example\n"))
		}, ErrTooLarge, "the manifest says"},
		{"a list file shorter than the manifest says is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.write("abuse.txt", []byte("bad.example\n"))
		}, ErrTruncated, "12 of the 38 bytes"},
		{"a lower version is refused as a rollback", func(f *fixture) {
			f.publishVersion(9, next)
		}, ErrRollback, `feed "emc": manifest version 9 is older than the version held (10): refusing a rollback`},
		{"the same version with other content is refused", func(f *fixture) {
			f.publishVersion(10, next)
		}, ErrVersionConflict, "manifest version 10 is the version held"},
		{"an expired manifest is refused", func(f *fixture) {
			m := f.manifest(11, next)
			m.Issued, m.Expires = t0.Add(-48*time.Hour), t0.Add(-time.Second)
			f.publish(m, next, f.key)
		}, ErrExpired, "manifest version 11 expired at 2026-11-23T11:59:59Z"},
		{"a manifest issued in the future is refused", func(f *fixture) {
			m := f.manifest(11, next)
			m.Issued, m.Expires = t0.Add(2*time.Hour), t0.Add(48*time.Hour)
			f.publish(m, next, f.key)
		}, ErrNotYetValid, "check the clock"},
		{"a manifest of another feed is refused", func(f *fixture) {
			m := f.manifest(11, next)
			m.Name = "other"
			f.publish(m, next, f.key)
		}, ErrWrongFeed, `for feed "other", not "emc"`},
		{"a list over the size limit is refused before any download", func(f *fixture) {
			big := map[string]string{"abuse.txt": strings.Repeat("x", 1<<20+1)}
			f.publishVersion(11, big)
		}, ErrTooLarge, "over the limit of 1048576 bytes"},
		{"a list streamed without end is cut off after its size", func(f *fixture) {
			f.publishVersion(11, next)
			f.route("abuse.txt", endless(&served))
		}, ErrTooLarge, "sent more than the 38 bytes"},
		{"a manifest streamed without end is cut off at its limit", func(f *fixture) {
			f.route(ManifestFile, endless(&served))
		}, ErrTooLarge, "manifest.json: more than 1048576 bytes"},
		{"a download cut short is refused", func(f *fixture) {
			f.publishVersion(11, next)
			f.route("abuse.txt", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(next["abuse.txt"])))
				w.Write([]byte(next["abuse.txt"][:10]))
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // the connection dies mid-body
			})
		}, ErrTruncated, "stopped after 10 of 38 bytes"},
		{"a redirect to another scheme is refused", func(f *fixture) {
			f.route(ManifestFile, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://127.0.0.1:1/manifest.json", http.StatusFound)
			})
		}, nil, "refusing a redirect from http to https"},
		{"a server error is refused", func(f *fixture) {
			f.route(ManifestFile, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		}, nil, "the server answered 503"},
		{"a server that is down is reported", func(f *fixture) {
			f.srv.Close()
		}, nil, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.publishVersion(10, goodFiles())
			s := f.subscribe()
			f.update(s)
			tt.serve(f)
			before := runtimeAlloc()
			snap, changed, err := s.Update(context.Background())
			if alloc := runtimeAlloc() - before; alloc > 64<<20 {
				t.Errorf("Update allocated %d bytes", alloc)
			}
			if err == nil || changed || tt.want != nil && !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Update = changed %v, %v; want an error wrapping %v and saying %q", changed, err, tt.want, tt.msg)
			}
			t.Logf("refused: %v", err)
			if snap.Manifest.Version != 10 {
				t.Errorf("after the refusal the snapshot in use is version %d, want 10", snap.Manifest.Version)
			}
			f.assertHeld(10, goodFiles())
			if n := served.Swap(0); n > 64<<20 {
				t.Errorf("the endless stream sent %d bytes before the client hung up", n)
			}
		})
	}
}

// endless streams zeros, up to 10 GiB, until the client hangs up, and
// counts what it sent.
func endless(sent *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for sent.Load() < 10<<30 && r.Context().Err() == nil {
			if _, err := w.Write(buf); err != nil {
				return
			}
			sent.Add(int64(len(buf)))
		}
	}
}

func runtimeAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
