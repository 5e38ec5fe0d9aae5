package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProblemsNameFileLineAndKey(t *testing.T) {
	src := `state_dir = "/tmp/x"
[server]
listen = ["127.0.0.1:53", "bogus"]
ratelimit = 5
[upstream]
timout = "1s"
servers = ["ftp://x"]
[cache]
entries = -1
memory = "12 parsecs"
max_ttl = "forever"
`
	_, err := Parse("amane.toml", []byte(src))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	want := []string{
		`amane.toml:3: server.listen[1]: "bogus" is not IP:port`,
		`amane.toml:4: server.ratelimit: unknown key (did you mean "server.rate_limit"?)`,
		`amane.toml:6: upstream.timout: unknown key (did you mean "upstream.timeout"?)`,
		`amane.toml:7: upstream.servers[0]: "ftp://x": unknown scheme "ftp"`,
		`amane.toml:9: cache.entries: must be at least 1, not -1`,
		`amane.toml:10: cache.memory: "12 parsecs" is not a size`,
		`amane.toml:11: cache.max_ttl:`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ps), len(want), got)
	}
}

func TestSyntaxErrorsHaveALine(t *testing.T) {
	_, err := Parse("x.toml", []byte("state_dir = \"a\"\n[server\nlisten = 5\n"))
	var ps Problems
	if !errors.As(err, &ps) || ps[0].Line == 0 {
		t.Fatalf("got %v", err)
	}
}

func TestWrongTypesAreProblemsToo(t *testing.T) {
	_, err := Parse("x.toml", []byte("[server]\nlisten = 5\nrate_limit = \"fast\"\n"))
	if err == nil || !strings.Contains(err.Error(), "x.toml:2: server.listen:") || !strings.Contains(err.Error(), "x.toml:3: server.rate_limit:") {
		t.Fatalf("got %v", err)
	}
}

func TestArraysOfTablesAreLocated(t *testing.T) {
	l := newLocator([]byte("[[list]]\nname = \"a\"\n[[list]]\nname = \"b\"\nurl = \"x\"\n"))
	if got := l.line("list[1].url"); got != 5 {
		t.Fatalf("list[1].url on line %d, want 5", got)
	}
	if got := l.line("list[0].name"); got != 2 {
		t.Fatalf("list[0].name on line %d, want 2", got)
	}
}

func TestFeedAndHelplineProblemsNameTheirKeys(t *testing.T) {
	_, err := Parse("x.toml", []byte("[[feed]]\nurl = \"https://a.example/\"\n[[feed]]\nurl = \"http://b.example/\"\npublic_key = \"RW\"\n"+
		"[helpline]\nurl = \"https://h.example/\"\npublic_key = \"nope\"\npoll = \"5s\"\n"))
	for _, want := range []string{"x.toml:1: feed[0].public_key: required", "x.toml:4: feed[1].url:", "x.toml:5: feed[1].public_key:",
		"x.toml:8: helpline.public_key:", "x.toml:9: helpline.poll: must be at least 1m"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
}

func TestAnEmptyFileIsTheDefaults(t *testing.T) {
	f, err := Parse("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if f.Cache.Entries != d.Cache.Entries || len(f.Server.Listen) != len(d.Server.Listen) {
		t.Fatalf("got %+v", f)
	}
}

func TestAListInTheFileReplacesTheDefaultList(t *testing.T) {
	f, err := Parse("x.toml", []byte("[server]\nlisten = [\"127.0.0.1:53\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Server.Listen) != 1 {
		t.Fatalf("listen %v", f.Server.Listen)
	}
}

func TestSizesInEveryForm(t *testing.T) {
	for src, want := range map[string]int64{`"32MiB"`: 32 << 20, `"32MB"`: 32 << 20, `"2048KiB"`: 2048 << 10, `"2GiB"`: 2 << 30, `"1048576"`: 1 << 20} {
		f, err := Parse("x.toml", []byte("[cache]\nmemory = "+src+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if int64(f.Cache.Memory) != want {
			t.Errorf("%s = %d, want %d", src, f.Cache.Memory, want)
		}
	}
}

func TestTheExampleFilesAreValid(t *testing.T) {
	files, _ := filepath.Glob("*.toml")
	if len(files) < 2 {
		t.Fatalf("example files: %v", files)
	}
	for _, path := range files {
		if path == "helpline.toml" { // amane-helpline's, not the appliance's: cmd/amane-helpline tests it
			continue
		}
		t.Run(path, func(t *testing.T) {
			if _, err := Load(path); err != nil {
				t.Fatal(err)
			}
		})
	}
	Default() // panics if the embedded default is invalid
}

// TestTheReferenceIsComplete checks that every key a file may set is in the
// complete example and in the README's configuration reference.
func TestTheReferenceIsComplete(t *testing.T) {
	example, err := os.ReadFile("amane.toml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range KnownKeys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(example), leaf+" =") && !strings.Contains(string(example), "# "+leaf+" =") {
			t.Errorf("configs/amane.toml does not show %s", key)
		}
		if !strings.Contains(string(readme), "`"+key+"`") {
			t.Errorf("README.md's configuration reference does not document `%s`", key)
		}
	}
}

func TestWatchSeesAnEditorsSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "amane.toml")
	if err := os.WriteFile(path, []byte("# v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Watch(path)
	if err != nil {
		t.Fatal(err)
	}
	// Saved the way editors do (a new file renamed over the old one) after
	// the watch started and before anything runs it: not lost.
	tmp := filepath.Join(dir, ".amane.toml.swp")
	os.WriteFile(tmp, []byte("# v2\n"), 0o600)
	os.Rename(tmp, path)
	changed := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx, 50*time.Millisecond, func() { changed <- struct{}{} })
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the save was not reported")
	}
}

func TestActivityAndAlertProblemsNameTheirKeys(t *testing.T) {
	_, err := Parse("x.toml", []byte("[activity]\nlog = \"everything\"\nretention = \"720h\"\n"+
		"[[alert]]\nto = \"https://ntfy.sh/family\"\nevents = [\"adult\", \"porn\"]\n"+
		"[[alert]]\nto = \"mailto:mum@example.com\"\n"+
		"[[profile]]\nname = \"kid\"\npreset = \"9-12\"\nactivity = false\n"))
	for _, want := range []string{"x.toml:2: activity.log:", "x.toml:6: alert[0].events[1]:", "smtp.host:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
	f, err := Parse("ok.toml", []byte("[activity]\nlog = \"counts\"\n[[device]]\nname = \"tv\"\nip = \"192.168.1.5\"\nprofile = \"default\"\nactivity = false\n"))
	if err != nil || f.Activity.Log != "counts" || f.Activity.Retention != 720*time.Hour || *f.Devices[0].Activity {
		t.Fatalf("got %v, %+v", err, f)
	}
}
