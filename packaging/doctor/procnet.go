package doctor

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// holder is a process holding a socket on the port being checked. Without
// root's rights only the socket's user is known (pid 0).
type holder struct {
	pid   int
	name  string // the process's comm, cut by the kernel at 15 bytes
	user  string // the socket's owner, by name if it has one
	inode string
}

// socketHolders finds who holds a socket that would keep amane from
// binding ap: a UDP socket, or a listening TCP one, on the same port and
// an overlapping address (the wildcard overlaps every address). It reads
// /proc/net for the sockets and /proc/PID/fd for their owners.
func (d *Doctor) socketHolders(ap netip.AddrPort) []holder {
	var hs []holder
	for _, f := range []string{"udp", "udp6", "tcp", "tcp6"} {
		hs = append(hs, d.procNetSockets(f, ap)...)
	}
	if len(hs) == 0 {
		return nil
	}
	byInode := map[string]*holder{}
	for i := range hs {
		byInode[hs[i].inode] = &hs[i]
	}
	pids, _ := filepath.Glob(filepath.Join(d.Proc, "[0-9]*"))
	for _, dir := range pids {
		fds, _ := os.ReadDir(filepath.Join(dir, "fd")) // only our own without root
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			inode, ok := strings.CutPrefix(link, "socket:[")
			if h := byInode[strings.TrimSuffix(inode, "]")]; err == nil && ok && h != nil && h.pid == 0 {
				h.pid, _ = strconv.Atoi(filepath.Base(dir))
				comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
				h.name = strings.TrimSpace(string(comm))
			}
		}
	}
	return hs
}

// procNetSockets reads one of /proc/net/{udp,udp6,tcp,tcp6}:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	 0: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   991        0 17215 ...
func (d *Doctor) procNetSockets(file string, want netip.AddrPort) []holder {
	f, err := os.Open(filepath.Join(d.Proc, "net", file))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []holder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || (strings.HasPrefix(file, "tcp") && fields[3] != "0A") { // 0A: LISTEN
			continue
		}
		local, err := parseProcAddr(fields[1])
		if err != nil || local.Port() != want.Port() || !overlap(local.Addr(), want.Addr()) {
			continue
		}
		who := fields[7]
		if u, err := user.LookupId(who); err == nil {
			who = u.Username
		}
		out = append(out, holder{user: who, inode: fields[9]})
	}
	return out
}

// parseProcAddr reads "0100007F:0035": the address as the kernel's
// 32-bit words printed in the machine's byte order, then the port.
func parseProcAddr(s string) (netip.AddrPort, error) {
	ahex, phex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ahex)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("reading socket address %q", s)
	}
	port, err := strconv.ParseUint(phex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("reading socket port %q: %w", s, err)
	}
	for i := 0; i < len(raw); i += 4 { // each word back to its bytes in memory
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

func overlap(a, b netip.Addr) bool {
	return a.IsUnspecified() || b.IsUnspecified() || a == b.Unmap()
}

// isAmane says whether amane holds the socket: by its process name
// (amane, or a release binary such as amane-linux-arm64), or, without
// root's rights, by the user the packages run it as.
func isAmane(hs []holder) bool {
	for _, h := range hs {
		if strings.HasPrefix(h.name, "amane") || (h.pid == 0 && h.user == serviceUser) {
			return true
		}
	}
	return false
}

// describe names the holders for a person: "systemd-resolve (pid 412,
// user systemd-resolve)", or only the user when the process is not known.
func describe(hs []holder) string {
	if len(hs) == 0 {
		return "another program"
	}
	h := hs[0]
	if h.pid == 0 {
		return "a program of user " + h.user
	}
	return fmt.Sprintf("%s (pid %d, user %s)", h.name, h.pid, h.user)
}
