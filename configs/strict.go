package configs

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/amane-dns/amane/internal/fielderr"
)

// DecodeStrict decodes src over dst (a pointer to a struct holding the
// defaults, with toml tags) as strictly as Parse does for the appliance's
// file, then runs validate, whose fielderr errors name dotted keys. The
// error, if any, is Problems sorted by line: "FILE:LINE: KEY: problem".
// Other programs of amane (amane-helpline) read their files with it.
func DecodeStrict(name string, src []byte, dst any, validate func() error) error {
	root := reflect.ValueOf(dst).Elem()
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(src), &top)
	if err != nil { // a syntax error: nothing after it can be trusted
		return Problems{decodeProblem(name, err)}
	}
	loc := newLocator(src)
	var ps Problems
	broken := map[string]bool{}
	unknown := map[string]bool{}
	decodeKeys(&md, top, root, "", func(key string, err error) {
		if err == nil {
			unknown[key] = true
			return
		}
		ps = append(ps, decodeProblem(name, err))
		broken[key] = true
	})
	for _, k := range md.Undecoded() {
		unknown[k.String()] = true
	}
	known := knownKeys(root.Type(), "")
	for k := range unknown {
		msg := "unknown key"
		if s := suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		ps = append(ps, Problem{File: name, Line: loc.line(k), Key: k, Msg: msg})
	}
	if validate != nil {
		for _, err := range fielderr.Flatten(validate()) {
			p := Problem{File: name, Msg: err.Error()}
			var fe interface{ Field() string }
			if errors.As(err, &fe) {
				p.Key = fe.Field()
				p.Line = loc.line(p.Key)
				p.Msg = strings.TrimPrefix(p.Msg, p.Key+": ")
			}
			if !broken[indexRe.ReplaceAllString(p.Key, "")] { // already said: it did not decode
				ps = append(ps, p)
			}
		}
	}
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return ps
	}
	return nil
}

// KeysOf lists the dotted keys that the struct v (or *v) accepts, from its
// toml tags: for a file's reference documentation and its completeness
// test.
func KeysOf(v any) []string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return knownKeys(t, "")
}
