// Package configs reads amane's TOML configuration: strict decoding (an
// unknown key, a wrong type or an invalid value is an error naming the file,
// the line and the key), defaults in one place, validation delegated to each
// package's own Config, and a watch that reports changes to the file. It
// composes the domain packages' configurations; none of them imports it.
//
// The directory also holds the example configuration files.
package configs

import (
	_ "embed"
	"encoding"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/admin/adminconfig"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/policy"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/resolver"
)

// File is the appliance's whole configuration file.
type File struct {
	// StateDir holds the appliance's state: the saved cache, the last good
	// lists, the bbolt database. Empty keeps nothing across restarts.
	StateDir string                   `toml:"state_dir"`
	Log      LogConfig                `toml:"log"`
	Server   resolver.ServerConfig    `toml:"server"`
	Upstream resolver.UpstreamConfig  `toml:"upstream"`
	Cache    resolver.CacheConfig     `toml:"cache"`
	Local    resolver.LocalConfig     `toml:"local"`
	Lists    []blocklist.SourceConfig `toml:"list"`
	Feeds    []feed.Config            `toml:"feed"`
	Helpline reports.Config           `toml:"helpline"`
	// Catalog tunes the built-in catalog's default sources.
	Catalog catalog.Config `toml:"catalog"`
	// What happened, for the parents: see packages activity and alert.
	Activity activity.Config  `toml:"activity"`
	Alerts   []alert.Config   `toml:"alert"`
	SMTP     alert.SMTPConfig `toml:"smtp"`
	// Admin is the parents' console (package admin).
	Admin adminconfig.Config `toml:"admin"`

	// The policy: see package policy.
	Timezone    string                 `toml:"timezone"`
	AlwaysAllow []string               `toml:"always_allow"`
	Filter      policy.FilterConfig    `toml:"filter"`
	Profiles    []policy.ProfileConfig `toml:"profile"`
	Devices     []policy.DeviceConfig  `toml:"device"`
	Networks    []policy.NetworkConfig `toml:"network"`
	Identify    policy.IdentifyConfig  `toml:"identify"`

	// Path is the file this was read from ("" for the embedded default).
	Path string `toml:"-"`
	// Console is what state_dir/console.toml added to the file (nil:
	// nothing); its objects are the last of Profiles and Devices.
	Console *Console `toml:"-"`
}

// LogConfig sets what the daemon logs.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// Resolver returns the resolver's part of the file.
func (f *File) Resolver() resolver.Config {
	return resolver.Config{Server: f.Server, Upstream: f.Upstream, Cache: f.Cache, Local: f.Local}
}

// Policy returns the policy's part of the file.
func (f *File) Policy() policy.Config {
	return policy.Config{
		Timezone: f.Timezone, AlwaysAllow: f.AlwaysAllow, Filter: f.Filter,
		Profiles: f.Profiles, Devices: f.Devices, Networks: f.Networks, Identify: f.Identify,
	}
}

// Defaults returns the configuration that a file's keys override.
func Defaults() *File {
	r := resolver.DefaultConfig()
	return &File{
		Log:    LogConfig{Level: "info", Format: "text"},
		Server: r.Server, Upstream: r.Upstream, Cache: r.Cache, Local: r.Local,
		Filter:   policy.DefaultFilterConfig(),
		Activity: activity.DefaultConfig(),
		Admin:    adminconfig.Default(),
	}
}

//go:embed default.toml
var defaultTOML []byte

// Default returns the embedded configuration that `amane serve` runs on
// when it is given no file.
func Default() *File {
	f, err := Parse("(embedded default)", defaultTOML)
	if err != nil {
		panic("the embedded default configuration is invalid: " + err.Error())
	}
	f.Path = ""
	return f
}

// Load reads and validates the file at path, and the console's settings
// in its state_dir (ConsoleFile), if any.
func Load(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	if f.StateDir != "" && !filepath.IsAbs(f.StateDir) {
		f.StateDir = filepath.Join(filepath.Dir(path), f.StateDir)
	}
	if err := f.loadConsole(); err != nil {
		return nil, err
	}
	return f, nil
}

