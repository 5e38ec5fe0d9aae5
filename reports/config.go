package reports

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/fielderr"
)

// Config is the appliance's `[helpline]` table: the one helpline it
// subscribes to and reports to. Without a URL there is no helpline: no
// feed from it, nothing counted, nothing sent.
type Config struct {
	// URL is the helpline's base URL: its feed is at URL/feed/ and reports
	// are posted to URL/reports. https, or http to a loopback address.
	URL string `toml:"url"`
	// PublicKey is the minisign public key that signs the helpline's feed.
	PublicKey string `toml:"public_key"`
	// ShareAgeBand sends the age band of the profile (under-9, 9-12,
	// 13-17, adult) with counts and reports; off unless the owner says so.
	ShareAgeBand bool `toml:"share_age_band"`
	// Poll is how often to ask for a new feed version (default 1h).
	Poll time.Duration `toml:"poll"`
}

// Enabled reports whether a helpline is configured.
func (c Config) Enabled() bool { return c.URL != "" }

// Feed returns the subscription to the helpline's feed.
func (c Config) Feed() feed.Config {
	return feed.Config{URL: strings.TrimSuffix(c.URL, "/") + "/" + FeedPath, PublicKey: c.PublicKey, Poll: c.Poll}
}

// Validate returns every problem with c, each naming its key
// ("helpline.url").
func (c Config) Validate() error {
	if !c.Enabled() {
		if c.PublicKey != "" || c.ShareAgeBand || c.Poll != 0 {
			return fielderr.New("helpline.url", "required when [helpline] sets anything else")
		}
		return nil
	}
	var errs []error
	if u, err := url.Parse(c.URL); err == nil && (u.RawQuery != "" || u.Fragment != "") {
		errs = append(errs, fielderr.New("helpline.url", "%q has a query or fragment; give the helpline's base URL", c.URL))
	}
	errs = append(errs, fielderr.Within("helpline", c.Feed().Validate())...)
	return errors.Join(errs...)
}

// DomainOf turns what a parent pastes — a name, a URL, an IDN — into the
// domain a report names: "https://Bad.Example/path?x" is "bad.example".
func DomainOf(s string) (string, error) {
	in := strings.TrimSpace(s)
	if strings.Contains(in, "://") {
		u, err := url.Parse(in)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("%q is neither a domain name nor a web address", s)
		}
		in = u.Hostname()
	} else if i := strings.IndexAny(in, "/?#"); i >= 0 {
		in = in[:i]
	}
	name, why := blocklist.Normalize(strings.TrimSuffix(in, "."))
	if why != blocklist.ReasonNone {
		return "", fmt.Errorf("%q is not a domain name: %s", s, why)
	}
	if err := CheckDomain(name); err != nil {
		return "", err
	}
	return name, nil
}
