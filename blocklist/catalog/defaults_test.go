package catalog

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// dataDir is the shared test data (see shared/data/README.md), read in place.
const dataDir = "../../../shared/data"

// commercialOK are the licences that let a commercial appliance fetch
// and use a list (and the helpline republish it under the licence's
// terms). Non-commercial (CC-BY-NC-*), "all rights reserved" and unknown
// licences are not here: no such list may be in the catalog.
var commercialOK = map[string]bool{
	"GPL-3.0": true, "CC-BY-SA-4.0": true, "CC-BY-4.0": true, "MIT": true, "Unlicense": true, "CC0-1.0": true,
}

func TestEveryCategoryHasDefaultsOrSaysWhyNot(t *testing.T) {
	entries := Entries()
	if len(entries) != int(blocklist.NumCategories) {
		t.Fatalf("%d entries for %d categories", len(entries), blocklist.NumCategories)
	}
	for i, e := range entries {
		t.Run(e.Category.String(), func(t *testing.T) {
			if e.Category != blocklist.Category(i) {
				t.Fatalf("entry %d is %s", i, e.Category)
			}
			defaults := e.Defaults()
			if (len(defaults) == 0) == (e.NoDefault == "") {
				t.Fatalf("%d defaults and NoDefault %q: want defaults or a reason, not both", len(defaults), e.NoDefault)
			}
			for j, s := range e.Sources {
				if s.Category != e.Category {
					t.Errorf("%s fills %s, listed under %s", s.ID, s.Category, e.Category)
				}
				if s.Default != (j < len(defaults)) {
					t.Errorf("%s is not in order: defaults come first", s.ID)
				}
			}
		})
	}
	for _, c := range []blocklist.Category{blocklist.Abuse, blocklist.Weapons} {
		if e := entries[c]; len(e.Defaults()) != 0 || !strings.Contains(e.NoDefault, "no ") {
			t.Errorf("%s: %d defaults, reason %q; want none, and why", c, len(e.Defaults()), e.NoDefault)
		}
	}
}

func TestEverySourceIsComplete(t *testing.T) {
	idOK := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, s := range sources() {
		t.Run(s.ID, func(t *testing.T) {
			if !idOK.MatchString(s.ID) || seen[s.ID] {
				t.Errorf("id %q is not unique lower-case letters, digits and '-'", s.ID)
			}
			seen[s.ID] = true
			if got, ok := Lookup(s.ID); !ok || got.ID != s.ID {
				t.Errorf("Lookup(%q) = %q, %v", s.ID, got.ID, ok)
			}
			if !commercialOK[s.License] {
				t.Errorf("licence %q is not one a commercial appliance may use by default", s.License)
			}
			for _, u := range append([]string{s.LicenseURL, s.Homepage}, s.URLs...) {
				if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
					t.Errorf("%q is not an https URL", u)
				}
			}
			switch {
			case len(s.URLs) == 0, s.Name == "", s.SizeAsOf == "":
				t.Errorf("missing URLs, name or size date: %+v", s)
			case s.Size <= 0:
				t.Errorf("no size hint")
			case s.Refresh < time.Hour:
				t.Errorf("refresh %s: list servers must not be hammered", s.Refresh)
			case !s.Category.Valid():
				t.Errorf("category %d", s.Category)
			case s.Format == blocklist.FormatAuto:
				t.Errorf("the format must be known, not detected")
			}
			isUT1 := strings.HasPrefix(s.ID, "ut1-")
			if isUT1 != (s.Format == blocklist.FormatUT1Tar) || isUT1 != (s.Window == Window{Start: 19 * 60, End: 8 * 60}) {
				t.Errorf("format %s, window %s: UT1 sources, and only they, are tar.gz fetched 19:00-08:00 GMT", s.Format, s.Window)
			}
			if !s.Window.valid() {
				t.Errorf("window %+v", s.Window)
			}
		})
	}
	if _, ok := Lookup("phishing-army"); ok {
		t.Error("a non-commercial list is in the catalog")
	}
}

