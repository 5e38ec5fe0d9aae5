package appliance

import (
	"bufio"
	"encoding/csv"
	"io"
	"net"
	"os"
	"strings"
	"sync"
)

// ouiFile is the IEEE's registry of MAC prefixes as Debian's ieee-data
// package installs it (Raspberry Pi OS too). amane ships no copy: where
// the file is missing, a device's maker is simply not shown.
const ouiFile = "/usr/share/ieee-data/oui.csv"

// vendors maps a MAC's first three bytes ("A483E7") to its maker, read
// once, the first time the devices page asks.
type vendors struct {
	path string
	once sync.Once
	m    map[string]string
}

func (v *vendors) load() {
	f, err := os.Open(v.path)
	if err != nil {
		return
	}
	defer f.Close()
	v.m = readOUI(f)
}

// readOUI reads the registry's CSV: Registry,Assignment,Organization Name,...
func readOUI(r io.Reader) map[string]string {
	m := map[string]string{}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return m
		}
		if err != nil || len(rec) < 3 || len(rec[1]) != 6 {
			continue
		}
		m[strings.ToUpper(rec[1])] = strings.TrimSpace(rec[2])
	}
}

// of returns the maker of mac ("Apple, Inc."), "" when unknown. A MAC
// with the locally administered bit set is a phone's private, randomized
// address: no maker can be told from it.
func (v *vendors) of(mac string) string {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 || hw[0]&0x02 != 0 {
		return ""
	}
	v.once.Do(v.load)
	return v.m[strings.ToUpper(strings.ReplaceAll(mac[:8], ":", ""))]
}
