package blocklist

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/internal/synthnames"
)

// Benchmarks use synthetic names (internal/synthnames), generated
// deterministically from a seed so that no data file is committed.

// newNameGen returns the generator of seed.
func newNameGen(seed uint64) *synthnames.Gen { return synthnames.New(seed) }

// genReader streams n generated names as a domains list, so compiling
// reads them as it would a file, without holding them in memory.
type genReader struct {
	g       *synthnames.Gen
	left    int
	pending []byte
}

func (r *genReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.pending) == 0 {
			if r.left == 0 {
				break
			}
			r.left--
			r.pending = append(r.g.Next(), '\n')
		}
		c := copy(p[n:], r.pending)
		n, r.pending = n+c, r.pending[c:]
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// benchSet compiles n generated names from seed into a Set.
func benchSet(b *testing.B, n int, seed uint64) *Set {
	bl := NewBuilder()
	if _, err := bl.Parse(bl.AddList("synthetic", Ads), &genReader{g: newNameGen(seed), left: n}, FormatDomains); err != nil {
		b.Fatal(err)
	}
	s, err := bl.Build()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// fiveLabels pads name on the left with generated labels to 5 labels.
func fiveLabels(g *synthnames.Gen, name string) string {
	for strings.Count(name, ".") < 4 {
		name = string(g.Label(nil)) + "." + name
	}
	return name
}

// hitQueries regenerates the list from seed and turns k evenly spaced names
// into 5-label queries below them.
func hitQueries(n, k int, seed uint64) []string {
	g, pad := newNameGen(seed), newNameGen(seed+1)
	out := make([]string, 0, k)
	for i := range n {
		name := g.Next()
		if i%(n/k) == 0 && len(out) < k {
			out = append(out, fiveLabels(pad, string(name)))
		}
	}
	return out
}

// missQueries generates k 5-label names from another seed.
func missQueries(k int, seed uint64) []string {
	g := newNameGen(seed)
	out := make([]string, k)
	for i := range out {
		out[i] = fiveLabels(g, string(g.Next()))
	}
	return out
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1_000_000, 2_000_000} {
		b.Run(fmt.Sprintf("%dM", n/1_000_000), func(b *testing.B) {
			if testing.Short() && n > 1_000_000 {
				b.Skip("2M names in -short")
			}
			s := benchSet(b, n, 1)
			hits, misses := hitQueries(n, 8192, 1), missQueries(8192, 99)
			b.Run("hit", func(b *testing.B) { benchQueries(b, s, hits, true) })
			b.Run("miss", func(b *testing.B) { benchQueries(b, s, misses, false) })
		})
	}
}

// benchQueries looks the queries up in turn.
func benchQueries(b *testing.B, s *Set, qs []string, wantHits bool) {
	blocked := 0
	for _, q := range qs {
		if s.Lookup(q).Blocked() {
			blocked++
		}
	}
	if wantHits && blocked != len(qs) || !wantHits && blocked > len(qs)/10 {
		b.Fatalf("%d of %d queries blocked", blocked, len(qs))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Lookup(qs[i%len(qs)])
		i++
	}
}

// BenchmarkLookupWithHashedList measures the cost a hashed list adds: one
// SHA-256 per label of the query.
func BenchmarkLookupWithHashedList(b *testing.B) {
	var text strings.Builder
	g := newNameGen(7)
	for range 1000 {
		d, _ := HashName(string(g.Next()))
		text.WriteString(hex.EncodeToString(d[:]) + "\n")
	}
	bl := NewBuilder()
	if _, err := bl.Parse(bl.AddList("clear", Ads), &genReader{g: newNameGen(1), left: 1_000_000}, FormatDomains); err != nil {
		b.Fatal(err)
	}
	if _, err := bl.Parse(bl.AddList("hashed", Abuse), strings.NewReader(text.String()), FormatHashed); err != nil {
		b.Fatal(err)
	}
	s, err := bl.Build()
	if err != nil {
		b.Fatal(err)
	}
	benchQueries(b, s, missQueries(8192, 99), false)
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1_000_000, 2_000_000} {
		b.Run(fmt.Sprintf("%dM", n/1_000_000), func(b *testing.B) {
			if testing.Short() && n > 1_000_000 {
				b.Skip("2M names in -short")
			}
			benchCompile(b, n)
		})
	}
}

