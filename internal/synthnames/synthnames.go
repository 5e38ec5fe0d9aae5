// Package synthnames generates realistic domain names from a seed, for the
// benchmarks and the load test: the same seed gives the same names on
// every machine, so a 1M-name list is rebuilt rather than committed. A
// name is 0-2 subdomain labels over a registrable label of one or two
// words (sometimes with digits), a word and a number, under a weighted TLD
// mix: the label counts and lengths of real block lists.
package synthnames

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
)

const (
	words = "ad ads adserver analytics api app apps assets banner beacon bet bid cache casino cdn click " +
		"cloud collect content count counter data deals delivery dns edge event events feed free game games " +
		"go graph img info lb link live log logs m mail media metric metrics mobile news online pixel play " +
		"player promo push rt rtb sdk secure serve shop slots stat static stats stream sync tag tags track " +
		"tracker tv video vip web win www xyz zone"
	// Weighted by repetition: com is most of any real list.
	tlds = "com com com com com com com com net net net org org io co.uk de fr ru xyz info top cn " +
		"online site ma com.br jp pl nl it es"
)

// Gen produces the names of one seed.
type Gen struct {
	rng   *rand.Rand
	words []string
	tlds  []string
	seen  map[uint64]struct{} // Distinct: FNV-1a of every name given; nil: repeats allowed
	buf   []byte
}

// New returns the generator of seed. A name may come twice (rarely: the
// registrable label carries a number below 100,000); Distinct skips them.
func New(seed uint64) *Gen {
	return &Gen{rng: rand.New(rand.NewPCG(seed, 0x616d616e65)),
		words: strings.Fields(words), tlds: strings.Fields(tlds)}
}

// Distinct returns the generator of seed that never gives a name twice:
// New's names, without the repeats.
func Distinct(seed uint64) *Gen {
	g := New(seed)
	g.seen = map[uint64]struct{}{}
	return g
}

// Label appends one label of one or two words, sometimes with digits.
func (g *Gen) Label(b []byte) []byte {
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

// Next returns the next name; the slice is reused by the following call.
// A Distinct generator keeps a 64-bit hash of each name given (16 MB for
// 1M names, not the 100 MB of a set of strings): a collision only skips a
// name, the same one on every run, so the list stays deterministic.
func (g *Gen) Next() []byte {
	for {
		b := g.buf[:0]
		for range g.rng.IntN(3) {
			b = append(g.Label(b), '.')
		}
		b = g.Label(b)
		b = append(b, g.words[g.rng.IntN(len(g.words))]...)
		b = strconv.AppendInt(b, int64(g.rng.IntN(100000)), 10)
		b = append(append(b, '.'), g.tlds[g.rng.IntN(len(g.tlds))]...)
		g.buf = b
		if g.seen == nil {
			return b
		}
		h := hash(b)
		if _, dup := g.seen[h]; !dup {
			g.seen[h] = struct{}{}
			return b
		}
	}
}

// hash is a name's key in Gen.seen: FNV-1a, the same on every run.
func hash(name []byte) uint64 {
	h := fnv.New64a()
	h.Write(name)
	return h.Sum64()
}
