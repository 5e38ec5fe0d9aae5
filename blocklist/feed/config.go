package feed

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config is one `[[feed]]` table of the appliance's configuration.
type Config struct {
	// Name is the feed's expected name (Manifest.Name). Optional: when set,
	// a manifest with another name is refused, so that one feed signed by
	// the same key cannot stand in for another; when empty, the name of the
	// first manifest taken is held and a change is refused.
	Name string `toml:"name"`
	// URL is the feed directory, where manifest.json is. It is https, or
	// http to a loopback address only (a local mirror, tests). A URL that
	// ends in /manifest.json is taken as its directory.
	URL string `toml:"url"`
	// PublicKey is the helpline's minisign public key: the base64 line
	// ("RW...") or the whole minisign.pub file.
	PublicKey string `toml:"public_key"`
	// Poll is how often to ask for a new version; 0 means DefaultPoll. At
	// least one minute. A poll costs one request answered 304 when nothing
	// changed.
	Poll time.Duration `toml:"poll"`
}

// DefaultPoll is the poll interval of a Config that sets none.
const DefaultPoll = time.Hour

// PollInterval returns c.Poll, or DefaultPoll if it is not set.
func (c Config) PollInterval() time.Duration {
	if c.Poll <= 0 {
		return DefaultPoll
	}
	return c.Poll
}

// FieldError is a problem with one key of a Config. Key is relative to the
// `[[feed]]` table ("url"); the configs package prefixes it ("feed[0].url")
// to point at the line.
type FieldError struct {
	Key string
	Err error
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Err.Error() }

// Field returns the key, for the configs package.
func (e *FieldError) Field() string { return e.Key }

func (e *FieldError) Unwrap() error { return e.Err }

// Validate returns every problem with c, each a *FieldError.
func (c Config) Validate() error {
	var errs []error
	if c.Name != "" {
		if err := checkName(c.Name); err != nil {
			errs = append(errs, &FieldError{"name", err})
		}
	}
	if _, err := c.baseURL(); err != nil {
		errs = append(errs, &FieldError{"url", err})
	}
	if c.PublicKey == "" {
		errs = append(errs, &FieldError{"public_key", errors.New("required: the helpline's minisign public key (\"RW...\")")})
	} else if _, err := ParsePublicKey(c.PublicKey); err != nil {
		errs = append(errs, &FieldError{"public_key", err})
	}
	if c.Poll != 0 && c.Poll < time.Minute {
		errs = append(errs, &FieldError{"poll", fmt.Errorf("must be at least 1m, not %s", c.Poll)})
	}
	return errors.Join(errs...)
}

// baseURL returns the feed directory's URL, ending in '/'.
func (c Config) baseURL() (*url.URL, error) {
	if c.URL == "" {
		return nil, errors.New("required: the feed directory's https URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", c.URL, err)
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("%q has no host", c.URL)
	case u.User != nil:
		return nil, fmt.Errorf("%q carries a user name or password; feeds are public, and the URL gets logged", c.URL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q has a query or fragment; it must name the feed directory", c.URL)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("%q: plain http is allowed to a loopback address only; use https", c.URL)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%q: the scheme must be https", c.URL)
	}
	if strings.HasSuffix(u.Path, "/"+ManifestFile) {
		u.Path = strings.TrimSuffix(u.Path, ManifestFile)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Options are what a Subscription needs besides its Config. Zero fields
// take their defaults, except StateDir.
type Options struct {
	// StateDir is this feed's own directory, where the verified copy is
	// kept (created if missing). Required.
	StateDir string
	// HTTPClient fetches the feed; nil uses one with connection and header
	// timeouts. Its redirects are limited to 5 and to the same scheme.
	HTTPClient *http.Client
	// Limits bound the lists; see Limits for defaults.
	Limits Limits
	// MaxManifestBytes bounds manifest.json; default 1 MiB.
	MaxManifestBytes int64
	// Timeout bounds one whole Update; default 5 minutes.
	Timeout time.Duration
	// ClockSkew is how far in the future a manifest's issued time may be;
	// default 1 hour.
	ClockSkew time.Duration
	// Accept, if set, is called for each list of a manifest that is
	// otherwise valid, in Update and Load; an error refuses the manifest.
	// The caller checks Category and Format against package blocklist here.
	Accept func(List) error
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives Poll's refusals and Load's stale warnings; default
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	if o.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		o.HTTPClient = &http.Client{Transport: t}
	}
	c := *o.HTTPClient // a copy: the caller's client keeps its own redirect policy
	c.CheckRedirect = sameSchemeRedirects
	o.HTTPClient = &c
	if o.MaxManifestBytes <= 0 {
		o.MaxManifestBytes = 1 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func sameSchemeRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if from := via[0].URL.Scheme; req.URL.Scheme != from {
		return fmt.Errorf("refusing a redirect from %s to %s (%s)", from, req.URL.Scheme, req.URL.Redacted())
	}
	return nil
}
