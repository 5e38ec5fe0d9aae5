package feed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPublishAddsGeneratedLists(t *testing.T) {
	f := newFixture(t)
	confirmed := Generated{
		List:    List{File: "confirmed-abuse.txt", Category: "abuse", Format: "domains", Mandatory: true},
		Content: []byte("confirmed.example\n"),
	}
	o := PublishOptions{Key: f.key, ListsDir: listsDir(t, listsTOMLExample, exampleLists()), OutDir: f.www,
		Now: func() time.Time { return t0 }, Extra: []Generated{confirmed}}
	m, err := Publish(o)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := m.List("confirmed-abuse.txt")
	if !ok || !l.Mandatory || l.Size != int64(len(confirmed.Content)) || len(m.Lists) != 3 {
		t.Fatalf("published lists %+v; want the generated one, mandatory, with its size", m.Lists)
	}
	if b, err := os.ReadFile(filepath.Join(f.www, "confirmed-abuse.txt")); err != nil || string(b) != "confirmed.example\n" {
		t.Fatalf("the generated file holds %q, %v", b, err)
	}
	snap, changed := f.update(f.subscribe())
	if !changed || len(snap.Manifest.Lists) != 3 {
		t.Fatalf("the appliance took %+v", snap.Manifest.Lists)
	}

	clash := exampleLists()
	clash["confirmed-abuse.txt"] = "mine.example\n"
	o.ListsDir = listsDir(t, listsTOMLExample+"\n[[list]]\nfile = \"confirmed-abuse.txt\"\ncategory = \"abuse\"\nformat = \"domains\"\n", clash)
	if _, err := Publish(o); err == nil || !strings.Contains(err.Error(), "generated list") {
		t.Fatalf("publishing over an operator's file of the same name = %v; want a refusal", err)
	}
	o.ListsDir, o.Extra = listsDir(t, listsTOMLExample, exampleLists()), []Generated{{List: confirmed.List}}
	if _, err := Publish(o); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("an empty generated list = %v; want a refusal", err)
	}
}
