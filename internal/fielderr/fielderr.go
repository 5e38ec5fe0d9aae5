// Package fielderr is the error a package's Config.Validate returns for one
// key: it carries the key's dotted path, so that the configs package can
// point at the line of the file that set it. It is a leaf: every domain
// package may use it without importing configs.
package fielderr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Error is a problem with one configuration key.
type Error struct {
	Key string // dotted path: "upstream.servers[1]", "list[2].url"
	Err error
}

// New returns an *Error for key with a formatted message.
func New(key, format string, args ...any) *Error {
	return &Error{Key: key, Err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string { return e.Key + ": " + e.Err.Error() }

// Field returns the dotted key path.
func (e *Error) Field() string { return e.Key }

func (e *Error) Unwrap() error { return e.Err }

// Flatten undoes errors.Join, so that each problem gets its own line.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// Within flattens err and puts each problem that names a key under
// prefix: a table's Validate names its keys relative to the table ("url"),
// and the file they sit in says where the table is ("feed[2].url").
func Within(prefix string, err error) []error {
	errs := Flatten(err)
	for i, e := range errs {
		var fe interface{ Field() string }
		if errors.As(e, &fe) {
			errs[i] = New(prefix+"."+fe.Field(), "%s", strings.TrimPrefix(e.Error(), fe.Field()+": "))
		}
	}
	return errs
}

// Message returns the problem without the key, for a page that shows it
// next to the field the key names.
func (e *Error) Message() string { return e.Err.Error() }

// MarshalJSON writes the error as a JSON API returns it:
// {"field": "profile.schedule[0].from", "error": "..."}.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Field string `json:"field"`
		Error string `json:"error"`
	}{e.Key, e.Message()})
}
