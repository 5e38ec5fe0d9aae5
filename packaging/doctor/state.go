package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/amane-dns/amane/configs"
)

// serviceUser is the user the Debian and OpenWrt packages run amane as.
const serviceUser = "amane"

// checkStateDir checks that the state directory exists, can be written by
// amane, and has room for a new copy of every list beside the old one.
func (d *Doctor) checkStateDir(cfg *configs.File) []Result {
	dir := cfg.StateDir
	res := Result{Check: "state", Status: Warn}
	if dir == "" {
		res.Msg = "state_dir is empty: lists and the cache are not kept, so after a reboot nothing is blocked until every list downloads again"
		res.Fix = `set state_dir = "/var/lib/amane"`
		return []Result{res}
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Msg = dir + " does not exist yet"
		res.Fix = "the packaged service creates it when it starts (sudo systemctl start amane); by hand: sudo install -d -o amane -g amane " + dir
		return []Result{res}
	case err == nil && !fi.IsDir():
		err = errors.New("not a directory")
	}
	if err != nil {
		res.Status, res.Msg, res.Fix = Fail, dir+": "+err.Error(), "set state_dir to a directory amane may write, such as /var/lib/amane"
		return []Result{res}
	}
	return []Result{d.writable(dir, fi), d.space(dir)}
}

func (d *Doctor) writable(dir string, fi fs.FileInfo) Result {
	res := Result{Check: "state", Status: Fail}
	f, err := os.CreateTemp(dir, ".amane-doctor-*")
	if err == nil {
		f.Close()
		os.Remove(f.Name())
	}
	switch {
	case errors.Is(err, syscall.EROFS):
		res.Msg = dir + " is on a read-only file system: a worn or failing SD card turns read-only"
		res.Fix = "look at the kernel's log (dmesg | grep -i -e mmc -e ext4); copy /etc/amane off and replace the card"
		return res
	case err != nil && *d.Root:
		res.Msg, res.Fix = "cannot write in "+dir+": "+err.Error(), "sudo chown -R amane:amane "+dir
		return res
	case err != nil:
		res.Status, res.Msg, res.Fix = Warn, "cannot test writing "+dir+" as this user", "run sudo amane doctor"
		return res
	}
	if u, err := user.Lookup(serviceUser); err == nil && *d.Root {
		uid, ok := fileOwner(fi)
		if ok && strconv.Itoa(uid) != u.Uid && fi.Mode().Perm()&0o002 == 0 {
			res.Msg = fmt.Sprintf("%s belongs to user id %d, but amane runs as %s (%s)", dir, uid, serviceUser, u.Uid)
			res.Fix = "sudo chown -R amane:amane " + dir + " (the packaged unit does it at each start)"
			return res
		}
	}
	res.Status, res.Msg = OK, dir+" is writable"
	return res
}

// space warns when the disk could not take a new copy of every list and
// the saved cache beside the old ones, which is how amane replaces them.
func (d *Doctor) space(dir string) Result {
	res := Result{Check: "disk"}
	free, total, err := d.System.DiskSpace(dir)
	if err != nil {
		res.Status, res.Msg = Warn, "cannot read the free space of "+dir+": "+err.Error()
		return res
	}
	used := dirSize(dir)
	need := 2*used + 16<<20
	res.Msg = fmt.Sprintf("%s free of %s; amane keeps %s in %s", mib(free), mib(total), mib(used), dir)
	const fix = "make room on that disk (sudo apt-get clean; sudo journalctl --vacuum-size=50M; OpenWrt: remove packages), or drop the largest lists"
	switch {
	case free < need:
		res.Status, res.Msg, res.Fix = Fail, res.Msg+": not enough to write the next copy of the lists", fix
	case free < 2*need || free < total/20:
		res.Status, res.Msg, res.Fix = Warn, res.Msg+": nearly full", fix
	}
	return res
}

// dirSize adds up the sizes of the regular files under dir.
func dirSize(dir string) uint64 {
	var n uint64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += uint64(fi.Size())
			}
		}
		return nil
	})
	return n
}

func mib(b uint64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.0f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// checkLeases looks for the DHCP leases file that identifying devices by
// MAC will read (issue 4): no configuration key names it yet, so this is
// advice about the usual places.
func (d *Doctor) checkLeases() Result {
	res := Result{Check: "leases", Status: OK}
	for _, p := range d.LeaseFiles {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			res.Status, res.Msg = Warn, p+" is not readable: "+err.Error()
			res.Fix = "identifying devices by MAC (coming) will read it as user amane: sudo chmod 644 " + p
			return res
		}
		f.Close()
		res.Msg = p + " is readable, for the coming identification of devices by MAC"
		return res
	}
	res.Msg = "no DHCP leases file on this machine: behind a router, devices are told apart by the MAC its dnsmasq adds (add-mac, see packaging/README.md)"
	return res
}
