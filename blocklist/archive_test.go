package blocklist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// member is one file of an archive a test builds.
type member struct {
	name string
	body string
	typ  byte // tar.TypeReg when zero
}

// tarGz returns a gzip-compressed tar archive of members.
func tarGz(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: m.typ}
		if m.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeSymlink {
			h.Size, h.Linkname = 0, m.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(m.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// parseBytes parses b in format and returns the rules, the stats and the
// error.
func parseBytes(b []byte, format Format) ([]got, Stats, error) {
	var rules []got
	st, err := Parse(bytes.NewReader(b), format, func(r Rule) {
		rules = append(rules, got{Name: string(r.Name), Kind: r.Kind, Scope: r.Scope, Line: r.Line})
	})
	return rules, st, err
}

const ut1Domains = "146.145.203.221\nbet.example\n.leading.example\ncasino.example\n"

func TestUT1ArchiveReadsTheDomainsMember(t *testing.T) {
	archive := tarGz(t,
		member{name: "gambling/", typ: tar.TypeDir},
		member{name: "gambling/usage", body: "black\n"},
		member{name: "gambling/urls", body: "other.example/path\n"},
		member{name: "gambling/domains", body: ut1Domains},
		member{name: "gambling/expressions", body: `(poker|casino)`},
	)
	want, wantSt := parseText(t, FormatDomains, ut1Domains)
	for _, format := range []Format{FormatUT1Tar, FormatAuto} {
		t.Run("asked as "+format.String(), func(t *testing.T) {
			rules, st, err := parseBytes(archive, format)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rules, want) {
				t.Errorf("rules %v, want %v (only the domains member)", rules, want)
			}
			if st.Format != FormatUT1Tar || st.Skipped(ReasonIP) != 1 || st.Lines != wantSt.Lines || st.Accepted != 2 {
				t.Errorf("stats: format %s, %d lines, %d accepted, %d IPs skipped; want ut1-tar, %d, 2, 1",
					st.Format, st.Lines, st.Accepted, st.Skipped(ReasonIP), wantSt.Lines)
			}
		})
	}
}

func TestUT1ArchiveRefuses(t *testing.T) {
	good := tarGz(t, member{name: "adult/domains", body: "a.example\nb.example\n"})
	var plainGz bytes.Buffer
	zw := gzip.NewWriter(&plainGz)
	zw.Write([]byte("a.example\nb.example\n"))
	zw.Close()
	many := make([]member, maxArchiveMembers+1)
	for i := range many {
		many[i] = member{name: "x/usage", body: "black\n"}
	}
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"an archive without a domains member", tarGz(t, member{name: "adult/urls", body: "a.example/x\n"}), `no member named "domains"`},
		{"a domains symlink, which is not a file", tarGz(t, member{name: "porn/domains", body: "../adult/domains", typ: tar.TypeSymlink}), `no member named "domains"`},
		{"the all-in-one archive of every category", tarGz(t,
			member{name: "blacklists/adult/domains", body: "a.example\n"},
			member{name: "blacklists/gambling/domains", body: "b.example\n"}), "two \"domains\" members (blacklists/adult/domains and blacklists/gambling/domains)"},
		{"data that is not gzip", []byte("\x1f\x8b not really"), "reading a tar.gz archive: gzip"},
		{"gzip data that is not a tar archive", plainGz.Bytes(), "reading a tar.gz archive"},
		{"an archive cut short", good[:len(good)/2], "reading"},
		{"an archive of too many members", tarGz(t, many...), "more than 1024 members"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			_, _, err := parseBytes(tt.archive, FormatUT1Tar)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestUT1ArchiveOverTheLimitIsRefused(t *testing.T) {
	archive := tarGz(t, member{name: "x/urls", body: strings.Repeat("u.example/x\n", 1000)}, member{name: "x/domains", body: "a.example\n"})
	_, err := parseArchive(bytes.NewReader(archive), 4096, func(Rule) {})
	if !errors.Is(err, ErrArchiveTooLarge) || !strings.Contains(err.Error(), "over 4096 bytes") {
		t.Fatalf("parseArchive with a 4096-byte limit = %v, want %v", err, ErrArchiveTooLarge)
	}
	if _, err := parseArchive(bytes.NewReader(archive), 1<<20, func(Rule) {}); err != nil {
		t.Fatalf("parseArchive with room = %v", err)
	}
}

// Real data: UT1 categories from shared/data packed as UT1 packs them,
// <category>/domains beside its urls and usage, read the same as the
// domains file alone.
func TestUT1ArchiveOfRealCategories(t *testing.T) {
	for _, cat := range []string{"gambling", "drogue", "games", "dating"} {
		t.Run(cat, func(t *testing.T) {
			var members []member
			for _, f := range []string{"usage", "urls", "domains"} {
				b, err := os.ReadFile(filepath.Join(dataDir, "ut1", cat, f))
				if os.IsNotExist(err) && f == "urls" {
					continue
				}
				if err != nil {
					dataFile(t, filepath.Join("ut1", cat, f)) // skips without the shared data
					t.Fatal(err)
				}
				members = append(members, member{name: cat + "/" + f, body: string(b)})
			}
			domains := members[len(members)-1].body
			want, wantSt := parseText(t, FormatDomains, domains)
			rules, st, err := parseBytes(tarGz(t, members...), FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rules, want) || st.Accepted != wantSt.Accepted || st.Skipped(ReasonIP) != wantSt.Skipped(ReasonIP) {
				t.Fatalf("archive: %d rules, %d IPs skipped; domains file: %d rules, %d IPs skipped",
					len(rules), st.Skipped(ReasonIP), len(want), wantSt.Skipped(ReasonIP))
			}
			if st.Format != FormatUT1Tar || len(rules) == 0 {
				t.Errorf("format %s, %d rules", st.Format, len(rules))
			}
			t.Logf("%s: %d lines, %d names, %d IPs skipped", cat, st.Lines, st.Accepted, st.Skipped(ReasonIP))
		})
	}
}

// FuzzUT1Archive feeds arbitrary bytes to the archive reader: it never
// panics, and what it emits is normalized.
func FuzzUT1Archive(f *testing.F) {
	f.Add(tarGz(f, member{name: "adult/domains", body: ut1Domains}))
	f.Add(tarGz(f, member{name: "a/urls", body: "x/y\n"}, member{name: "a/domains", body: "*.a.example\n1.2.3.4\n"}))
	f.Add(tarGz(f, member{name: "a/domains", body: "a\n"}, member{name: "b/domains", body: "b\n"}))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(bytes.NewReader(data), FormatUT1Tar, func(r Rule) {
			if n, reason := Normalize(string(r.Name)); reason != ReasonNone || n != string(r.Name) {
				t.Fatalf("emitted %q, which normalizes to %q (%s)", r.Name, n, reason)
			}
		})
	})
}

// FuzzUT1ArchiveAgreesWithDomains packs any text as a UT1 archive: the
// rules and counts must be those of the text read as a domains list.
func FuzzUT1ArchiveAgreesWithDomains(f *testing.F) {
	for _, s := range []string{ut1Domains, "", "a.example", "*.b.example\r\n# c\nx/y\n", strings.Repeat("z", MaxLineLength+1) + "\nq.example\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, wantSt := parseText(t, FormatDomains, text)
		rules, st, err := parseBytes(tarGz(t, member{name: "c/usage", body: "black"}, member{name: "c/domains", body: text}), FormatUT1Tar)
		if err != nil {
			t.Fatal(err)
		}
		st.Format = FormatDomains
		if !reflect.DeepEqual(rules, want) || !reflect.DeepEqual(st, wantSt) {
			t.Fatalf("archive: %v %+v\ndomains: %v %+v", rules, st, want, wantSt)
		}
	})
}
