package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSyntheticListIsTheSameForASeed(t *testing.T) {
	dir := t.TempDir()
	read := func(name string, seed uint64) []byte {
		path := filepath.Join(dir, name)
		if err := writeSyntheticList(path, 20_000, seed); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, again, other := read("a", 1), read("again", 1), read("other", 2)
	if !bytes.Equal(a, again) {
		t.Error("two lists of seed 1 differ: a rerun would not measure the same list")
	}
	if bytes.Equal(a, other) {
		t.Error("seeds 1 and 2 gave the same list")
	}
}

func TestSyntheticListHasDistinctValidRealisticNames(t *testing.T) {
	const n = 100_000
	path := filepath.Join(t.TempDir(), "list")
	if err := writeSyntheticList(path, n, 1); err != nil {
		t.Fatal(err)
	}
	// readNames drops repeats, invalid names and special-use names: all n
	// must come back.
	names, err := readNames(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != n {
		t.Fatalf("%d names read back of %d written: some repeat or are not valid names", len(names), n)
	}
	labels := map[int]int{}
	com := 0
	for _, name := range names {
		labels[strings.Count(name, ".")+1]++
		if strings.HasSuffix(name, ".com") {
			com++
		}
	}
	// 0-2 subdomain labels over a registrable name of 2 labels (3 under
	// co.uk and com.br), each count about a third of the list.
	for k := 2; k <= 4; k++ {
		if labels[k] < n/5 {
			t.Errorf("%d names of %d labels, want about a third of %d: %v", labels[k], k, n, labels)
		}
	}
	if labels[1] != 0 || labels[6] != 0 {
		t.Errorf("names of 1 or 6 labels: %v", labels)
	}
	// com is 8 of the 29 TLD draws (28%), then com.br adds 1.
	if com < n/5 || com > n*2/5 {
		t.Errorf("%d of %d names under .com, want about 30%%", com, n)
	}
}
