package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped by release builds:
// -ldflags "-X main.version=v1.0.0 -X main.commit=abc123".
var (
	version = "dev"
	commit  = ""
)

func versionString() string {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("amane %s (commit %s, %s, %s/%s)", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
