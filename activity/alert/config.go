package alert

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strings"

	"github.com/amane-dns/amane/internal/fielderr"
)

// The kinds of alert, as [[alert]] events names them.
const (
	Abuse              = "abuse"               // a child's device tried a mandatory category
	Adult              = "adult"               // a child's device tried an adult site
	Bypass             = "bypass"              // a child's device tried to go around the filter
	NewDevice          = "new-device"          // an address amane had never seen asked something
	BudgetSpent        = "budget-spent"        // a device's time for a category is used up
	AskParent          = "ask-parent"          // a child asked from the block page
	ReportAcknowledged = "report-acknowledged" // the helpline received a report
)

// Kinds are every kind, the default of events.
var Kinds = []string{Abuse, Adult, Bypass, NewDevice, BudgetSpent, AskParent, ReportAcknowledged}

// Config is one [[alert]]: where to send, and what.
type Config struct {
	// To is an ntfy topic URL ("https://ntfy.sh/our-family-7f3k"), an
	// address ("mailto:mum@example.com", sent through [smtp]), or a JSON
	// webhook ("webhook:http://homeassistant.lan:8123/api/webhook/amane").
	To string `toml:"to"`
	// Events are the kinds sent there; empty is all of them.
	Events []string `toml:"events"`
}

// SMTPConfig is the [smtp] section: the relay that mailto: alerts go
// through. amane speaks STARTTLS and nothing less.
type SMTPConfig struct {
	Host         string `toml:"host"`
	Port         int    `toml:"port"`          // default 587
	User         string `toml:"user"`          // "": no authentication
	PasswordFile string `toml:"password_file"` // the password, alone in a file readable by amane only
	From         string `toml:"from"`
	// CAFile is a PEM file of certificates to trust beside the system's:
	// for a relay on the LAN with its own certificate.
	CAFile string `toml:"ca_file"`
}

// Validate names the key of each problem (relative to the [[alert]]).
func (c *Config) Validate() error {
	var errs []error
	if _, err := parseTo(c.To); err != nil {
		errs = append(errs, fielderr.New("to", "%v", err))
	}
	for i, e := range c.Events {
		if !known(e) {
			errs = append(errs, fielderr.New(fmt.Sprintf("events[%d]", i), "%q is not an alert: say one of %s", e, strings.Join(Kinds, ", ")))
		}
	}
	return errors.Join(errs...)
}

func known(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Validate names the key of each problem; an empty [smtp] is valid (no
// mail is sent). mail says whether some [[alert]] sends mail.
func (c *SMTPConfig) Validate(mail bool) error {
	var errs []error
	if c.Host == "" {
		if mail {
			errs = append(errs, fielderr.New("smtp.host", "an [[alert]] sends mail, so [smtp] needs a host"))
		}
		return errors.Join(errs...)
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fielderr.New("smtp.port", "%d is not a port", c.Port))
	}
	if _, err := parseAddress(c.From); err != nil {
		errs = append(errs, fielderr.New("smtp.from", "%v", err))
	}
	if c.User != "" && c.PasswordFile == "" {
		errs = append(errs, fielderr.New("smtp.password_file", "user is set: say which file holds the password"))
	}
	if c.PasswordFile != "" {
		if _, err := os.Stat(c.PasswordFile); err != nil {
			errs = append(errs, fielderr.New("smtp.password_file", "%v", err))
		}
	}
	return errors.Join(errs...)
}

// dest is a parsed To.
type dest struct {
	kind string // "ntfy", "mail" or "webhook"
	url  string // ntfy and webhook
	addr string // mail
}

func parseTo(to string) (dest, error) {
	switch {
	case strings.HasPrefix(to, "mailto:"):
		a, err := parseAddress(strings.TrimPrefix(to, "mailto:"))
		return dest{kind: "mail", addr: a}, err
	case strings.HasPrefix(to, "webhook:"):
		u := strings.TrimPrefix(to, "webhook:")
		return dest{kind: "webhook", url: u}, checkURL(u)
	case to == "":
		return dest{}, errors.New("say where: an ntfy topic URL, mailto:ADDRESS or webhook:URL")
	}
	return dest{kind: "ntfy", url: to}, checkURL(to)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

func parseAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an e-mail address", s)
	}
	return a.Address, nil
}
