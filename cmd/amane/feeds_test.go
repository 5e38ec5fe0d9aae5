package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist/feed"
)

// TestAFeedBlocksItsMandatoryListEverywhere publishes a signed feed, serves
// it on loopback, and checks that the daemon takes it and blocks its
// mandatory list although [filter] does not name the category.
func TestAFeedBlocksItsMandatoryListEverywhere(t *testing.T) {
	up := startFakeUpstream(t)
	key, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lists, out := filepath.Join(dir, "lists"), filepath.Join(dir, "feed")
	os.MkdirAll(lists, 0o755)
	os.WriteFile(filepath.Join(lists, "harass.txt"), []byte("harass.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, feed.ListsFile), []byte(
		"[[list]]\nfile = \"harass.txt\"\ncategory = \"cyberviolence\"\nformat = \"domains\"\nmandatory = true\n"), 0o644)
	if _, err := feed.Publish(feed.PublishOptions{Key: key, ListsDir: lists, OutDir: out, Name: "emc", Accept: appliance.AcceptList}); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(http.FileServer(http.Dir(out)))
	defer web.Close()

	path := filepath.Join(dir, "amane.toml")
	writeConfig(t, path, "127.0.0.1:0", up.Addr(), fmt.Sprintf(
		"[filter]\nblock = [\"malware\"]\n[[feed]]\nname = \"emc\"\nurl = %q\npublic_key = %q\n", web.URL+"/", key.Public().String()))
	d := startDaemon(t, path)
	listen := d.waitFeed(t)
	m := new(dns.Msg)
	m.SetQuestion("www.harass.example.", dns.TypeA)
	m.SetEdns0(1232, false)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, listen)
	if err != nil || r.Rcode != dns.RcodeNameError {
		t.Fatalf("a name of the feed's mandatory list: %v, err %v", r, err)
	}
	var opt *dns.EDNS0_EDE
	for _, o := range r.IsEdns0().Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			opt = e
		}
	}
	if opt == nil || opt.InfoCode != 15 || opt.ExtraText != "blocked: cyberviolence" {
		t.Fatalf("extended error %v: want 15 (Blocked) naming cyberviolence", opt)
	}
	t.Run("amane explain names the feed, from its copy on disk", func(t *testing.T) {
		var out strings.Builder
		if err := explain(&out, []string{"-config", path, "www.harass.example"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `BLOCKED (cyberviolence, mandatory: no allow list, exception or contact lifts it) for profile "default"`) || !strings.Contains(out.String(), `list "emc/harass.txt"`) {
			t.Fatalf("explain says:\n%s", out.String())
		}
	})
}
