package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SocketDrops returns how many datagrams the kernel dropped, for want of
// receive buffer, on the UDP sockets process pid holds open now
// (/proc/net/udp and udp6, "drops" column). Sockets the process has already
// closed are not counted, so for a server that opens one socket per upstream
// query it is a lower bound.
func SocketDrops(pid int) (int64, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	inodes := make(map[string]bool, len(fds))
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var drops int64
	for _, table := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue // no IPv6
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			f := strings.Fields(line)
			if len(f) < 13 || !inodes[f[9]] {
				continue
			}
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing %s: %w", table, err)
			}
			drops += n
		}
	}
	return drops, nil
}
