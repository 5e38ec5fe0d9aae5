package feed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// ListsFile is the name of the sidecar that describes the list files of a
// directory that amane-helpline publishes:
//
//	[[list]]
//	file = "abuse.txt"          # a file in the same directory
//	category = "abuse"          # a category id of package blocklist
//	format = "domains"          # a list format id of package blocklist
//	mandatory = true            # optional: no profile can switch it off
//
//	[[list]]
//	file = "cyberviolence-suspected.txt"
//	category = "cyberviolence"
//	format = "domains"
//	watch = true                # optional: never blocks, only counted
//
// Every other file of the directory, except hidden files and
// subdirectories, must be described: a file dropped there and forgotten
// is an error, never silently left out of the feed.
const ListsFile = "lists.toml"

// listsTOML is the decoded ListsFile.
type listsTOML struct {
	List []listEntry `toml:"list"`
}

type listEntry struct {
	File      string `toml:"file"`
	Category  string `toml:"category"`
	Format    string `toml:"format"`
	Mandatory bool   `toml:"mandatory"`
	Watch     bool   `toml:"watch"`
}

// ReadLists reads dir's ListsFile strictly and returns its lists, with
// their File, Category, Format, Mandatory and Watch set (Size and SHA256
// are left to the caller).
func ReadLists(dir string) ([]List, error) {
	path := filepath.Join(dir, ListsFile)
	var lt listsTOML
	md, err := toml.DecodeFile(path, &lt)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("reading %s: unknown key %q (known: file, category, format, mandatory, watch)", path, und[0].String())
	}
	var errs []error
	lists := make([]List, 0, len(lt.List))
	described := map[string]bool{}
	for i, e := range lt.List {
		l := List{File: e.File, Category: e.Category, Format: e.Format, Mandatory: e.Mandatory, Watch: e.Watch}
		if err := checkEntry(l); err != nil {
			errs = append(errs, fmt.Errorf("%s: list %d: %w", path, i+1, err))
			continue
		}
		if described[l.File] {
			errs = append(errs, fmt.Errorf("%s: %q is described twice", path, l.File))
		}
		described[l.File] = true
		lists = append(lists, l)
	}
	if err := checkDescribed(dir, lists); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return lists, nil
}

// checkEntry checks what lists.toml says of one list.
func checkEntry(l List) error {
	if err := CheckFileName(l.File); err != nil {
		return err
	}
	if err := checkID(l.Category); err != nil {
		return fmt.Errorf("%q: category: %w", l.File, err)
	}
	if err := checkID(l.Format); err != nil {
		return fmt.Errorf("%q: format: %w", l.File, err)
	}
	if l.Mandatory && l.Watch {
		return fmt.Errorf("%q: a list cannot be both mandatory and watch (watch lists never block)", l.File)
	}
	return nil
}

// checkDescribed refuses a file of dir that lists.toml does not describe,
// and a description whose file is missing.
func checkDescribed(dir string, lists []List) error {
	described := map[string]bool{}
	for _, l := range lists {
		described[l.File] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	var errs []error
	present := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == ListsFile || strings.HasPrefix(n, ".") {
			continue
		}
		present[n] = true
		if !described[n] {
			errs = append(errs, fmt.Errorf("%s is not described in %s: add a [[list]] for it, or move it away", filepath.Join(dir, n), ListsFile))
		}
	}
	for _, l := range lists {
		if !present[l.File] {
			errs = append(errs, fmt.Errorf("%s describes %q, which is not in %s", ListsFile, l.File, dir))
		}
	}
	return errors.Join(errs...)
}
