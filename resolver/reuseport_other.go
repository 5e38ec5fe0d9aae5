//go:build !linux

package resolver

import "syscall"

// reusePort is a no-op where SO_REUSEPORT is not Linux's: one socket serves.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }
