package web

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Lang is a language the consoles speak, as its BCP 47 primary subtag.
type Lang string

// The languages of the consoles and the block page. Arabic is read in
// Morocco with Western digits (CLDR ar-MA), which is what the formatting
// helpers write.
const (
	English Lang = "en"
	French  Lang = "fr"
	Arabic  Lang = "ar"
)

// Langs lists every language, the default first.
var Langs = []Lang{English, French, Arabic}

// Dir returns the writing direction of lang for the dir attribute: "rtl" or "ltr".
func (l Lang) Dir() string {
	if l == Arabic {
		return "rtl"
	}
	return "ltr"
}

// Name returns the language's name in itself, for a language switch.
func (l Lang) Name() string {
	switch l {
	case French:
		return "Français"
	case Arabic:
		return "العربية"
	}
	return "English"
}

func parseLang(s string) (Lang, bool) {
	l := Lang(strings.ToLower(s))
	return l, slices.Contains(Langs, l)
}

//go:embed locales/*.json
var baseLocales embed.FS

// message is one catalog entry: a text, or one text per plural form.
type message struct {
	text   string
	plural map[string]string // nil for a plain text
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	m.plural = map[string]string{}
	if err := json.Unmarshal(b, &m.plural); err != nil {
		return errors.New("a message is a string or an object of plural forms")
	}
	return nil
}

// Catalogs holds the messages of every language: the shared ones of this
// package (navigation, login, states, durations, weekdays) and those of the
// console built on it. Immutable after NewCatalogs.
type Catalogs struct {
	msgs map[Lang]map[string]message
}

// NewCatalogs loads this package's catalogs and then, from each of extra,
// the files en.json, fr.json and ar.json (a console's own messages). A key
// defined twice is an error, as is a file that does not parse; a key
// missing from a language is not (Check says so), so that a console can
// start while a translation is late.
func NewCatalogs(extra ...fs.FS) (*Catalogs, error) {
	sub, err := fs.Sub(baseLocales, "locales")
	if err != nil {
		return nil, err
	}
	c := &Catalogs{msgs: map[Lang]map[string]message{}}
	for _, l := range Langs {
		c.msgs[l] = map[string]message{}
	}
	for i, fsys := range append([]fs.FS{sub}, extra...) {
		for _, l := range Langs {
			name := string(l) + ".json"
			b, err := fs.ReadFile(fsys, name)
			if errors.Is(err, fs.ErrNotExist) && i > 0 {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("loading catalog %s: %w", name, err)
			}
			var m map[string]message
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("loading catalog %s: %w", name, err)
			}
			for k, v := range m {
				if _, dup := c.msgs[l][k]; dup {
					return nil, fmt.Errorf("loading catalog %s: key %q is already defined", name, k)
				}
				c.msgs[l][k] = v
			}
		}
	}
	return c, nil
}

var verbRE = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// Check returns every problem that would show a parent a key instead of
// a text: a key missing from a language, a plural message missing one of
// its language's forms (or a plain text where a plural is expected), and
// a text whose format verbs differ from the English one's. A console's
// test calls it on its catalogs.
func (c *Catalogs) Check() error {
	keys := map[string]bool{}
	for _, l := range Langs {
		for k := range c.msgs[l] {
			keys[k] = true
		}
	}
	var errs []error
	for _, k := range sortedKeys(keys) {
		en, enOK := c.msgs[English][k]
		for _, l := range Langs {
			m, ok := c.msgs[l][k]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s.json: key %q is missing", l, k))
			case enOK && (m.plural == nil) != (en.plural == nil):
				errs = append(errs, fmt.Errorf("%s.json: key %q must be plural in every language or in none", l, k))
			case m.plural != nil:
				for _, f := range PluralForms(l) {
					if _, ok := m.plural[f]; !ok {
						errs = append(errs, fmt.Errorf("%s.json: key %q lacks the plural form %q", l, k, f))
					}
				}
				for f := range m.plural {
					if !slices.Contains(PluralForms(l), f) {
						errs = append(errs, fmt.Errorf("%s.json: key %q has %q, not a plural form of %s", l, k, f, l))
					}
				}
			case enOK && !slices.Equal(verbs(m.text), verbs(en.text)):
				errs = append(errs, fmt.Errorf("%s.json: key %q has verbs %v, English has %v", l, k, verbs(m.text), verbs(en.text)))
			}
		}
	}
	return errors.Join(errs...)
}

func verbs(s string) []string {
	v := verbRE.FindAllString(s, -1)
	sort.Strings(v)
	return v
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// For returns the Localizer of lang (English for a language not offered).
func (c *Catalogs) For(lang Lang) *Localizer {
	if _, ok := c.msgs[lang]; !ok {
		lang = English
	}
	return &Localizer{lang: lang, msgs: c.msgs[lang]}
}

// Localizer writes the texts, counts, clocks and numbers of one language.
type Localizer struct {
	lang Lang
	msgs map[string]message
}

// Lang returns the localizer's language.
func (l *Localizer) Lang() Lang { return l.lang }

// T returns the text of key, formatted with args as by fmt.Sprintf. A key
// the catalog lacks comes back as itself, so that it shows (and the
// catalog test names it) rather than an empty space.
func (l *Localizer) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return key
	}
	text := m.text
	if m.plural != nil {
		text = m.plural[Other]
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// Plural returns the text of key in the plural form that n takes in the
// localizer's language, formatted with args (usually n itself).
func (l *Localizer) Plural(key string, n int, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		return key
	}
	text := m.text
	if m.plural != nil {
		text, ok = m.plural[PluralForm(l.lang, n)]
		if !ok {
			text = m.plural[Other]
		}
	}
	// A form may leave the count out ("جهازان", two devices): Sprintf
	// would then append "%!(EXTRA ...)", so only the verbs used are fed.
	if nv := len(verbRE.FindAllString(strings.ReplaceAll(text, "%%", ""), -1)); nv < len(args) {
		args = args[:nv]
	}
	return fmt.Sprintf(text, args...)
}
