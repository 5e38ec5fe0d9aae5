package main

import (
	"bufio"
	"os"

	"github.com/amane-dns/amane/internal/synthnames"
)

// The -list-names list: PERFORMANCE.md's "1,000,000 distinct realistic
// names", generated from a seed (internal/synthnames, as blocklist's
// benchmarks do) into the run's output directory, so that every run can
// rebuild it and no list is committed.

// writeSyntheticList writes n distinct names of seed to path, one a line,
// the format every server's list is made from (prepareLists).
func writeSyntheticList(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	g := synthnames.Distinct(seed)
	for range n {
		w.Write(g.Next())
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
