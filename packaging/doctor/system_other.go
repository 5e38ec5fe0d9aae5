//go:build !linux

package doctor

import (
	"errors"
	"io/fs"
)

// errNotLinux is what the kernel probes say elsewhere: amane's appliances
// run Linux, and the doctor is built everywhere only so the command is.
var errNotLinux = errors.New("this check needs Linux")

func clockSynced() (bool, error) { return false, errNotLinux }

func diskSpace(string) (free, total uint64, err error) { return 0, 0, errNotLinux }

func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }
