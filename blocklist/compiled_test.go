package blocklist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// compiledBytes writes s and inputs as a compiled file and returns it.
func compiledBytes(t testing.TB, s *Set, inputs []Input) []byte {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), CompiledFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeCompiled(f, s, inputs); err != nil {
		t.Fatalf("writeCompiled: %v", err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharedSet builds one Set from several shared data lists in their own
// formats, with an exception list and a hashed list, as a boot would.
func sharedSet(t *testing.T) (*Set, []string) {
	t.Helper()
	b, names := sharedBuilder(t, newSeed())
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s, names
}

// sharedBuilder is sharedSet's Builder, before Build, with seed.
func sharedBuilder(t *testing.T, seed uint64) (*Builder, []string) {
	t.Helper()
	lists := []struct {
		rel    string
		cat    Category
		format Format
	}{
		{"hosts/stevenblack-unified.hosts", Ads, FormatHosts},
		{"adguard/hagezi-light.adblock.txt", Trackers, FormatAdblock},
		{"rpz/hagezi-light.rpz.txt", Malware, FormatRPZ},
		{"adguard/hagezi-whitelist-referral.adblock.txt", Ads, FormatAdblock},
		{"hosts/stevenblack-ext-gambling.hosts", Gambling, FormatHosts},
	}
	b := NewBuilder()
	b.seed = seed
	var names []string
	for _, l := range lists {
		f, err := os.Open(dataFile(t, l.rel))
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		st, err = Parse(f, l.format, func(r Rule) {
			if !r.Hashed && len(names) < 200_000 {
				names = append(names, string(r.Name))
			}
		})
		f.Close()
		if err != nil || st.Accepted == 0 {
			t.Fatalf("%s: %d rules, %v", l.rel, st.Accepted, err)
		}
		f, _ = os.Open(dataFile(t, l.rel))
		if _, err := b.Parse(b.AddList(l.rel, l.cat), f, l.format); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	var hashed strings.Builder
	for _, n := range names[:1000] {
		d, _ := HashName("h-" + n)
		fmt.Fprintf(&hashed, "%x\n", d)
	}
	if _, err := b.Parse(b.AddList("hashed", Abuse), strings.NewReader(hashed.String()), FormatHashed); err != nil {
		t.Fatal(err)
	}
	return b, names
}

// mapFile maps the compiled file at path.
func mapFile(t *testing.T, path string) *Set {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := mapCompiled(f, fi.Size(), nil)
	if err != nil {
		t.Fatalf("mapCompiled: %v", err)
	}
	return s
}

// TestALoadedSetAnswersExactlyAsTheBuiltOne compares a Set built in memory
// with the same Set read back from its compiled file, mapped from it, and
// compiled straight into a file (same seed) and mapped: every lookup and
// every explanation, lines included, must be the same.
func TestALoadedSetAnswersExactlyAsTheBuiltOne(t *testing.T) {
	seed := newSeed()
	b, names := sharedBuilder(t, seed)
	built, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	data := compiledBytes(t, built, nil)
	read, _, err := readCompiled(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatalf("readCompiled: %v", err)
	}
	path := filepath.Join(t.TempDir(), CompiledFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mapped := mapFile(t, path)
	streamed := filepath.Join(t.TempDir(), CompiledFile)
	f, err := os.Create(streamed)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = sharedBuilder(t, seed)
	if err := b.buildFile(f, nil); err != nil {
		t.Fatalf("buildFile: %v", err)
	}
	f.Close()
	if got, _ := os.ReadFile(streamed); !bytes.Equal(got, data) {
		t.Errorf("compiling straight into a file gave %d bytes, writing the built Set %d, not the same", len(got), len(data))
	}
	// Every query on the mapped copy, what each boot uses; every fifth on
	// the others (each is minutes under -race otherwise).
	for _, tc := range []struct {
		name   string
		loaded *Set
		stride int
	}{{"mapped", mapped, 1}, {"read", read, 5}, {"compiled into the file", mapFile(t, streamed), 5}} {
		t.Run(tc.name, func(t *testing.T) { sameAnswers(t, built, tc.loaded, names, tc.stride) })
	}
}

// sameAnswers compares Lookup and Explain of built and loaded on names,
// names under them and beside them, and generated names; every stride-th
// query.
func sameAnswers(t *testing.T, built, loaded *Set, names []string, stride int) {
	if loaded.Len() != built.Len() || loaded.MemSize() != built.MemSize() {
		t.Fatalf("loaded %d names in %d bytes, built %d in %d", loaded.Len(), loaded.MemSize(), built.Len(), built.MemSize())
	}
	g := newNameGen(42)
	queries := make([]string, 0, 4*len(names)+20_000)
	for _, n := range names {
		queries = append(queries, n, "www."+n, "a.b."+n, "h-"+n)
	}
	for range 20_000 {
		queries = append(queries, string(g.Next()))
	}
	blocked := 0
	for i := 0; i < len(queries); i += stride {
		q := queries[i]
		bm, lm := built.Lookup(q), loaded.Lookup(q)
		if bm != lm {
			t.Fatalf("Lookup(%q): built %+v, loaded %+v", q, bm, lm)
		}
		if bm.Blocked() {
			blocked++
		}
	}
	if blocked < len(names)/stride {
		t.Fatalf("only %d of %d queries blocked: the lists did not load", blocked, len(queries)/stride)
	}
	for i := 0; i < min(len(queries), 40_000*stride); i += stride {
		q := queries[i]
		if be, le := built.Explain(q), loaded.Explain(q); !reflect.DeepEqual(be, le) {
			t.Fatalf("Explain(%q):\nbuilt  %s\nloaded %s", q, be, le)
		}
	}
}

func TestACompiledFileKeepsItsInputs(t *testing.T) {
	s := buildText(t, listSpec{"l", Ads, FormatDomains, "ads.example\n"})
	var st Stats
	st.Lines, st.Accepted, st.Format = 3, 1, FormatDomains
	st.reasons[ReasonIP] = Skip{Count: 2, Line: 2, Example: "1.2.3.4"}
	in := []Input{{Name: "l", Category: Ads, Format: FormatDomains, SHA256: [32]byte{1, 2, 3}, Stats: st,
		stamp: fileStamp{Size: 12, Mod: 1e18, Change: 1e18 + 1, Ino: 42, Dev: 7}}}
	data := compiledBytes(t, s, in)
	_, got, err := readCompiled(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("inputs read back:\n%+v\nwant\n%+v", got, in)
	}
}

func TestADamagedCompiledFileIsRefused(t *testing.T) {
	s := buildText(t, listSpec{"l", Ads, FormatDomains, "ads.example\ntracker.example\n"})
	good := compiledBytes(t, s, []Input{{Name: "l", Category: Ads}})
	for _, tc := range []struct {
		name    string
		damage  func([]byte) []byte
		because string
	}{
		{"one byte of the tables flipped", func(b []byte) []byte { b[compiledPage+20] ^= 0x10; return b }, "checksum"},
		{"one byte of the lines flipped", func(b []byte) []byte { b[metaAt(b)-compiledPage] ^= 0x10; return b }, "checksum"},
		{"one byte of the seed flipped", func(b []byte) []byte { b[metaAt(b)] ^= 1; return b }, "checksum"},
		{"the meta moved", func(b []byte) []byte { b[hdrMetaOff] ^= 1; return b }, "meta at"},
		{"a bucket past the slots, checksum made to match", func(b []byte) []byte {
			binary.NativeEndian.PutUint32(b[compiledPage+headerSize:], 7) // the sentinel of a one-bucket table
			return reseal(b)
		}, "do not span"},
		{"a slot naming no entry, checksum made to match", func(b []byte) []byte {
			_, slots, _, _ := tableShapeOf(t, b).sections(compiledPage)
			binary.NativeEndian.PutUint16(b[slots+2:], 999)
			return reseal(b)
		}, "names entry"},
		{"more slots than the file holds, checksum made to match", func(b []byte) []byte {
			// The meta ends with each table's shift (u8), buckets and slots
			// (u32): these are the clear table's slots.
			binary.LittleEndian.PutUint32(b[len(b)-9-4:], 1<<20)
			return reseal(b)
		}, "the tables take"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-7] }, "truncated"},
		{"cut inside the header", func(b []byte) []byte { return b[:30] }, "header"},
		{"another version", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], compiledVersion+1); return b }, "version"},
		{"another byte order", func(b []byte) []byte { b[12], b[15] = b[15], b[12]; return b }, "byte order"},
		{"not a compiled file", func(b []byte) []byte { return []byte("ads.example\n") }, "header"},
		{"bytes added", func(b []byte) []byte { return append(b, 0) }, "truncated?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.damage(bytes.Clone(good))
			_, _, err := readCompiled(bytes.NewReader(b), int64(len(b)), nil)
			if !errors.Is(err, errCompiled) || !strings.Contains(err.Error(), tc.because) {
				t.Fatalf("readCompiled = %v, want an error saying %q", err, tc.because)
			}
			// A mapping is refused alike, before anything is mapped.
			path := filepath.Join(t.TempDir(), CompiledFile)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if set, _, err := mapCompiled(f, int64(len(b)), nil); set != nil || !errors.Is(err, errCompiled) || !strings.Contains(err.Error(), tc.because) {
				t.Fatalf("mapCompiled = %v, want an error saying %q", err, tc.because)
			}
		})
	}
}

// logLines is a logger whose messages a test reads.
type logLines struct{ bytes.Buffer }

func (l *logLines) logger() *slog.Logger { return slog.New(slog.NewTextHandler(&l.Buffer, nil)) }

// count returns how many messages contain msg.
func (l *logLines) count(msg string) int { return strings.Count(l.String(), msg) }

func TestSourcesReuseTheCompiledSetOnlyWhileTheListsAreTheSame(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "local.txt")
	write := func(text string) {
		if err := os.WriteFile(list, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("casino.example\n1.2.3.4\n")
	var log logLines
	cfgs := []SourceConfig{
		{Name: "local", Category: "gambling", Path: list},
		{Name: "remote", Category: "ads", URL: "http://127.0.0.1:1/never-fetched"},
	}
	build := func(cfgs []SourceConfig) *Set {
		t.Helper()
		s := NewSources(cfgs, filepath.Join(dir, "lists"), log.logger())
		set, err := s.Build()
		if err != nil {
			t.Fatal(err)
		}
		st := s.Status()
		if len(st) != 2 || st[0].Stats.Accepted == 0 || st[0].Stats.Skipped(ReasonIP) != 1 || st[1].Err == "" {
			t.Fatalf("status %+v: want names and 1 IP skipped for local, a failure for remote", st)
		}
		return set
	}
	compiled := filepath.Join(dir, "lists", CompiledFile)
	steps := []struct {
		name   string
		before func()
		cfgs   []SourceConfig
		logged string
		casino Categories
	}{
		{"a first start compiles and saves", func() {}, cfgs, "list left out", Categories(0).Add(Gambling)},
		{"a second start loads", func() {}, cfgs, "compiled lists loaded", Categories(0).Add(Gambling)},
		{"a changed list is compiled again", func() { write("casino.example\nbet.example\n8.8.8.8\n") }, cfgs, "lists changed", Categories(0).Add(Gambling)},
		{"then loaded", func() {}, cfgs, "compiled lists loaded", Categories(0).Add(Gambling)},
		// A byte of the first bucket's filter.
		{"a flipped byte is not trusted", func() { flipByte(t, compiled, compiledPage+4) }, cfgs, "checksum mismatch", Categories(0).Add(Gambling)},
		{"a truncated file is not trusted", func() { truncate(t, compiled, 10) }, cfgs, "truncated", Categories(0).Add(Gambling)},
		{"and after each, the file is good again", func() {}, cfgs, "compiled lists loaded", Categories(0).Add(Gambling)},
		{"another category is compiled again", func() {}, []SourceConfig{{Name: "local", Category: "ads", Path: list}, cfgs[1]}, "lists changed", Categories(0).Add(Ads)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.before()
			n := log.count(st.logged)
			set := build(st.cfgs)
			if log.count(st.logged) != n+1 {
				t.Fatalf("log does not say %q once more:\n%s", st.logged, log.String())
			}
			if got := set.Lookup("www.casino.example").Categories; got != st.casino {
				t.Fatalf("www.casino.example is %v, want %v", got, st.casino)
			}
			if _, err := os.Stat(compiled); err != nil {
				t.Fatalf("no compiled file after the build: %v", err)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "lists")); len(entries) != 2 { // status.json and compiled.set
		t.Fatalf("lists directory holds %d files, want 2 (no temporary file left)", len(entries))
	}
}

// metaAt returns where the header of compiled file b says its meta is.
func metaAt(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b[hdrMetaOff:])) }

// tableShapeOf returns the clear table's shape from compiled file b's meta.
func tableShapeOf(t *testing.T, b []byte) tableShape {
	cf, err := openCompiled(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cf.shapes[0]
}

// reseal sets compiled file b's size and checksum to match its bytes, as
// someone making a file by hand would.
func reseal(b []byte) []byte {
	binary.LittleEndian.PutUint64(b[hdrSize:], uint64(len(b)))
	clear(b[hdrCRC : hdrCRC+4])
	binary.LittleEndian.PutUint32(b[hdrCRC:], crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func flipByte(t *testing.T, path string, at int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[(at+len(b))%len(b)] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, by int64) {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-by); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadCompiled feeds the reader damaged and hostile files: it must
// never panic, never allocate much more than the file's size, and a Set it
// accepts must answer without going out of bounds.
func FuzzReadCompiled(f *testing.F) {
	s := buildTextF(f)
	good := compiledBytes(f, s, []Input{{Name: "a", Category: Ads}, {Name: "x", Category: Malware}})
	f.Add(good)
	f.Add(good[:compiledHeader])
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		// The checksum stops nearly every mutation at the end; fix it up
		// so that the fuzzer also reaches the structure checks.
		if len(b) >= compiledHeader && string(b[:8]) == compiledMagic {
			b = reseal(bytes.Clone(b))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		set, _, err := readCompiled(bytes.NewReader(b), int64(len(b)), nil)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(4*len(b))+1<<20 {
			t.Fatalf("reading %d bytes allocated %d", len(b), grew)
		}
		if err != nil {
			return
		}
		for _, q := range []string{"a.example", "www.ads.example", "x", "b.c.d.e.f.g.h.i.j.k.example"} {
			set.Lookup(q)
			_ = set.Explain(q).String()
		}
	})
}

// buildTextF is buildText for a fuzz target's setup.
func buildTextF(f *testing.F) *Set {
	b := NewBuilder()
	b.Parse(b.AddList("a", Ads), strings.NewReader("ads.example\n@@||ok.ads.example^\n||x.example^\n"), FormatAdblock)
	b.Parse(b.AddList("x", Malware), strings.NewReader("*.bad.example\n"), FormatWildcard)
	s, err := b.Build()
	if err != nil {
		f.Fatal(err)
	}
	return s
}

func TestAReadOnlyBuildLeavesTheCompiledFileAlone(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "local.txt")
	if err := os.WriteFile(list, []byte("casino.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lists := filepath.Join(dir, "lists")
	daemon := NewSources([]SourceConfig{{Name: "local", Category: "gambling", Path: list}}, lists, quietLog())
	if _, err := daemon.Build(); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(lists, CompiledFile))
	if err != nil {
		t.Fatal(err)
	}
	var log logLines
	cli := NewSources([]SourceConfig{{Name: "local", Category: "ads", Path: list}}, lists, log.logger())
	cli.SetCompiledReadOnly()
	set, err := cli.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Lookup("casino.example").Categories; got != Categories(0).Add(Ads) {
		t.Fatalf("the read-only build says %v, want ads: it must compile its own lists", got)
	}
	if now, _ := os.ReadFile(filepath.Join(lists, CompiledFile)); !bytes.Equal(now, saved) {
		t.Fatal("a read-only build rewrote the compiled file")
	}
	same := NewSources([]SourceConfig{{Name: "local", Category: "gambling", Path: list}}, lists, log.logger())
	same.SetCompiledReadOnly()
	if _, err := same.Build(); err != nil || log.count("compiled lists loaded") != 1 {
		t.Fatalf("a read-only build of the same lists did not load the compiled file (%v):\n%s", err, log.String())
	}
}

func TestFingerprintIsTheSameFromAPaddedBuffer(t *testing.T) {
	seed := newSeed()
	name := []byte(strings.Repeat("abcdefghij.", 30))
	for n := 0; n <= len(name); n++ {
		var buf [MaxNameLength + 2*fpPad]byte
		p := name[:n]
		if n > MaxNameLength {
			continue // fingerprint handles it; a padded buffer never holds one
		}
		copy(buf[:], p)
		if a, b := fingerprint(seed, p), fingerprintPadded(seed, buf[:n+fpPad], n); a != b {
			t.Fatalf("length %d: %x from the slice, %x from a padded buffer", n, a, b)
		}
	}
	seen := map[uint64]int{}
	for n := 0; n <= len(name); n++ { // includes names longer than MaxNameLength
		k := fingerprint(seed, name[:n])
		if m, ok := seen[k]; ok {
			t.Fatalf("lengths %d and %d share a fingerprint", m, n)
		}
		seen[k] = n
	}
}

func TestListsStillLoadWhenTheCompiledFileCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "local.txt")
	if err := os.WriteFile(list, []byte("casino.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(dir, "lists")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil { // where the directory should be
		t.Fatal(err)
	}
	var log logLines
	s := NewSources([]SourceConfig{{Name: "local", Category: "gambling", Path: list}}, notADir, log.logger())
	set, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Lookup("www.casino.example").Categories; got != CategoriesOf(Gambling) {
		t.Fatalf("www.casino.example is %v, want gambling: the lists must load from memory", got)
	}
	if log.count("compiled lists not saved") != 1 {
		t.Fatalf("the log does not say the compiled file was not saved:\n%s", log.String())
	}
	if e := set.Explain("www.casino.example"); e.Match.Rule.Line != 1 {
		t.Fatalf("Explain cites line %d, want 1", e.Match.Rule.Line)
	}
}
