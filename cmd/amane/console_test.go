package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amane-dns/amane/admin"
	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/configs"
)

// TestAConsoleChangeShowsInConfigShow sets the password with `amane
// password`, names a device through the console's API, and finds it in
// `amane config show`, read from the files as a restarted amane reads
// them.
func TestAConsoleChangeShowsInConfigShow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "amane.toml")
	os.WriteFile(path, []byte("state_dir = \"state\"\n[server]\nallow = [\"192.0.2.0/24\"]\n[upstream]\nservers = [\"udp://127.0.0.1:9\"]\n[catalog]\nenabled = false\n"+
		"[[profile]]\nname = \"child\"\npreset = \"9-12\"\n"), 0o600)
	var out bytes.Buffer
	if err := passwordCommand(strings.NewReader("a long pass phrase\n"), &out, []string{"-config", path}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(admin.PasswordPath(filepath.Join(dir, "state"))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", fi, err)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	app, err := appliance.New(cfg, appliance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	c, err := admin.New(app, []string{"127.0.0.1:0"}, admin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(method, target, body string, cookie *http.Cookie, csrf string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Host = "127.0.0.1"
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("X-CSRF-Token", csrf)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		c.Handler().ServeHTTP(w, r)
		return w
	}
	w := call(http.MethodPost, "/api/v1/login", `{"password": "a long pass phrase"}`, nil, "")
	var s struct{ CSRF string }
	if json.Unmarshal(w.Body.Bytes(), &s); w.Code != http.StatusOK || s.CSRF == "" {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	w = call(http.MethodPost, "/api/v1/devices", `{"name": "tablet", "ip": "192.168.1.23", "profile": "child"}`, w.Result().Cookies()[0], s.CSRF)
	if w.Code != http.StatusOK {
		t.Fatalf("naming a device: %d %s", w.Code, w.Body)
	}
	out.Reset()
	if err := configCommand(&out, []string{"show", "-config", path}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`device "tablet"`, `name = "tablet"`, `ip = "192.168.1.23"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config show lacks %s:\n%s", want, out.String())
		}
	}
}