// The shape for `amane catalog -json`.
func TestEntriesJSON(t *testing.T) {
	b, err := json.Marshal(Entries())
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Category string `json:"category"`
		Sources  []struct {
			ID, URL, Format, License, Window string
			Mirrors                          []string
			Default                          bool
		} `json:"sources"`
		NoDefault string `json:"no_default"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got[0].Category != "abuse" || got[0].Sources == nil || len(got[0].Sources) != 0 || got[0].NoDefault == "" {
		t.Errorf("abuse = %+v", got[0])
	}
	adult := got[blocklist.Adult]
	first := adult.Sources[0]
	if first.ID != "hagezi-nsfw" || !strings.HasPrefix(first.URL, "https://cdn.jsdelivr.net/") || len(first.Mirrors) != 2 ||
		first.Format != "domains" || first.License != "GPL-3.0" || !first.Default || first.Window != "any time" {
		t.Errorf("adult's first source = %+v", first)
	}
	for _, s := range adult.Sources {
		if s.ID == "ut1-adult" && (s.Format != "ut1-tar" || s.Window != "19:00-08:00 UTC") {
			t.Errorf("ut1-adult = %+v", s)
		}
	}
}

// Every format the catalog names parses real data from shared/data: the
// HaGeZi onlydomains and adblock forms, hosts files, and UT1 categories
// packed as UT1 packs them.
func TestEverySourceFormatParsesRealData(t *testing.T) {
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	sample := map[blocklist.Format]string{
		blocklist.FormatDomains: "domains/hagezi-light-onlydomains.txt",
		blocklist.FormatAdblock: "adguard/hagezi-light.adblock.txt",
		blocklist.FormatHosts:   "hosts/stevenblack-ext-gambling.hosts",
	}
	tested := map[blocklist.Format]bool{}
	for _, s := range sources() {
		var data []byte
		var err error
		switch {
		case s.Format == blocklist.FormatUT1Tar:
			dir := strings.TrimSuffix(strings.TrimPrefix(s.URLs[0], "https://dsi.ut-capitole.fr/blacklists/download/"), ".tar.gz")
			if _, err := os.Stat(filepath.Join(dataDir, "ut1", dir, "domains")); err != nil {
				continue // shared data holds 40 of UT1's categories
			}
			data = ut1Archive(t, dir)
		case tested[s.Format] && s.ID != "hagezi-light":
			continue // one sample file a text format is enough
		default:
			if data, err = os.ReadFile(filepath.Join(dataDir, sample[s.Format])); err != nil {
				t.Fatalf("%s: no sample for format %s: %v", s.ID, s.Format, err)
			}
		}
		names := 0
		st, err := blocklist.Parse(bytes.NewReader(data), s.Format, func(r blocklist.Rule) {
			if r.Kind == blocklist.Block {
				names++
			}
		})
		if err != nil || names == 0 || st.Format != s.Format {
			t.Errorf("%s: parsed %d names as %s, %v", s.ID, names, st.Format, err)
		}
		if s.ID == "hagezi-light" && (names < s.Size*95/100 || names > s.Size*105/100) {
			t.Errorf("hagezi-light: %d names from the real file, size hint %d", names, s.Size)
		}
		tested[s.Format] = true
		t.Logf("%s (%s): %d names, %d lines skipped", s.ID, s.Format, names, st.SkippedTotal())
	}
	for _, f := range []blocklist.Format{blocklist.FormatDomains, blocklist.FormatAdblock, blocklist.FormatHosts, blocklist.FormatUT1Tar} {
		if !tested[f] {
			t.Errorf("no source of format %s was parsed", f)
		}
	}
}

// ut1Archive packs shared/data/ut1/DIR as UT1's DIR.tar.gz.
func ut1Archive(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []string{"usage", "urls", "domains"} {
		b, err := os.ReadFile(filepath.Join(dataDir, "ut1", dir, f))
		if err != nil {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: dir + "/" + f, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}
