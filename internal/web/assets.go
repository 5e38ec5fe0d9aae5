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
	"mime"
	"net/http"
	"path"
	"strings"
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
// after NewAssets.
type Assets struct {
	byName map[string]*asset // "web.css"
}

type asset struct {
	name, hash, ctype string
	body, gz          []byte // gz nil when compression does not pay
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
			body, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			a.byName[p] = newAsset(p, body)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("loading assets: %w", err)
		}
	}
	return a, nil
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	a := &asset{name: name, hash: hex.EncodeToString(sum[:6]), ctype: ct, body: body}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if b.Len() < len(body)*9/10 {
		a.gz = b.Bytes()
	}
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
	if as.gz != nil {
		return len(as.gz), nil
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
	if as.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
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
