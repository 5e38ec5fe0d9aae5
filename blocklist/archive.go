package blocklist

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
)

// UT1 (Université Toulouse Capitole) publishes each category as a
// gzip-compressed tar archive, blacklists/download/<category>.tar.gz,
// holding <category>/domains, <category>/urls, <category>/usage and
// sometimes <category>/expressions. A DNS filter reads `domains` only: one
// name a line, blocking the name and its subdomains (squidGuard's
// semantics, FormatDomains's), with legacy bare IPv4 lines that are
// counted (ReasonIP) and skipped as in any domains list. `urls` and
// `expressions` hold URL paths and regular expressions, which a resolver
// never sees.
const (
	archiveDomainsMember = "domains"
	// MaxArchiveBytes bounds what one archive may decompress to, every
	// member counted, so that a small hostile download (a gzip bomb)
	// cannot keep the appliance busy. UT1's largest category, adult, is
	// about 4.6 million names: about 100 MB of `domains` and as much
	// again of `urls`.
	MaxArchiveBytes = 1 << 30
	// maxArchiveMembers bounds the members read: a UT1 category has at
	// most five.
	maxArchiveMembers = 1024
)

// gzipMagic starts every gzip stream (RFC 1952 2.3.1).
var gzipMagic = []byte{0x1f, 0x8b}

// ErrArchiveTooLarge is wrapped by Parse's error for an archive that
// decompresses to more than MaxArchiveBytes.
var ErrArchiveTooLarge = errors.New("archive decompresses to more than the limit")

// parseArchive reads the gzip-compressed tar archive r and parses its one
// member named `domains` (at any depth: UT1 writes <category>/domains) as
// a domains list. An archive with no such member, or with two (UT1's
// all-in-one blacklists.tar.gz, which mixes every category), is an error
// that says so. Rules are streamed as the member is read, so a second
// `domains` member is found only after the first was parsed: the caller
// must drop the list on error, as for any failing reader.
// It decompresses at most limit bytes (Parse gives MaxArchiveBytes).
func parseArchive(r io.Reader, limit int64, fn func(Rule)) (Stats, error) {
	st := Stats{Format: FormatUT1Tar}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return st, fmt.Errorf("reading a tar.gz archive: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(&capReader{r: zr, limit: limit, left: limit})
	found := ""
	for members := 0; ; members++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("reading a tar.gz archive: %w", err)
		}
		if members == maxArchiveMembers {
			return st, fmt.Errorf("reading a tar.gz archive: more than %d members; a UT1 category has five at most", maxArchiveMembers)
		}
		if h.Typeflag != tar.TypeReg || path.Base(h.Name) != archiveDomainsMember {
			continue
		}
		if found != "" {
			return st, fmt.Errorf("reading a tar.gz archive: two %q members (%s and %s): give one category's archive, not a collection of them",
				archiveDomainsMember, found, h.Name)
		}
		found = h.Name
		if st, err = parseLines(bufio.NewReaderSize(tr, readBufferSize), FormatDomains, fn); err != nil {
			st.Format = FormatUT1Tar
			return st, fmt.Errorf("reading %s in a tar.gz archive: %w", h.Name, err)
		}
		st.Format = FormatUT1Tar
	}
	if found == "" {
		return st, fmt.Errorf("reading a tar.gz archive: no member named %q (UT1 archives hold <category>/domains)", archiveDomainsMember)
	}
	return st, nil
}

// capReader reads from r until limit bytes have been read, then fails
// with ErrArchiveTooLarge.
type capReader struct {
	r     io.Reader
	limit int64
	left  int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("over %d bytes: %w", c.limit, ErrArchiveTooLarge)
	}
	p = p[:min(int64(len(p)), c.left)]
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
