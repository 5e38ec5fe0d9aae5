//go:build !linux

package blocklist

import "os"

// sysStamp gives no stamp outside Linux: lists are hashed at every boot.
func sysStamp(os.FileInfo) (fileStamp, bool) { return fileStamp{}, false }
