package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PublishOptions say what Publish signs and where it writes.
type PublishOptions struct {
	Key      SecretKey // signs the manifest
	ListsDir string    // the list files and their ListsFile
	OutDir   string    // the feed directory that a web server serves
	// Name is the feed's name; default: the name of the feed already in
	// OutDir, else OutDir's base name. It cannot change from one
	// publication to the next: appliances would refuse it.
	Name    string
	Expires time.Duration // how long the manifest is valid; default 720h (30 days)
	Contact *Contact      // optional
	Limits  Limits        // the appliances' defaults unless set
	// Accept, if set, checks each list's category and format (against
	// package blocklist's ids), as the appliances will.
	Accept func(List) error
	Now    func() time.Time // default time.Now
	// Extra are lists made by the publisher rather than read from ListsDir
	// (amane-helpline's confirmed domains). Each is published like a list
	// file of ListsDir; a name that ListsDir already has is refused.
	Extra []Generated
}

// Generated is a list file that Publish writes from memory.
type Generated struct {
	List    List   // File, Category, Format, Mandatory, Watch; Size and SHA256 are computed
	Content []byte // the file's bytes; not empty
}

// Publish writes a new version of the feed in OutDir: the list files,
// manifest.json and manifest.json.minisig. Its version is the Unix time
// of publication, or the version already in OutDir plus one if that is
// larger, so that it always increases, even if OutDir was lost.
//
// The new feed is written and fsynced in a temporary directory beside
// OutDir, then swapped with OutDir in one rename, so that a web server
// serves the old feed or the new one, never a mix of files from both and
// never a half-written one.
func Publish(o PublishOptions) (Manifest, error) {
	o = o.withDefaults()
	lists, err := ReadLists(o.ListsDir)
	if err != nil {
		return Manifest{}, err
	}
	out := filepath.Clean(o.OutDir)
	prev, err := previousManifest(out)
	if err != nil {
		return Manifest{}, err
	}
	now := o.Now().UTC().Truncate(time.Second)
	m := Manifest{
		Schema: SchemaVersion, Version: max(prev.Version+1, uint64(max(now.Unix(), 1))),
		Issued: now, Expires: now.Add(o.Expires), Contact: o.Contact,
	}
	if m.Name, err = feedName(o.Name, prev.Name, out); err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Manifest{}, fmt.Errorf("publishing: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".new-")
	if err != nil {
		return Manifest{}, fmt.Errorf("publishing: %w", err)
	}
	defer os.RemoveAll(tmp) // the old feed after the swap; the new one if anything failed
	if m.Lists, err = copyLists(o.ListsDir, tmp, lists, o.Limits.MaxFileBytes); err != nil {
		return Manifest{}, err
	}
	extra, err := writeGenerated(o.ListsDir, tmp, o.Extra)
	if err != nil {
		return Manifest{}, err
	}
	m.Lists = append(m.Lists, extra...)
	if err := checkPublished(m, o); err != nil {
		return Manifest{}, err
	}
	if err := writeSigned(tmp, m, o.Key, now); err != nil {
		return Manifest{}, err
	}
	if err := installDir(tmp, out); err != nil {
		return Manifest{}, fmt.Errorf("publishing into %s: %w", out, err)
	}
	return m, nil
}

func (o PublishOptions) withDefaults() PublishOptions {
	if o.Expires <= 0 {
		o.Expires = 720 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Limits = o.Limits.withDefaults()
	return o
}

// previousManifest reads the manifest already in out, if any.
func previousManifest(out string) (Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(out, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, nil
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("reading the previous version: %w", err)
	}
	m, err := DecodeManifest(raw, Limits{MaxLists: 1 << 20, MaxFileBytes: 1 << 62, MaxTotalBytes: 1 << 62})
	if err != nil {
		return Manifest{}, fmt.Errorf("reading the previous version in %s (move it away to start a new feed): %w", out, err)
	}
	return m, nil
}

func feedName(asked, prev, out string) (string, error) {
	name := asked
	switch {
	case name == "" && prev != "":
		name = prev
	case name == "":
		name = strings.ToLower(filepath.Base(out))
	case prev != "" && name != prev:
		return "", fmt.Errorf("%s holds feed %q; appliances that hold it would refuse %q", out, prev, name)
	}
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("feed name: %w (set one with --name)", err)
	}
	return name, nil
}

// copyLists copies each list from src into dst, computing its size and
// SHA-256 as it goes.
func copyLists(src, dst string, lists []List, maxBytes int64) ([]List, error) {
	out := make([]List, len(lists))
	for i, l := range lists {
		n, sum, err := copyHashed(filepath.Join(src, l.File), filepath.Join(dst, l.File), maxBytes)
		if err != nil {
			return nil, fmt.Errorf("copying list %q: %w", l.File, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("list %q is empty: add names to it or remove it from %s", l.File, ListsFile)
		}
		l.Size, l.SHA256 = n, sum
		out[i] = l
	}
	return out, nil
}

func copyHashed(from, to string, maxBytes int64) (int64, string, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(in, maxBytes+1))
	switch {
	case err != nil:
		return 0, "", err
	case n > maxBytes:
		return 0, "", fmt.Errorf("over the limit of %d bytes that appliances accept", maxBytes)
	}
	if err := f.Sync(); err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), f.Close()
}

// checkPublished refuses a manifest that appliances would refuse.
func checkPublished(m Manifest, o PublishOptions) error {
	if err := m.Validate(o.Limits); err != nil {
		return err
	}
	for _, l := range m.Lists {
		if o.Accept == nil {
			break
		}
		if err := o.Accept(l); err != nil {
			return fmt.Errorf("list %q: %w", l.File, err)
		}
	}
	return nil
}

// writeSigned writes manifest.json and its signature into dir, checks the
// signature as an appliance would, and fsyncs the directory.
func writeSigned(dir string, m Manifest, key SecretKey, now time.Time) error {
	raw, err := m.Encode()
	if err != nil {
		return err
	}
	comment := fmt.Sprintf("timestamp:%d\tfile:%s\tfeed:%s\tversion:%d\thashed", now.Unix(), ManifestFile, m.Name, m.Version)
	sig := key.Sign(raw, comment)
	if err := Verify(key.Public(), raw, sig); err != nil {
		return fmt.Errorf("checking the new signature: %w", err)
	}
	if err := writeFileSync(filepath.Join(dir, ManifestFile), raw, 0o644); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, SignatureFile), sig.Encode(), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // MkdirTemp made it 0700: the web server must read it
		return err
	}
	return syncDir(dir)
}

// writeGenerated writes each generated list into dst, refusing one whose
// name is already a file (described or not) of the operators' src.
func writeGenerated(src, dst string, gs []Generated) ([]List, error) {
	out := make([]List, 0, len(gs))
	for _, g := range gs {
		l := g.List
		if err := checkEntry(l); err != nil {
			return nil, fmt.Errorf("generated list: %w", err)
		}
		if _, err := os.Lstat(filepath.Join(src, l.File)); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s already has a file %q, the name of a generated list: rename it", src, l.File)
		}
		if len(g.Content) == 0 {
			return nil, fmt.Errorf("generated list %q is empty", l.File)
		}
		if err := writeFileSync(filepath.Join(dst, l.File), g.Content, 0o644); err != nil {
			return nil, fmt.Errorf("writing generated list %q: %w", l.File, err)
		}
		sum := sha256.Sum256(g.Content)
		l.Size, l.SHA256 = int64(len(g.Content)), hex.EncodeToString(sum[:])
		out = append(out, l)
	}
	return out, nil
}
