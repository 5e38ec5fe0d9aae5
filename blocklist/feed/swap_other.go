//go:build !linux

package feed

import "errors"

// exchangeDirs is not available here; installDir falls back to two renames.
func exchangeDirs(a, b string) error {
	return errors.New("no atomic exchange on this system")
}
