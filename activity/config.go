package activity

import (
	"errors"
	"time"

	"github.com/amane-dns/amane/internal/fielderr"
)

// The privacy modes of [activity] log.
const (
	LogChildren = "children" // children's profiles per name, everyone else counted
	LogAll      = "all"      // every profile per name
	LogCounts   = "counts"   // counts only: no name is kept anywhere
	LogOff      = "off"      // nothing is kept
)

// Config is the [activity] section.
type Config struct {
	// Log is the privacy mode: "children" (the default), "all", "counts"
	// or "off". A [[profile]] or [[device]] with activity = false is never
	// logged nor counted, whatever the mode.
	Log string `toml:"log"`
	// Retention is how long hourly aggregates are kept (default 720h).
	Retention time.Duration `toml:"retention"`
	// Recent is how many answers are kept in memory per device (default
	// 500); they do not survive a restart.
	Recent int `toml:"recent"`
	// Language is the parents' language for alerts: "en" (default), "fr"
	// or "ar".
	Language string `toml:"language"`
}

// Bounds of what the writer holds in memory, whatever the configuration.
const (
	// MaxDevices is how many devices have a log in memory; the one seen
	// longest ago gives its place to a new one.
	MaxDevices = 256
	// TopNames is how many names an hourly aggregate keeps per device.
	TopNames = 20
	// trackNames is how many distinct names an hour tracks per device to
	// find its top ones (space-saving: a new name replaces the rarest).
	trackNames = 4 * TopNames
	maxRecent  = 10000
	// maxApps bounds the apps a stored hour may hold: a damaged record
	// never makes the writer allocate more.
	maxApps = 1024
)

// DefaultConfig is [activity] when the file does not say.
func DefaultConfig() Config {
	return Config{Log: LogChildren, Retention: 720 * time.Hour, Recent: 500, Language: "en"}
}

// Validate names the key of each problem.
func (c *Config) Validate() error {
	var errs []error
	switch c.Log {
	case LogChildren, LogAll, LogCounts, LogOff:
	default:
		errs = append(errs, fielderr.New("activity.log", "%q is not a mode: say \"children\", \"all\", \"counts\" or \"off\"", c.Log))
	}
	if c.Retention < time.Hour {
		errs = append(errs, fielderr.New("activity.retention", "%v is too short: keep at least an hour (\"720h\" is 30 days)", c.Retention))
	}
	if c.Recent < 0 || c.Recent > maxRecent {
		errs = append(errs, fielderr.New("activity.recent", "%d is out of range: 0 to %d answers per device", c.Recent, maxRecent))
	}
	switch c.Language {
	case "en", "fr", "ar":
	default:
		errs = append(errs, fielderr.New("activity.language", "%q is not a language amane speaks: say \"en\", \"fr\" or \"ar\"", c.Language))
	}
	return errors.Join(errs...)
}
