package doctor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/configs"
)

// listStatus is one line of state_dir/lists/status.json, which the list
// sources write when a list's state changes (`amane lists status` prints
// the same file).
type listStatus struct {
	Name       string    `json:"name"`
	Names      int       `json:"names"`
	Updated    time.Time `json:"updated"`
	Err        string    `json:"error"`
	ErrorSince time.Time `json:"error_since"`
}

const (
	// failingTooLong turns a failing list from a warning into a failure:
	// a day of failed downloads is no longer a passing outage.
	failingTooLong = 24 * time.Hour
	// unchangedTooLong is when a downloaded list that never changes is
	// likely abandoned by its publisher.
	unchangedTooLong = 30 * 24 * time.Hour
)

// checkLists reads the lists' status file and reports each list that is
// failing, empty, not loaded or unchanged for long; it also returns the
// names loaded, for the memory estimate.
func (d *Doctor) checkLists(cfg *configs.File) ([]Result, int) {
	res := Result{Check: "lists", Status: Warn}
	pc := cfg.Policy()
	var filled blocklist.Categories
	for _, l := range cfg.Lists {
		if c, err := blocklist.ParseCategory(l.Category); err == nil {
			filled = filled.Add(c)
		}
	}
	sel := catalog.Select(cfg.Catalog, pc.Blocked(), filled)
	switch {
	case len(cfg.Lists) == 0 && len(cfg.Feeds) == 0 && !cfg.Helpline.Enabled() && len(sel.Fetch) == 0:
		res.Msg = "no [[list]], no feed and nothing from the built-in catalog: nothing is blocked by name"
		res.Fix = "block categories in a profile or [filter] (amane catalog shows their lists), or add [[list]]s"
		return []Result{res}, 0
	case cfg.StateDir == "":
		return nil, 0 // the state check has said it
	}
	file := filepath.Join(cfg.StateDir, "lists", blocklist.StatusFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		res.Msg, res.Fix = "no list status yet: amane has not run with these lists", "start amane, then: amane lists status"
		return []Result{res}, 0
	}
	var all []listStatus
	if err == nil {
		err = json.Unmarshal(b, &all)
	}
	if err != nil {
		res.Msg, res.Fix = "reading "+file+": "+err.Error(), "run sudo amane doctor; a damaged file is rewritten at amane's next list update"
		return []Result{res}, 0
	}
	out, names := d.listProblems(cfg, all)
	out = append(out, unfilled(cfg, sel)...)
	if len(out) == 0 {
		out = append(out, Result{Check: "lists", Status: OK, Msg: fmt.Sprintf("%s loaded, %d names", count(len(all), "list"), names)})
	}
	return out, names
}

// unfilled warns of each category the policy blocks that no list fills:
// a parent who switched on "gambling" believes it blocks. Abuse is always
// blocked and only a helpline's feed can fill it (no public list exists):
// the README says so, and a home without a helpline is not warned daily.
func unfilled(cfg *configs.File, sel catalog.Selection) []Result {
	var out []Result
	for _, u := range sel.Unfilled {
		if u.Category == blocklist.Abuse {
			continue
		}
		out = append(out, Result{Check: "lists", Status: Warn,
			Msg: fmt.Sprintf("%s is blocked, but no list fills it: %s", u.Category, u.Reason),
			Fix: "add a [[list]] of category " + u.Category.String() + ", or subscribe to a feed that fills it (amane catalog)"})
	}
	return out
}

func (d *Doctor) listProblems(cfg *configs.File, all []listStatus) ([]Result, int) {
	var out []Result
	names, seen := 0, map[string]bool{}
	url := map[string]string{}
	for _, l := range cfg.Lists {
		url[l.Name] = l.URL
	}
	for _, st := range all {
		seen[st.Name] = true
		names += st.Names
		r := Result{Check: "lists", Status: Warn}
		switch age := d.Now().Sub(st.ErrorSince); {
		case st.Err != "":
			if age > failingTooLong {
				r.Status = Fail
			}
			r.Msg = fmt.Sprintf("list %s failing for %s: %s; its last good copy (%d names) stays in use", st.Name, age.Round(time.Minute), st.Err, st.Names)
			r.Fix = "check its address and this machine's internet link" + curl(url[st.Name])
		case st.Names == 0:
			r.Msg, r.Fix = "list "+st.Name+" holds no names", "amane lists check FILE shows what it skipped and why"
		case url[st.Name] != "" && !st.Updated.IsZero() && d.Now().Sub(st.Updated) > unchangedTooLong:
			r.Msg = fmt.Sprintf("list %s has not changed for %d days: it may no longer be kept up", st.Name, int(d.Now().Sub(st.Updated).Hours()/24))
			r.Fix = "look for a list that is still maintained"
		default:
			continue
		}
		out = append(out, r)
	}
	for _, l := range cfg.Lists {
		if !seen[l.Name] {
			out = append(out, Result{Check: "lists", Status: Warn, Msg: "list " + l.Name + " is not loaded yet",
				Fix: "amane loads new lists on its own when the file changes; if it stays so, look at its log (journalctl -u amane)"})
		}
	}
	return out, names
}

func curl(u string) string {
	if u == "" {
		return ""
	}
	return ": curl -sSI " + u
}

// The memory model, measured on amd64 with packaging/measure-memory.sh
// (see packaging/README.md, Memory): RSS is about baseRSS plus the cache's
// bound plus bytesPerName for each name loaded; compiling a new set takes
// compilePerName more for a moment.
const (
	baseRSS        = 14 << 20
	bytesPerName   = 14
	compilePerName = 16
)

// checkMemory compares what the lists and the cache need with the memory
// of the machine: amane should keep well under half of a router's.
func (d *Doctor) checkMemory(cfg *configs.File, names int) Result {
	res := Result{Check: "memory", Status: OK}
	total, err := memTotal(filepath.Join(d.Proc, "meminfo"))
	if err != nil {
		res.Status, res.Msg = Warn, "cannot read this machine's memory: "+err.Error()
		return res
	}
	steady := uint64(baseRSS + names*bytesPerName + int(cfg.Cache.Memory))
	peak := steady + uint64(names*compilePerName)
	res.Msg = fmt.Sprintf("%d names and a %s cache need about %s (%s while compiling the lists), of %s",
		names, mib(uint64(cfg.Cache.Memory)), mib(steady), mib(peak), mib(total))
	if peak > total/2 {
		res.Status = Warn
		res.Msg += ": too much for this machine"
		res.Fix = "drop the largest lists or lower [cache] memory (packaging/README.md, Memory)"
	}
	return res
}

func memTotal(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no MemTotal in " + path)
}
