package appliance

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// TestACategoryBlocksFromTheCatalogMirror blocks adult sites with no list
// configured: the catalog's default source for adult is fetched from the
// configured mirror (a local server standing for a school's or the
// helpline's copy), kept, and blocks.
func TestACategoryBlocksFromTheCatalogMirror(t *testing.T) {
	asked := make(chan string, 10)
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.URL.Path
		if r.URL.Path != "/catalog/hagezi-nsfw" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("# a copy of HaGeZi's nsfw-onlydomains.txt\nadult.example\n"))
	}))
	defer mirror.Close()
	cfg, err := configs.Parse("amane.toml", []byte("state_dir = \""+t.TempDir()+"\"\n"+
		"[filter]\nblock = [\"adult\"]\n[catalog]\nmirror = \""+mirror.URL+"/catalog\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan struct{}, 1)
	a, err := New(cfg, Options{Published: published})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Start()
	if got := <-asked; got != "/catalog/hagezi-nsfw" {
		t.Fatalf("the mirror was asked for %s", got)
	}
	deadline := time.After(10 * time.Second)
	for a.Policy().Decide(policy.Client{}, "www.adult.example", 1, a.now()).Action != policy.Block {
		select {
		case <-published:
		case <-deadline:
			t.Fatal("the catalog's list does not block after 10 s")
		}
	}
	sel := CatalogSelection(a.Config(), nil)
	if len(sel.Fetch) != 1 || sel.Fetch[0].Name() != "catalog.hagezi-nsfw" {
		t.Fatalf("selection %+v", sel.Fetch)
	}
	if len(sel.Unfilled) != 1 || sel.Unfilled[0].Category.String() != "abuse" {
		t.Fatalf("abuse has no public list and must say so: %+v", sel.Unfilled)
	}
}

// loopbackOnly carries downloads to 127.0.0.1 and refuses any other
// host before a name is looked up: a test never reaches the internet,
// even when a catalog source falls back to its own servers.
type loopbackOnly struct{ refused chan string }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Hostname() != "127.0.0.1" {
		select {
		case l.refused <- r.URL.Host:
		default:
		}
		return nil, fmt.Errorf("test: %s is not loopback", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// mirrorCopy is what a mirror serves for source s: one name, s's id under
// .example, in s's own format (UT1's as its tar.gz).
func mirrorCopy(t *testing.T, s catalog.Source) (name string, body []byte) {
	t.Helper()
	name = s.ID + ".example"
	switch s.Format {
	case blocklist.FormatUT1Tar:
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		content := []byte(name + "\n192.0.2.1\n")
		tw.WriteHeader(&tar.Header{Name: "blacklists/" + s.ID + "/domains", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write(content)
		tw.Close()
		gz.Close()
		return name, buf.Bytes()
	case blocklist.FormatHosts:
		return name, []byte("0.0.0.0 " + name + "\n")
	case blocklist.FormatAdblock:
		return name, []byte("||" + name + "^\n")
	}
	return name, []byte(name + "\n")
}

// TestAChildsPresetFiltersFromTheCatalogAndKeepsFilteringOffline is issue
// 10's demonstration: a "9-12" profile and no [[list]]: every category the
// preset blocks is fetched from a local mirror and blocks for the child's
// device and not for another; then the mirror goes away, amane restarts,
// and the last good copies filter at once.
func TestAChildsPresetFiltersFromTheCatalogAndKeepsFilteringOffline(t *testing.T) {
	bodies := map[string][]byte{}
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[strings.TrimPrefix(r.URL.Path, "/catalog/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	state := t.TempDir()
	src := "state_dir = \"" + state + "\"\n[catalog]\nmirror = \"" + mirror.URL + "/catalog\"\n" +
		"[[profile]]\nname = \"yasmine\"\npreset = \"9-12\"\n" +
		"[[device]]\nname = \"tablet\"\nip = \"192.168.1.23\"\nprofile = \"yasmine\"\n"
	cfg, err := configs.Parse("amane.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sel := CatalogSelection(cfg, nil)
	if len(sel.Fetch) < 10 {
		t.Fatalf("the 9-12 preset fetches %d sources", len(sel.Fetch))
	}
	var names []string
	for _, f := range sel.Fetch {
		name, body := mirrorCopy(t, f.Source)
		bodies[f.Source.ID] = body
		names = append(names, name)
	}
	tablet := policy.Client{Addr: netip.MustParseAddr("192.168.1.23")}
	visitor := policy.Client{Addr: netip.MustParseAddr("192.168.1.99")}
	refused := make(chan string, 1)
	published := make(chan struct{}, 1)
	start := func() *Appliance {
		a, err := New(cfg, Options{Transport: loopbackOnly{refused}, Published: published})
		if err != nil {
			t.Fatal(err)
		}
		a.Start()
		return a
	}
	allBlocked := func(a *Appliance) bool {
		for _, n := range names {
			if a.Policy().Decide(tablet, "www."+n, 1, a.now()).Action != policy.Block {
				return false
			}
		}
		return true
	}

	a := start()
	deadline := time.After(20 * time.Second)
	for !allBlocked(a) {
		select {
		case <-published:
		case <-deadline:
			t.Fatalf("not every catalog source blocks after 20 s: %+v", a.ListStatus())
		}
	}
	if d := a.Policy().Decide(visitor, "www.ut1-dating.example", 1, a.now()); d.Action != policy.Allow {
		t.Fatalf("a visitor's phone (the [filter]) is not the child's profile: %+v", d)
	}
	select {
	case host := <-refused:
		t.Fatalf("with the mirror up, a download went to %s", host)
	default:
	}
	a.Close()

	mirror.Close()
	a = start() // no mirror now: the copies on disk filter at once
	defer a.Close()
	if !allBlocked(a) {
		t.Fatal("after a restart without the mirror, the last good copies do not filter")
	}
}
