package main

import (
	"bufio"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// The -list-names list: PERFORMANCE.md's "1,000,000 distinct realistic
// names", generated from a seeded PRNG into the run's output directory, so
// that every run can rebuild it and no list is committed. The shape is that
// of blocklist/bench_test.go's names: 0-2 subdomain labels over a
// registrable label of one or two words (sometimes with digits), a word and
// a number, under a weighted TLD mix, which gives the label counts and
// lengths of real block lists.

const (
	synthWords = "ad ads adserver analytics api app apps assets banner beacon bet bid cache casino cdn click " +
		"cloud collect content count counter data deals delivery dns edge event events feed free game games " +
		"go graph img info lb link live log logs m mail media metric metrics mobile news online pixel play " +
		"player promo push rt rtb sdk secure serve shop slots stat static stats stream sync tag tags track " +
		"tracker tv video vip web win www xyz zone"
	// Weighted by repetition: com is most of any real list.
	synthTLDs = "com com com com com com com com net net net org org io co.uk de fr ru xyz info top cn " +
		"online site ma com.br jp pl nl it es"
)

// nameGen produces the synthetic names of one seed, each once.
type nameGen struct {
	rng   *rand.Rand
	words []string
	tlds  []string
	seen  map[uint64]struct{} // FNV-1a of every name given, so none repeats
	buf   []byte
}

func newNameGen(seed uint64) *nameGen {
	return &nameGen{rng: rand.New(rand.NewPCG(seed, 0x616d616e65)),
		words: strings.Fields(synthWords), tlds: strings.Fields(synthTLDs), seen: map[uint64]struct{}{}}
}

// label appends one label of one or two words, sometimes with digits.
func (g *nameGen) label(b []byte) []byte {
	b = append(b, g.words[g.rng.IntN(len(g.words))]...)
	switch g.rng.IntN(4) {
	case 0:
		b = append(append(b, '-'), g.words[g.rng.IntN(len(g.words))]...)
	case 1:
		b = append(b, g.words[g.rng.IntN(len(g.words))]...)
	}
	if g.rng.IntN(3) == 0 {
		b = strconv.AppendInt(b, int64(g.rng.IntN(10000)), 10)
	}
	return b
}

// next returns the next name never given before; the slice is reused by
// the following call. A 64-bit hash stands for the name in the set (16 MB
// for 1M names, not the 100 MB of a set of strings): a collision only skips
// a name, the same one on every run, so the list stays deterministic.
func (g *nameGen) next() []byte {
	for {
		b := g.buf[:0]
		for range g.rng.IntN(3) {
			b = append(g.label(b), '.')
		}
		b = g.label(b)
		b = append(b, g.words[g.rng.IntN(len(g.words))]...)
		b = strconv.AppendInt(b, int64(g.rng.IntN(100000)), 10)
		b = append(append(b, '.'), g.tlds[g.rng.IntN(len(g.tlds))]...)
		g.buf = b
		h := nameHash(b)
		if _, dup := g.seen[h]; !dup {
			g.seen[h] = struct{}{}
			return b
		}
	}
}

// nameHash is a name's key in nameGen.seen: FNV-1a, the same on every run.
func nameHash(name []byte) uint64 {
	h := fnv.New64a()
	h.Write(name)
	return h.Sum64()
}

// writeSyntheticList writes n distinct names of seed to path, one a line,
// the format every server's list is made from (prepareLists).
func writeSyntheticList(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	g := newNameGen(seed)
	for range n {
		w.Write(g.next())
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
