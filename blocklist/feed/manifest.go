package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// File names inside a feed directory.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.json.minisig"
)

// SchemaVersion is the only manifest schema this package reads.
const SchemaVersion = 1

// Manifest is manifest.json: the signed description of one version of a
// feed. Everything an appliance trusts about a feed comes from here, after
// the signature verified.
//
// Category and Format are plain strings so that this package needs nothing
// from package blocklist (which imports it): the caller checks them against
// the taxonomy and the list formats it knows, through Options.Accept.
type Manifest struct {
	// Schema is SchemaVersion. A manifest of another schema is refused, so
	// that a field added later cannot be silently ignored by an old reader.
	Schema int `json:"schema"`
	// Name identifies the feed: 1 to 64 of a-z, 0-9, '.', '_' and '-',
	// starting with a letter or digit ("emc"). An appliance refuses a
	// manifest whose name differs from the one it holds.
	Name string `json:"name"`
	// Version is at least 1 and strictly increases with each publication;
	// an appliance refuses a lower version than the one it holds (rollback).
	// amane-helpline uses the Unix time of publication, or the previous
	// version plus one if that is larger.
	Version uint64 `json:"version"`
	// Issued is when the manifest was signed (RFC 3339). An appliance
	// refuses one issued more than its clock skew allowance in the future.
	Issued time.Time `json:"issued"`
	// Expires is after Issued. An appliance refuses to take a manifest that
	// has expired, but keeps using the copy it holds past expiry (Load).
	Expires time.Time `json:"expires"`
	// Lists are the list files, each in the feed directory beside
	// manifest.json, at most Limits.MaxLists of them, with distinct names.
	Lists []List `json:"lists"`
	// Contact is how a child or a parent reaches the helpline; optional.
	Contact *Contact `json:"contact,omitempty"`
}

// List is one list file of a feed.
type List struct {
	// File is the file's name in the feed directory: 1 to 128 of A-Z, a-z,
	// 0-9, '.', '_' and '-', starting with a letter or digit (so never
	// hidden, never a path, never ".."), and not a name of this protocol.
	File string `json:"file"`
	// Size is the file's exact length in bytes, at least 1 and at most
	// Limits.MaxFileBytes.
	Size int64 `json:"size"`
	// SHA256 is the file's SHA-256, 64 lower-case hex digits.
	SHA256 string `json:"sha256"`
	// Category is a category id of package blocklist ("abuse"), checked
	// by the caller; here only 1 to 32 of a-z, 0-9, '_' and '-'.
	Category string `json:"category"`
	// Format is a list format id of package blocklist ("domains", "hosts",
	// "auto"), checked by the caller; here only like Category.
	Format string `json:"format"`
	// Mandatory lists block in every profile: a profile cannot switch
	// their category off.
	Mandatory bool `json:"mandatory,omitempty"`
	// Watch lists never block: hits on them are only counted and reported
	// to the helpline (suspected, not yet confirmed). A list cannot be both.
	Watch bool `json:"watch,omitempty"`
}

// Limits bound what a manifest may ask an appliance to download and keep.
// A zero field takes its default.
type Limits struct {
	MaxLists      int   // default 256
	MaxFileBytes  int64 // one list file; default 64 MiB
	MaxTotalBytes int64 // all list files together; default 256 MiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxLists <= 0 {
		l.MaxLists = 256
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 64 << 20
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 256 << 20
	}
	return l
}

// DecodeManifest reads manifest.json strictly: one JSON object, no unknown
// field, no trailing data, and every field valid (Manifest.Validate). It
// does not look at the signature, the clock or the held version.
func DecodeManifest(data []byte, lim Limits) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decoding %s: %w", ManifestFile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, fmt.Errorf("decoding %s: data after the JSON object", ManifestFile)
	}
	if err := m.Validate(lim); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Encode returns m as indented JSON with a final newline: the bytes that
// are signed and published.
func (m Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	return append(b, '\n'), nil
}

// List returns the list whose file name is file.
func (m Manifest) List(file string) (List, bool) {
	for _, l := range m.Lists {
		if l.File == file {
			return l, true
		}
	}
	return List{}, false
}

// MandatoryCategories returns the categories of the mandatory lists, each
// once, in the order of the lists.
func (m Manifest) MandatoryCategories() []string {
	var cats []string
	seen := map[string]bool{}
	for _, l := range m.Lists {
		if l.Mandatory && !seen[l.Category] {
			seen[l.Category] = true
			cats = append(cats, l.Category)
		}
	}
	return cats
}

// TotalBytes returns the sum of the list files' sizes.
func (m Manifest) TotalBytes() int64 {
	var n int64
	for _, l := range m.Lists {
		n += l.Size
	}
	return n
}
