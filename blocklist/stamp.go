package blocklist

import (
	"os"
	"time"
)

// fileStamp is what the file system says of a file without reading it:
// size, modification and change times (nanoseconds since 1970), inode and
// device. A boot trusts a list's recorded SHA-256 without hashing the file
// again while its stamp is the same (issue 14: hashing 30 MB of lists took
// most of a boot's load; a Raspberry Pi hashes at about 100 MB/s).
//
// That is the check make, rsync and git rely on, and it holds because the
// kernel sets the change time on every write and rename and nothing can set
// it back. It fails only for a write within the same tick of the file
// system's clock as the last one before the stamp was taken ("racy git"):
// so a stamp is recorded only when the file is unchanged across the whole
// parse and its last change is at least stillFor older than the end of the
// parse; a later write then always lands in a later tick and changes the
// stamp. A file that was too fresh is recorded without a stamp and hashed
// at every boot until the lists are compiled again. The zero fileStamp is
// never trusted; where the system gives no inode (not Linux), none is made.
type fileStamp struct {
	Size, Mod, Change int64
	Ino, Dev          uint64
}

// stillFor is how long a file must have been unchanged for its stamp to
// be recorded: more than the coarsest timestamps of a file system a list
// may live on (FAT keeps modification times to 2 s).
const stillFor = 3 * time.Second

// valid reports whether st may be trusted when it matches.
func (st fileStamp) valid() bool { return st != fileStamp{} }

// stampOf returns fi's stamp, and false where the system gives none.
func stampOf(fi os.FileInfo) (fileStamp, bool) { return sysStamp(fi) }

// stableStamp returns the stamp to record for a file whose info was
// before when it was opened and after once parsed, at now (the wall clock,
// which the file system's timestamps follow): zero unless the file stayed
// the same and had been still for stillFor.
func stableStamp(before, after os.FileInfo, now time.Time) fileStamp {
	a, ok1 := stampOf(before)
	b, ok2 := stampOf(after)
	if !ok1 || !ok2 || a != b {
		return fileStamp{}
	}
	last := time.Unix(0, max(a.Mod, a.Change))
	if now.Sub(last) < stillFor {
		return fileStamp{}
	}
	return a
}
