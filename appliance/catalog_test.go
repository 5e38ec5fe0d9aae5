package appliance

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
	a := newAppliance(t, cfg)
	a.published = make(chan struct{}, 1)
	a.Start()
	if got := <-asked; got != "/catalog/hagezi-nsfw" {
		t.Fatalf("the mirror was asked for %s", got)
	}
	deadline := time.After(10 * time.Second)
	for a.Policy().Decide(policy.Client{}, "www.adult.example", 1, a.now()).Action != policy.Block {
		select {
		case <-a.published:
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
