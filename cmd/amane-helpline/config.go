package main

import (
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"time"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/console"
	"github.com/amane-dns/amane/reports/pgstore"
)

// config is the helpline's configuration file (configs/helpline.toml is
// the commented example). Relative paths are relative to the file.
type config struct {
	StateDir string               `toml:"state_dir"` // helpline.db and control.sock; required unless Store is PostgreSQL
	Store    pgstore.Config       `toml:"store"`     // empty: the embedded bbolt store in StateDir
	Intake   reports.IntakeConfig `toml:"intake"`
	Feed     feedConfig           `toml:"feed"`
	Reporter reports.Reporter     `toml:"reporter"` // who the helpline is, in XARF exports
	Console  console.Config       `toml:"console"`  // the operators' console; off when its listen is empty

	path string // the file it was read from
}

// feedConfig is the [feed] table: what `feed publish` signs and where it
// writes, and what `serve` serves at /feed/.
type feedConfig struct {
	Key     string        `toml:"key"`     // the secret key, from `feed keygen`
	Lists   string        `toml:"lists"`   // the operators' list files and their lists.toml
	Dir     string        `toml:"dir"`     // the published feed
	Name    string        `toml:"name"`    // the feed's name; default: the one in dir, else dir's base name
	Expires time.Duration `toml:"expires"` // how long a published manifest is valid; ≥ 1h
	Contact string        `toml:"contact"` // optional JSON file with the helpline's contact details
}

func defaultConfig() config {
	return config{Intake: reports.DefaultIntakeConfig(), Feed: feedConfig{Expires: 720 * time.Hour}}
}

// loadConfig reads path strictly: an unknown key or a bad value is an
// error "FILE:LINE: KEY: problem".
func loadConfig(path string) (*config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := defaultConfig()
	if err := configs.DecodeStrict(path, src, &c, c.validate); err != nil {
		return nil, err
	}
	c.path = path
	base := filepath.Dir(path)
	for _, p := range []*string{&c.StateDir, &c.Intake.TLSCert, &c.Intake.TLSKey, &c.Feed.Key, &c.Feed.Lists, &c.Feed.Dir, &c.Feed.Contact, &c.Store.PasswordFile, &c.Console.TLSCert, &c.Console.TLSKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	return &c, nil
}

func (c *config) validate() error {
	var errs []error
	if c.StateDir == "" && !c.Store.Enabled() {
		errs = append(errs, fielderr.New("state_dir", "required: where helpline.db is kept (or [store] postgres)"))
	}
	for _, t := range []struct {
		table string
		err   error
	}{{"intake", c.Intake.Validate()}, {"store", c.Store.Validate()}, {"console", c.Console.Validate()}} {
		for _, err := range flatten(t.err) {
			var fe *fielderr.Error
			if errors.As(err, &fe) {
				err = &fielderr.Error{Key: t.table + "." + fe.Key, Err: fe.Err}
			}
			errs = append(errs, err)
		}
	}
	if c.Console.Enabled() && c.StateDir == "" {
		errs = append(errs, fielderr.New("state_dir", "%v", errConsoleState))
	}
	if c.Console.Enabled() && c.Console.Listen == c.Intake.Listen {
		errs = append(errs, fielderr.New("console.listen", "%q is the intake's: the console needs a listener of its own, off the public network", c.Console.Listen))
	}
	if c.Feed.Expires < time.Hour {
		errs = append(errs, fielderr.New("feed.expires", "%v, want at least 1h", c.Feed.Expires))
	}
	if r := c.Reporter; r.Contact != "" {
		if _, err := mail.ParseAddress(r.Contact); err != nil {
			errs = append(errs, fielderr.New("reporter.contact", "%q is not an e-mail address", r.Contact))
		}
	}
	if r := c.Reporter; r.Domain != "" {
		if err := reports.CheckDomain(r.Domain); err != nil {
			errs = append(errs, fielderr.New("reporter.domain", "%v", err))
		}
	}
	return errors.Join(errs...)
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
