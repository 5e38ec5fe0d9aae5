package feed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const listsTOMLExample = `
[[list]]
file = "abuse.txt"
category = "abuse"
format = "domains"
mandatory = true

[[list]]
file = "cyberviolence-suspected.txt"
category = "cyberviolence"
format = "domains"
watch = true
`

// listsDir makes a directory of list files described by lists.toml.
func listsDir(t *testing.T, toml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files[ListsFile] = toml
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exampleLists() map[string]string {
	return map[string]string{"abuse.txt": "bad.example\nworse.example\n", "cyberviolence-suspected.txt": "suspect.example\n"}
}

func TestPublishWritesAFeedThatAnApplianceTakes(t *testing.T) {
	f := newFixture(t)
	out := f.www // the directory the fixture's server serves, empty until published
	now := t0
	o := PublishOptions{Key: f.key, ListsDir: listsDir(t, listsTOMLExample, exampleLists()), OutDir: out,
		Contact: &Contact{Phone: "+212 500 000 000", Domains: []string{"helpline.example"}}, Now: func() time.Time { return now }}
	m, err := Publish(o)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != filepath.Base(out) || m.Version != uint64(t0.Unix()) || !m.Expires.Equal(t0.Add(720*time.Hour)) || len(m.Lists) != 2 {
		t.Fatalf("published %+v", m)
	}
	s := f.subscribe()
	snap, changed := f.update(s)
	if !changed || snap.Manifest.Contact == nil || snap.Manifest.Contact.Domains[0] != "helpline.example" {
		t.Fatalf("the appliance took %+v, changed %v", snap.Manifest, changed)
	}

	// A second publication in the same second still increases the version,
	// and replaces the feed whole.
	o.ListsDir = listsDir(t, listsTOMLExample, map[string]string{"abuse.txt": "bad.example\n", "cyberviolence-suspected.txt": "x.example\n"})
	m2, err := Publish(o)
	if err != nil || m2.Version != m.Version+1 {
		t.Fatalf("second Publish = version %d, %v; want %d", m2.Version, err, m.Version+1)
	}
	if snap, changed = f.update(s); !changed || snap.Manifest.Version != m2.Version {
		t.Fatalf("the appliance holds version %d after the second publication", snap.Manifest.Version)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary %s is left beside the feed", e.Name())
		}
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("the feed directory's mode is %v, %v; want 0755 so that a web server reads it", fi.Mode(), err)
	}
}

func TestPublishRefuses(t *testing.T) {
	key := newKey(t)
	tests := []struct {
		name  string
		toml  string
		files map[string]string
		opts  func(o *PublishOptions)
		want  string
	}{
		{"a file that lists.toml does not describe", listsTOMLExample, map[string]string{"new.txt": "x.example\n"}, nil, "new.txt is not described"},
		{"a described file that is missing", listsTOMLExample + "[[list]]\nfile = \"gone.txt\"\ncategory = \"scam\"\nformat = \"domains\"\n", nil, nil, `describes "gone.txt"`},
		{"an unknown key in lists.toml", listsTOMLExample + "[[list]]\nfile = \"x.txt\"\ncategory = \"scam\"\nformat = \"domains\"\nblock = true\n", map[string]string{"x.txt": "x\n"}, nil, `unknown key "list.block"`},
		{"a list without a format", "[[list]]\nfile = \"abuse.txt\"\ncategory = \"abuse\"\n", map[string]string{"cyberviolence-suspected.txt": ""}, nil, "format"},
		{"a list both mandatory and watch", strings.Replace(listsTOMLExample, "watch = true", "watch = true\nmandatory = true", 1), nil, nil, "both mandatory and watch"},
		{"an empty list file", listsTOMLExample, map[string]string{"abuse.txt": ""}, nil, `list "abuse.txt" is empty`},
		{"a category the caller does not know", listsTOMLExample, nil, func(o *PublishOptions) {
			o.Accept = func(l List) error {
				if l.Category == "cyberviolence" {
					return fmt.Errorf("unknown category %q", l.Category)
				}
				return nil
			}
		}, `unknown category "cyberviolence"`},
		{"a list over the appliances' limit", listsTOMLExample, nil, func(o *PublishOptions) { o.Limits.MaxFileBytes = 20 }, "over the limit of 20 bytes"},
		{"another feed's name in the same directory", listsTOMLExample, nil, func(o *PublishOptions) { o.Name = "other" }, `holds feed "emc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "emc")
			good := PublishOptions{Key: key, ListsDir: listsDir(t, listsTOMLExample, exampleLists()), OutDir: out, Now: func() time.Time { return t0 }}
			if _, err := Publish(good); err != nil {
				t.Fatal(err)
			}
			before := treeOf(t, out)
			files := exampleLists()
			for name, content := range tt.files {
				files[name] = content
			}
			o := good
			o.ListsDir = listsDir(t, tt.toml, files)
			if tt.opts != nil {
				tt.opts(&o)
			}
			if _, err := Publish(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish = %v; want an error saying %q", err, tt.want)
			}
			after := treeOf(t, out)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Error("a refused publication changed the feed directory")
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
				t.Errorf("a refused publication left %d entries beside the feed", len(entries)-1)
			}
		})
	}
}