// benchCompile parses and builds n generated names per iteration and
// reports the peak HeapInuse while doing it (sampled every millisecond),
// the bytes allocated, and the Set's bytes per name.
func benchCompile(b *testing.B, n int) {
	b.ReportAllocs()
	var peak, base uint64
	var perName float64
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		runtime.GC()
		base = heapInuse()
		stop := samplePeak(&peak)
		s := benchSet(b, n, 1)
		stop()
		perName = float64(s.MemSize()) / float64(s.Len())
		runtime.KeepAlive(s)
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MB/op")
	b.ReportMetric(perName, "B/name")
}

// heapInuse reads HeapInuse (heap objects plus unused span space) from
// runtime/metrics, which, unlike ReadMemStats, does not stop the world.
func heapInuse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// samplePeak records the highest heapInuse into peak until stop is called.
func samplePeak(peak *uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			*peak = max(*peak, heapInuse())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// BenchmarkParseShared measures the parsers on real lists, in MB/s.
func BenchmarkParseShared(b *testing.B) {
	for _, c := range []struct{ name, rel string }{
		{"hosts", "hosts/stevenblack-unified.hosts"},
		{"adblock", "adguard/adguard-dns-filter-noprivacy.txt"},
		{"rpz", "rpz/hagezi-light.rpz.txt"},
	} {
		b.Run(c.name, func(b *testing.B) {
			data, err := os.ReadFile(dataFile(b, c.rel))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(data), FormatAuto, func(Rule) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadCompiled measures a boot's load of 1M names from their
// compiled file (from memory: the disk is not measured), checksum included.
func BenchmarkReadCompiled(b *testing.B) {
	s := benchSet(b, 1_000_000, 1)
	data := compiledBytes(b, s, []Input{{Name: "synthetic", Category: Ads}})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := readCompiled(bytes.NewReader(data), int64(len(data)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapCompiled measures what a boot does with 1M names: check the
// compiled file (checksum and bounds, read from the page cache) and map
// its tables.
func BenchmarkMapCompiled(b *testing.B) {
	s := benchSet(b, 1_000_000, 1)
	data := compiledBytes(b, s, []Input{{Name: "synthetic", Category: Ads}})
	path := b.TempDir() + "/" + CompiledFile
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := mapCompiled(f, int64(len(data)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileToFile measures what Sources do: parse and compile 1M
// generated names straight into a compiled file. It reports the peak
// HeapInuse (the records: the tables go to the file) and the bytes a name
// that lookups read in the file (buckets and slots, lines apart).
func BenchmarkCompileToFile(b *testing.B) {
	b.ReportAllocs()
	var peak, base uint64
	var perName float64
	dir := b.TempDir()
	for b.Loop() {
		runtime.GC()
		base = heapInuse()
		stop := samplePeak(&peak)
		bl := NewBuilder()
		if _, err := bl.Parse(bl.AddList("synthetic", Ads), &genReader{g: newNameGen(1), left: 1_000_000}, FormatDomains); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(dir + "/" + CompiledFile)
		if err != nil {
			b.Fatal(err)
		}
		if err := bl.buildFile(f, nil); err != nil {
			b.Fatal(err)
		}
		stop()
		cf, err := openCompiled(f, mustSize(b, f), nil)
		if err != nil {
			b.Fatal(err)
		}
		sh := cf.shapes[0]
		perName = float64(sh.buckets*headerSize+sh.slots*slotSize) / float64(sh.slots)
		f.Close()
	}
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
	b.ReportMetric(perName, "lookup-B/name")
}

func mustSize(b *testing.B, f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
