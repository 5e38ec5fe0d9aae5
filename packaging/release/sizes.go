package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// printSizes builds the target with its symbols and adds up the sizes of
// the symbols of each module and package: what a dependency costs on a
// router's flash. Symbols are about two thirds of the stripped file; the
// rest is tables the runtime needs (pclntab) that grow with the code.
func printSizes(root, name string, s stamp) error {
	ts, err := selectTargets(name)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "amane-sizes")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "amane")
	if err := build(root, ts[0], s.ldflags(false), bin); err != nil {
		return err
	}
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		return fmt.Errorf("reading the symbols of %s: %w", bin, err)
	}
	pkgs := symbolSizes(out)
	modules := map[string]int64{}
	var total int64
	for p, n := range pkgs {
		modules[moduleOf(p)] += n
		total += n
	}
	fmt.Printf("%s: %.1f MiB of symbols\n\nby module:\n", ts[0].File(), float64(total)/(1<<20))
	printTop(modules, total, 20)
	fmt.Printf("\nlargest packages:\n")
	printTop(pkgs, total, 25)
	return nil
}

// symbolSizes adds up `go tool nm -size` lines ("addr size type name") by
// package. Type descriptors and string data are counted on their own.
func symbolSizes(nm []byte) map[string]int64 {
	sizes := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(nm))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		sizes[packageOf(strings.Join(f[3:], " "))] += n
	}
	return sizes
}

// packageOf returns the package of a symbol: the path up to the first dot
// after its last slash ("github.com/miekg/dns.(*Msg).Pack" is in
// "github.com/miekg/dns").
func packageOf(sym string) string {
	switch {
	case strings.HasPrefix(sym, "type:"):
		return "(type descriptors)"
	case strings.HasPrefix(sym, "go:"):
		return "(" + strings.SplitN(sym, ".", 2)[0] + ")"
	}
	head := ""
	if i := strings.LastIndex(sym, "/"); i >= 0 {
		head, sym = sym[:i+1], sym[i+1:]
	}
	if i := strings.Index(sym, "."); i >= 0 {
		sym = sym[:i]
	}
	return head + sym
}

// moduleOf groups a package by its module: the standard library, each
// required module, or amane itself.
func moduleOf(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "("):
		return "(runtime data)"
	case strings.HasPrefix(pkg, "github.com/amane-dns/amane"):
		return "amane itself"
	case strings.HasPrefix(pkg, "vendor/golang.org/x/"):
		return "standard library (vendored x/)"
	}
	first := strings.SplitN(pkg, "/", 2)[0]
	if !strings.Contains(first, ".") {
		return "standard library: " + first
	}
	parts := strings.Split(pkg, "/")
	return strings.Join(parts[:min(3, len(parts))], "/")
}

func printTop(m map[string]int64, total int64, n int) {
	type row struct {
		name string
		size int64
	}
	var rows []row
	for k, v := range m {
		rows = append(rows, row{k, v})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.size, a.size) })
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, r := range rows[:min(n, len(rows))] {
		fmt.Fprintf(tw, "  %s\t%7.0f KiB\t%4.1f%%\n", r.name, float64(r.size)/1024, 100*float64(r.size)/float64(total))
	}
	tw.Flush()
}

// goVersion is the Go release that builds; reproducing a build needs the same.
func goVersion() string {
	b, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "unknown Go"
	}
	return strings.TrimSpace(string(b))
}
