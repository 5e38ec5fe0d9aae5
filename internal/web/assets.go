package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// AssetPrefix is the path under which Assets.ServeHTTP serves: a console
// mounts its Assets there, outside any session check, so that the login
// page has its stylesheet.
const AssetPrefix = "/static/"

//go:embed static
var baseStatic embed.FS

// Assets are the stylesheets, scripts and images of the pages, embedded in
// the program and served under a URL holding a hash of their content
// ("/static/3f9a1c2b7d04/web.css"): the URL changes when the file does, so
// a browser may keep it a year and never shows a stale one. Immutable
// after NewAssets, but for each file's compressed copy, made once on first
// use; safe for concurrent use.
type Assets struct {
	byName map[string]*asset // "web.css"
}

type asset struct {
	name, hash, ctype string
	body              []byte
	gz                func() []byte // the gzipped body, made on its first call; it returns nil when compression does not pay
}

// NewAssets loads this package's static files (web.css, web.js) and then
// every file of each of extra (a console's own). A name defined twice is
// an error.
func NewAssets(extra ...fs.FS) (*Assets, error) {
	base, err := fs.Sub(baseStatic, "static")
	if err != nil {
		return nil, err
	}
	a := &Assets{byName: map[string]*asset{}}
	for _, fsys := range append([]fs.FS{base}, extra...) {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if _, dup := a.byName[p]; dup {
				return fmt.Errorf("asset %q is already defined", p)
			}
			ctype, ok := contentTypes[path.Ext(p)]
			if !ok {
				return fmt.Errorf("asset %q: no content type for %q; add it to contentTypes", p, path.Ext(p))
			}
			body, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			a.byName[p] = newAsset(p, ctype, body)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("loading assets: %w", err)
		}
	}
	return a, nil
}

// contentTypes are the types of the files a console may embed. A small
// table rather than package mime: its TypeByExtension builds its tables
// and reads /etc/mime.types on first use, a few hundred kilobytes of heap
// that an appliance at rest keeps, for five files. An extension missing
// here is an error of NewAssets, so that it is added, never served as
// application/octet-stream.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/vnd.microsoft.icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// newAsset hashes body now (the URL needs it) and compresses it on first
// use: a gzip writer at BestCompression allocates about a megabyte of
// tables, which, made for every file at start-up, left the heap of an
// appliance at rest megabytes larger for pages nobody may open that day.
func newAsset(name, ctype string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{name: name, hash: hex.EncodeToString(sum[:6]), ctype: ctype, body: body}
	a.gz = sync.OnceValue(func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level: no error
		zw.Write(body)
		zw.Close()
		if b.Len() >= len(body)*9/10 {
			return nil // not worth a Content-Encoding
		}
		return b.Bytes()
	})
	return a
}

// URL returns the path that serves name with its content hash. It panics
// on a name that is not an asset: templates are checked when parsed, and a
// typo must fail the first test that renders the page.
func (a *Assets) URL(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic(fmt.Sprintf("web: no asset %q", name))
	}
	return AssetPrefix + as.hash + "/" + name
}

// Size returns the bytes name weighs on the wire, compressed if it is
// served compressed, so that a test can hold a page to its weight budget.
func (a *Assets) Size(name string) (int, error) {
	as, ok := a.byName[name]
	if !ok {
		return 0, errors.New("no asset " + name)
	}
	if gz := as.gz(); gz != nil {
		return len(gz), nil
	}
	return len(as.body), nil
}

// ServeHTTP serves AssetPrefix + hash + "/" + name. A hash that is not the
// current content's is 404: an old page asking for an old file must not
// cache today's under yesterday's name for a year.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, AssetPrefix)
	hash, name, ok2 := strings.Cut(rest, "/")
	as := a.byName[name]
	if !ok || !ok2 || as == nil || as.hash != hash {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", `"`+as.hash+`"`)
	body := as.body
	if acceptsGzip(r) {
		if gz := as.gz(); gz != nil {
			h.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	if r.Header.Get("If-None-Match") == `"`+as.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(enc, "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
