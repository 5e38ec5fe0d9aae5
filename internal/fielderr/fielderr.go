// Package fielderr is the error a package's Config.Validate returns for one
// key: it carries the key's dotted path, so that the configs package can
// point at the line of the file that set it. It is a leaf: every domain
// package may use it without importing configs.
package fielderr

import "fmt"

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
