package feed

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUpdateTakesANewVersion(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	s := f.subscribe()
	if snap, changed := f.update(s); !changed || snap.Manifest.Version != 10 || snap.Stale {
		t.Fatalf("first Update = version %d, changed %v, stale %v", snap.Manifest.Version, changed, snap.Stale)
	}
	f.assertHeld(10, goodFiles())

	next := map[string]string{"abuse.txt": "bad.example\n", "watch.txt": goodFiles()["watch.txt"], "abuse-2.txt": "more.example\n"}
	f.publishVersion(11, next)
	snap, changed := f.update(s)
	if !changed || snap.Manifest.Version != 11 {
		t.Fatalf("second Update = version %d, changed %v; want 11, true", snap.Manifest.Version, changed)
	}
	f.assertHeld(11, next)
	if n := f.hitCount("watch.txt"); n != 1 {
		t.Errorf("the unchanged watch.txt was downloaded %d times, want once (then reused from disk)", n)
	}
	if got := snap.Manifest.MandatoryCategories(); len(got) != 1 || got[0] != "abuse" {
		t.Errorf("MandatoryCategories = %v, want [abuse]", got)
	}
}

func TestUpdateChangesNothing(t *testing.T) {
	tests := []struct {
		name         string
		serve        func(f *fixture)
		wantManifest int // requests for manifest.json in the second Update
		wantSig      int // requests for the signature in the second Update
	}{
		{"a 304 Not Modified fetches nothing more", func(f *fixture) {}, 1, 0},
		{"the same manifest under a new ETag is kept, and the ETag remembered", func(f *fixture) {
			f.route(ManifestFile, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("ETag", `"new"`)
				if r.Header.Get("If-None-Match") == `"new"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				b, _ := os.ReadFile(filepath.Join(f.www, ManifestFile))
				w.Write(b)
			})
		}, 1, 1},
		{"the same manifest re-signed is kept", func(f *fixture) {
			raw, _ := os.ReadFile(filepath.Join(f.www, ManifestFile))
			f.write(SignatureFile, f.key.Sign(raw, "timestamp:2").Encode())
			f.route(ManifestFile, func(w http.ResponseWriter, r *http.Request) { w.Write(raw) }) // no ETag
		}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.publishVersion(10, goodFiles())
			s := f.subscribe()
			f.update(s)
			before := treeOf(t, f.state)
			tt.serve(f)
			m0, s0 := f.hitCount(ManifestFile), f.hitCount(SignatureFile)
			if snap, changed := f.update(s); changed || snap.Manifest.Version != 10 {
				t.Fatalf("Update = version %d, changed %v; want 10, false", snap.Manifest.Version, changed)
			}
			if m, sg := f.hitCount(ManifestFile)-m0, f.hitCount(SignatureFile)-s0; m != tt.wantManifest || sg != tt.wantSig {
				t.Errorf("requests: %d for the manifest, %d for the signature; want %d and %d", m, sg, tt.wantManifest, tt.wantSig)
			}
			f.update(s) // a third time: with the ETag now held, a 304 where the server sends one
			after := treeOf(t, f.state)
			for name, content := range before {
				if !strings.HasSuffix(name, etagFile) && after[name] != content {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

func TestColdBootLoadsTheCopyOnDisk(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	f.update(f.subscribe())
	f.srv.Close() // no network from now on

	s := f.subscribe()
	snap, err := s.Load()
	if err != nil || snap.Manifest.Version != 10 || snap.Stale {
		t.Fatalf("Load = version %d, stale %v, %v; want version 10, fresh", snap.Manifest.Version, snap.Stale, err)
	}
	snap, changed, err := s.Update(context.Background())
	if err == nil || changed || snap.Manifest.Version != 10 {
		t.Fatalf("Update without network = version %d, changed %v, %v; want version 10 kept and an error", snap.Manifest.Version, changed, err)
	}
	f.assertHeld(10, goodFiles())
}

func TestLoadKeepsAnExpiredCopyAndSaysSo(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	f.update(f.subscribe())
	f.now = t0.Add(1000 * time.Hour) // past the 720h expiry
	var logs bytes.Buffer
	o := f.options()
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := New(f.config(), o)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Load()
	if err != nil || !snap.Stale || snap.Manifest.Version != 10 {
		t.Fatalf("Load = version %d, stale %v, %v; want version 10, stale", snap.Manifest.Version, snap.Stale, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "expired") {
		t.Errorf("no warning about the expired copy in %q", logs.String())
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name   string
		damage func(f *fixture, dir string)
		want   error
	}{
		{"nothing on disk is ErrNoCopy", func(f *fixture, dir string) { os.RemoveAll(f.state) }, ErrNoCopy},
		{"a list file changed on disk is refused", func(f *fixture, dir string) {
			os.WriteFile(filepath.Join(dir, "abuse.txt"), []byte("bad.example\nworse.exampl\n"), 0o644)
		}, ErrHashMismatch},
		{"a list file grown on disk is refused", func(f *fixture, dir string) {
			os.WriteFile(filepath.Join(dir, "abuse.txt"), []byte(goodFiles()["abuse.txt"]+"x"), 0o644)
		}, ErrHashMismatch},
		{"a manifest changed on disk is refused", func(f *fixture, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
			os.WriteFile(filepath.Join(dir, ManifestFile), bytes.Replace(b, []byte(`"version": 10`), []byte(`"version": 99`), 1), 0o644)
		}, ErrBadSignature},
		{"a missing list file is refused", func(f *fixture, dir string) { os.Remove(filepath.Join(dir, "watch.txt")) }, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.publishVersion(10, goodFiles())
			snap, _ := f.update(f.subscribe())
			tt.damage(f, snap.Dir)
			s := f.subscribe()
			if _, err := s.Load(); !errors.Is(err, tt.want) {
				t.Fatalf("Load = %v, want %v", err, tt.want)
			}
			// The next update replaces the damaged copy.
			if snap, changed := f.update(s); !changed || snap.Manifest.Version != 10 {
				t.Fatalf("Update after damage = version %d, changed %v; want version 10 downloaded again", snap.Manifest.Version, changed)
			}
			f.assertHeld(10, goodFiles())
		})
	}
}

func TestUpdateOverHTTPS(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	tls := httptest.NewTLSServer(http.HandlerFunc(f.serve))
	defer tls.Close()
	o := f.options()
	o.HTTPClient = tls.Client()
	s, err := New(Config{URL: tls.URL + "/feeds/emc/manifest.json", PublicKey: string(f.key.Public().Encode())}, o)
	if err != nil {
		t.Fatal(err)
	}
	if snap, changed := f.update(s); !changed || snap.Manifest.Version != 10 {
		t.Fatalf("Update = version %d, changed %v", snap.Manifest.Version, changed)
	}
}

func TestPollNowAsksBeforeTheNextTick(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(1, goodFiles())
	s := f.subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	snaps := make(chan Snapshot, 4)
	go s.Poll(ctx, 24*time.Hour, func(snap Snapshot) { snaps <- snap })
	if v := (<-snaps).Manifest.Version; v != 1 {
		t.Fatalf("first poll took version %d", v)
	}
	files := goodFiles()
	files["abuse.txt"] += "new.example\n"
	f.publishVersion(2, files)
	s.PollNow()
	select {
	case snap := <-snaps:
		if snap.Manifest.Version != 2 {
			t.Fatalf("took version %d", snap.Manifest.Version)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PollNow did not make Poll ask (the next tick is a day away)")
	}
}
