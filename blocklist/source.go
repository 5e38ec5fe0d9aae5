package blocklist

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amane-dns/amane/internal/fielderr"
)

// SourceConfig is one [[list]] of the configuration: a list of names that
// all feed one category, from a URL or a local file.
type SourceConfig struct {
	// Name identifies the list in logs, `amane explain` and the state
	// directory: letters, digits, '-', '_' and '.'.
	Name string `toml:"name"`
	// Category is the category the list's names belong to.
	Category string `toml:"category"`
	// URL is where to fetch the list (http or https); or
	URL string `toml:"url"`
	// Path is a local file, watched for changes.
	Path string `toml:"path"`
	// Refresh is how often a URL is asked for a new version.
	Refresh time.Duration `toml:"refresh"`
	// Format is the list syntax, or "auto" to detect it from the content.
	Format string `toml:"format"`

	// URLsAt, when set, replaces URL: the URLs that may be asked at a
	// time, in the order to try (a mirror's copy, then the source's own
	// inside the hours its maintainer allows). The built-in catalog sets
	// it; a file cannot.
	URLsAt func(now time.Time) []string `toml:"-"`
	// NextAt, when set, says when to ask again after the last success
	// (zero: never) seen at now, in place of Refresh.
	NextAt func(last, now time.Time) time.Time `toml:"-"`
}

// remote reports whether the list is downloaded.
func (s SourceConfig) remote() bool { return s.URL != "" || s.URLsAt != nil }

// DefaultRefresh is how often a URL list is polled when Refresh is unset.
const DefaultRefresh = 6 * time.Hour

// ValidateSources returns every problem with the [[list]] entries, each
// naming its key (list[2].url).
func ValidateSources(srcs []SourceConfig) error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range srcs {
		key := func(k string) string { return fmt.Sprintf("list[%d].%s", i, k) }
		switch {
		case s.Name == "":
			errs = append(errs, fielderr.New(key("name"), "every list needs a name"))
		case strings.Trim(s.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" || strings.HasPrefix(s.Name, "."):
			errs = append(errs, fielderr.New(key("name"), "%q: use letters, digits, '-', '_' and '.'", s.Name))
		case seen[s.Name]:
			errs = append(errs, fielderr.New(key("name"), "%q is used by another list", s.Name))
		}
		seen[s.Name] = true
		if _, err := ParseCategory(s.Category); err != nil {
			errs = append(errs, fielderr.New(key("category"), "%v", err))
		}
		if s.Format != "" {
			if _, err := ParseFormat(s.Format); err != nil {
				errs = append(errs, fielderr.New(key("format"), "%v", err))
			}
		}
		errs = append(errs, s.validateWhere(key)...)
		if s.Refresh != 0 && s.Refresh < time.Minute {
			errs = append(errs, fielderr.New(key("refresh"), "at least 1m: list servers must not be hammered"))
		}
	}
	return errors.Join(errs...)
}

func (s SourceConfig) validateWhere(key func(string) string) []error {
	switch {
	case (s.URL == "") == (s.Path == ""):
		return []error{fielderr.New(key("url"), "give exactly one of url and path")}
	case s.URL != "":
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return []error{fielderr.New(key("url"), "%q: only http:// and https:// URLs", s.URL)}
		}
	case !filepath.IsAbs(s.Path):
		return []error{fielderr.New(key("path"), "%q: give an absolute path", s.Path)}
	}
	return nil
}

func (s SourceConfig) format() Format {
	f, _ := ParseFormat(s.Format)
	return f
}

func (s SourceConfig) category() Category {
	c, _ := ParseCategory(s.Category)
	return c
}

func (s SourceConfig) refresh() time.Duration {
	if s.Refresh == 0 {
		return DefaultRefresh
	}
	return s.Refresh
}

// SourceStatus is what an operator sees of one list: where it stands, and
// since when it has been failing, if it is.
type SourceStatus struct {
	Name       string
	Stats      Stats     // of the copy in use
	Updated    time.Time // when the copy in use was fetched or read
	Err        string    // the last failure, "" when the last attempt worked
	ErrorSince time.Time // when failures began
}

// lastGood is where the last good copy of a URL list lives.
func lastGood(dir, name string) string { return filepath.Join(dir, name+".list") }

// sourcePath is what a list is read from: the local file, or the last
// good copy of a URL list.
func sourcePath(dir string, s SourceConfig) string {
	if s.Path != "" {
		return s.Path
	}
	return lastGood(dir, s.Name)
}

// statSource returns the file information of what list s is read from.
func statSource(dir string, s SourceConfig) (os.FileInfo, error) { return os.Stat(sourcePath(dir, s)) }

// openSource opens what a list is read from.
func openSource(dir string, s SourceConfig) (*os.File, error) {
	if s.Path != "" {
		return os.Open(s.Path)
	}
	f, err := os.Open(lastGood(dir, s.Name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list %q has not been downloaded yet", s.Name)
	}
	return f, err
}
