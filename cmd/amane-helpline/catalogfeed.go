package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/cliflag"
)

// catalogMaxBytes bounds one download: UT1's adult archive, the largest
// source, is about 30 MB.
const catalogMaxBytes = 256 << 20

// feedCatalog runs `amane-helpline feed catalog --lists DIR [--mirror URL]
// SOURCE_ID...`: it downloads the built-in catalog's sources into the
// lists directory of the feed, as catalog.SOURCE_ID, and describes each in
// its lists.toml, so that the next `feed publish` signs a copy of them.
// Appliances subscribed to the feed then filter those categories from the
// helpline's signed copy, and need no public host: when HaGeZi's account
// was locked, appliances that fetched it themselves froze silently.
func feedCatalog(args []string, stdout io.Writer, now func() time.Time) error {
	fl := flag.NewFlagSet("feed catalog", flag.ContinueOnError)
	dir := fl.String("lists", "", "the feed's lists directory (with its "+feed.ListsFile+")")
	mirror := fl.String("mirror", "", "a mirror holding copies at MIRROR/SOURCE_ID, asked first")
	ids, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	if *dir == "" || len(ids) == 0 {
		return errors.New("feed catalog: want --lists DIR and the ids of catalog sources (amane catalog lists them)")
	}
	var fetches []catalog.Fetch
	for _, id := range ids {
		s, ok := catalog.Lookup(id)
		if !ok {
			return fmt.Errorf("feed catalog: %q is not a catalog source (amane catalog lists them)", id)
		}
		f := catalog.Fetch{Source: s}
		if *mirror != "" {
			f.Mirror = strings.TrimSuffix(*mirror, "/") + "/" + s.ID
		}
		if len(f.URLsAt(now())) == 0 {
			return fmt.Errorf("feed catalog: %s asks to be fetched only at %s; try at %s, or give --mirror",
				s.ID, s.Window, f.Next(time.Time{}, now()).Format(time.RFC3339))
		}
		fetches = append(fetches, f)
	}
	for _, f := range fetches {
		n, err := fetchCatalogSource(f, *dir, now())
		if err != nil {
			return fmt.Errorf("feed catalog: %s: %w", f.Source.ID, err)
		}
		if err := describeCatalogList(*dir, f.Source); err != nil {
			return fmt.Errorf("feed catalog: %w", err)
		}
		fmt.Fprintf(stdout, "%s: %d names (%s, %s) in %s\n", f.Source.ID, n, f.Source.Category, f.Source.License,
			filepath.Join(*dir, f.Name()))
	}
	fmt.Fprintln(stdout, "feed publish signs them with the next version")
	return nil
}

// fetchCatalogSource downloads f to dir/catalog.ID, trying its URLs in
// order, and keeps it only if it parses to at least one name.
func fetchCatalogSource(f catalog.Fetch, dir string, now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var errs []error
	for _, u := range f.URLsAt(now) {
		body, err := download(ctx, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := blocklist.Parse(bytes.NewReader(body), f.Source.Format, func(blocklist.Rule) {})
		if err == nil && st.Accepted == 0 {
			err = errors.New("no names in it")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
			continue
		}
		path := filepath.Join(dir, f.Name())
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, body, 0o644); err != nil {
			return 0, err
		}
		return st.Accepted, os.Rename(tmp, path)
	}
	return 0, errors.Join(errs...)
}

func download(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, catalogMaxBytes+1))
	if err == nil && len(body) > catalogMaxBytes {
		err = fmt.Errorf("%s: larger than %d bytes", url, catalogMaxBytes)
	}
	return body, err
}

// describeCatalogList adds s's list to dir's lists.toml, once.
func describeCatalogList(dir string, s catalog.Source) error {
	path := filepath.Join(dir, feed.ListsFile)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	file := "catalog." + s.ID
	if bytes.Contains(old, []byte(fmt.Sprintf("file = %q", file))) {
		return nil
	}
	entry := fmt.Sprintf("\n# %s, from amane's catalog: %s (%s, %s)\n[[list]]\nfile = %q\ncategory = %q\nformat = %q\n",
		s.Name, s.Homepage, s.License, s.LicenseURL, file, s.Category, s.Format)
	return os.WriteFile(path, append(old, entry...), 0o644)
}
