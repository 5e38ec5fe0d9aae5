package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// Refusals of a download. Each is wrapped by an error that says which file
// and by how much.
var (
	ErrTooLarge     = errors.New("refusing a download over its size limit")
	ErrTruncated    = errors.New("refusing a truncated download")
	ErrHashMismatch = errors.New("refusing a file that is not the one signed")
)

const maxSignatureBytes = 16 << 10 // a .minisig with a trusted comment of minisign's maximum size

// errNotModified is fetchSmall's answer to 304 Not Modified.
var errNotModified = errors.New("not modified")

// get sends a GET for file in the feed directory, with If-None-Match when
// etag is set, and returns a response whose status is 200 (or 304 for a
// conditional request).
func (s *Subscription) get(ctx context.Context, file, etag string) (*http.Response, error) {
	u := s.base.JoinPath(file).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	req.Header.Set("User-Agent", "amane-feed/1") // the same for every appliance: says nothing about one
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // it would repeat the method and the URL
	}
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotModified && etag != "" {
		return resp, nil
	}
	resp.Body.Close()
	return nil, fmt.Errorf("fetching %s: the server answered %s", u, resp.Status)
}

// fetchSmall reads a whole small file (the manifest, the signature), at
// most max bytes, and returns it with the response's ETag.
func (s *Subscription) fetchSmall(ctx context.Context, file string, max int64, etag string) ([]byte, string, error) {
	resp, err := s.get(ctx, file, etag)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return nil, etag, errNotModified
	}
	if resp.ContentLength > max {
		return nil, "", fmt.Errorf("%s: the server announces %d bytes, over the limit of %d: %w", file, resp.ContentLength, max, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1)) // one more byte tells "too large" from "exactly max"
	switch {
	case int64(len(b)) > max:
		return nil, "", fmt.Errorf("%s: more than %d bytes: %w", file, max, ErrTooLarge)
	case err != nil:
		return nil, "", fmt.Errorf("%s: the download stopped after %d bytes (%v): %w", file, len(b), err, ErrTruncated)
	}
	return b, resp.Header.Get("ETag"), nil
}

// fetchList downloads l into the new file path, reading at most one byte
// more than l.Size, and checks its size and SHA-256. Memory stays bounded
// whatever the server sends: the body streams to disk.
func (s *Subscription) fetchList(ctx context.Context, l List, path string) error {
	resp, err := s.get(ctx, l.File, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ContentLength > l.Size {
		return fmt.Errorf("list %q: the server announces %d bytes, the manifest says %d: %w", l.File, resp.ContentLength, l.Size, ErrTooLarge)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("list %q: %w", l.File, err)
	}
	defer f.Close()
	h := sha256.New()
	body := &errReader{r: io.LimitReader(resp.Body, l.Size+1)}
	n, err := io.Copy(io.MultiWriter(f, h), body)
	switch {
	case body.err != nil:
		return fmt.Errorf("list %q: the download stopped after %d of %d bytes (%v): %w", l.File, n, l.Size, body.err, ErrTruncated)
	case err != nil:
		return fmt.Errorf("list %q: writing: %w", l.File, err)
	case n > l.Size:
		return fmt.Errorf("list %q: the server sent more than the %d bytes the manifest says: %w", l.File, l.Size, ErrTooLarge)
	case n < l.Size:
		return fmt.Errorf("list %q: %d of the %d bytes the manifest says: %w", l.File, n, l.Size, ErrTruncated)
	}
	if err := checkSum(l, h.Sum(nil)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("list %q: %w", l.File, err)
	}
	return f.Close()
}

// checkFile checks that the file at path is l: its size, then its SHA-256.
func checkFile(path string, l List) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("list %q: %w", l.File, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, l.Size+1))
	switch {
	case err != nil:
		return fmt.Errorf("list %q: reading: %w", l.File, err)
	case n != l.Size:
		return fmt.Errorf("list %q: %d bytes on disk, the manifest says %d: %w", l.File, n, l.Size, ErrHashMismatch)
	}
	return checkSum(l, h.Sum(nil))
}

func checkSum(l List, sum []byte) error {
	if got := hex.EncodeToString(sum); got != l.SHA256 {
		return fmt.Errorf("list %q: SHA-256 %s, the manifest says %s: %w", l.File, got, l.SHA256, ErrHashMismatch)
	}
	return nil
}

// errReader remembers its reader's error, so that a broken download is
// told apart from a full disk.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