// Problem is one thing wrong with a configuration file.
type Problem struct {
	File string
	Line int // 0 when the line is not known
	Key  string
	Msg  string
}

func (p Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Key == "" {
		return loc + ": " + p.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Msg)
}

// Problems is every problem found in a file; Parse returns all of them at
// once so that a parent fixes the file in one go.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Parse decodes src strictly over the defaults and validates the result.
// The error, if any, is Problems, sorted by line. Each top-level section
// is decoded on its own, so that a wrong value in one section does not
// hide the problems of the others.
func Parse(name string, src []byte) (*File, error) {
	f := Defaults()
	if err := DecodeStrict(name, src, f, f.validate); err != nil {
		return nil, err
	}
	f.Path = name
	return f, nil
}

// decodeKeys decodes each key of a table into the matching field of dst on
// its own, recursing into tables, so that one wrong value costs only itself
// and every other problem in the file is still found. Keys with no field
// are reported to fail with a nil error.
func decodeKeys(md *toml.MetaData, table map[string]toml.Primitive, dst reflect.Value, prefix string, fail func(string, error)) {
	fields := map[string]reflect.Value{}
	for i := range dst.NumField() {
		if tag := strings.Split(dst.Type().Field(i).Tag.Get("toml"), ",")[0]; tag != "" && tag != "-" {
			fields[tag] = dst.Field(i)
		}
	}
	for key, prim := range table {
		fv, ok := fields[key]
		if !ok {
			fail(prefix+key, nil)
			continue
		}
		if fv.Kind() == reflect.Struct && fv.Type().NumField() > 0 && !fv.Addr().Type().Implements(textUnmarshaler) {
			var sub map[string]toml.Primitive
			if err := md.PrimitiveDecode(prim, &sub); err == nil {
				decodeKeys(md, sub, fv, prefix+key+".", fail)
				continue
			}
		}
		if err := md.PrimitiveDecode(prim, fv.Addr().Interface()); err != nil {
			fail(prefix+key, err)
		}
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// typeErrRe reads the position out of the decoder's type errors, which it
// reports as text: `toml: line 3 (last key "server.listen"): message`.
var typeErrRe = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

func decodeProblem(name string, err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Problem{File: name, Line: pe.Position.Line, Key: pe.LastKey, Msg: tomlMessage(pe)}
	}
	if m := typeErrRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: name, Line: line, Key: m[2], Msg: m[3]}
	}
	return Problem{File: name, Msg: err.Error()}
}

func (f *File) validate() error {
	var errs []error
	switch f.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fielderr.New("log.level", "%q is not debug, info, warn or error", f.Log.Level))
	}
	if f.Log.Format != "text" && f.Log.Format != "json" {
		errs = append(errs, fielderr.New("log.format", "%q is not text or json", f.Log.Format))
	}
	r := f.Resolver()
	pc := f.Policy()
	errs = append(errs, r.Validate(), pc.Validate(), blocklist.ValidateSources(f.Lists))
	errs = append(errs, fielderr.Flatten(f.Helpline.Validate())...)
	errs = append(errs, fielderr.Within("catalog", f.Catalog.Validate())...)
	errs = append(errs, fielderr.Flatten(f.Admin.Validate())...)
	for i, fc := range f.Feeds {
		errs = append(errs, fielderr.Within(fmt.Sprintf("feed[%d]", i), fc.Validate())...)
	}
	errs = append(errs, fielderr.Flatten(f.Activity.Validate())...)
	mail := false
	for i, ac := range f.Alerts {
		errs = append(errs, fielderr.Within(fmt.Sprintf("alert[%d]", i), ac.Validate())...)
		mail = mail || strings.HasPrefix(ac.To, "mailto:")
	}
	errs = append(errs, fielderr.Flatten(f.SMTP.Validate(mail))...)
	return errors.Join(errs...)
}

// tomlMessage is the decoder's message without its own position prefix.
func tomlMessage(pe toml.ParseError) string {
	msg := pe.Message
	if pe.LastKey != "" {
		msg = strings.TrimPrefix(msg, pe.LastKey+": ")
	}
	if msg == "" {
		msg = pe.Error()
	}
	return msg
}
