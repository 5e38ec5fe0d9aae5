package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

// helpline runs the command in-process and returns what it printed.
func helpline(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, &out, clock)
	return out.String(), err
}

func TestKeygenThenPublishMakesAFeedAnApplianceTakes(t *testing.T) {
	dir := t.TempDir()
	keys, lists, www := filepath.Join(dir, "keys"), filepath.Join(dir, "lists"), filepath.Join(dir, "www")
	out, err := helpline(t, "feed", "keygen", "--out", keys)
	if err != nil || !strings.Contains(out, "public_key = \"RW") {
		t.Fatalf("keygen = %q, %v", out, err)
	}
	if fi, err := os.Stat(filepath.Join(keys, secretKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the secret key's mode is %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := helpline(t, "feed", "keygen", "--out", keys); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second keygen over the first = %v; want a refusal naming --force", err)
	}
	writeFiles(t, lists, map[string]string{
		"abuse.txt": "bad.example\n", "lists.toml": "[[list]]\nfile = \"abuse.txt\"\ncategory = \"abuse\"\nformat = \"domains\"\nmandatory = true\n",
	})
	writeFiles(t, dir, map[string]string{"contact.json": `{"phone": "+212 500 000 000", "web_chat": "https://helpline.example/chat"}`})
	out, err = helpline(t, "feed", "publish", "--key", filepath.Join(keys, secretKeyFile), "--lists", lists,
		"--out", filepath.Join(www, "emc"), "--contact", filepath.Join(dir, "contact.json"), "--expires", "48h")
	if err != nil || !strings.Contains(out, `published feed "emc" version 1795435200`) || !strings.Contains(out, "mandatory") {
		t.Fatalf("publish = %q, %v", out, err)
	}

	pub, _ := os.ReadFile(filepath.Join(keys, publicKeyFile))
	srv := httptest.NewServer(http.FileServer(http.Dir(www)))
	defer srv.Close()
	s, err := feed.New(feed.Config{URL: srv.URL + "/emc/", PublicKey: string(pub)},
		feed.Options{StateDir: t.TempDir(), HTTPClient: srv.Client(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	snap, changed, err := s.Update(context.Background())
	if err != nil || !changed || snap.Manifest.Contact.Phone == "" || !snap.Manifest.Expires.Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("the appliance's Update = %+v, %v, %v", snap.Manifest, changed, err)
	}
	if _, err := exec.LookPath("minisign"); err == nil {
		if b, err := exec.Command("minisign", "-Vm", filepath.Join(www, "emc", feed.ManifestFile), "-p", filepath.Join(keys, publicKeyFile)).CombinedOutput(); err != nil {
			t.Errorf("minisign does not verify the published feed: %v\n%s", err, b)
		}
	}
}

func TestCommandLineMistakes(t *testing.T) {
	tests := []struct {
		name  string
		args  func(t *testing.T) []string
		want  string
		usage bool // wraps errUsage: main prints the usage
	}{
		{"no command is a usage error", args(), "no command given", true},
		{"an unknown command is a usage error", args("serve-all"), `unknown command "serve-all"`, true},
		{"feed without a subcommand is a usage error", args("feed"), "want keygen, publish or catalog", true},
		{"keygen without --out is refused", args("feed", "keygen"), "want --out DIR", false},
		{"publish without its flags is refused", args("feed", "publish", "--key", "k"), "want --key FILE --lists DIR --out FEEDDIR", false},
		{"publish with a missing key file is refused", args("feed", "publish", "--key", "/nonexistent/k", "--lists", "l", "--out", "o"), "no such file", false},
		{"a category that appliances do not know is refused", unknownCategoryArgs, `parsing category "porn"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args(t)
			_, err := helpline(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v; want an error saying %q", args, err, tt.want)
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("errors.Is(err, errUsage) = %v, want %v", !tt.usage, tt.usage)
			}
		})
	}
}

func args(a ...string) func(*testing.T) []string { return func(*testing.T) []string { return a } }

func unknownCategoryArgs(t *testing.T) []string {
	dir := t.TempDir()
	if _, err := helpline(t, "feed", "keygen", "--out", dir); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(dir, "lists"), map[string]string{
		"x.txt": "x.example\n", "lists.toml": "[[list]]\nfile = \"x.txt\"\ncategory = \"porn\"\nformat = \"domains\"\n",
	})
	return []string{"feed", "publish", "--key", filepath.Join(dir, secretKeyFile), "--lists", filepath.Join(dir, "lists"), "--out", filepath.Join(dir, "www")}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
