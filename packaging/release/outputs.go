package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/amane-dns/amane/packaging"
)

// buildAll builds every target into out, writes SHA256SUMS and VERSION
// there, prints a table of sizes, and returns each file's SHA-256.
func buildAll(root, out string, ts []Target, s stamp) (map[string]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	sums := map[string]string{}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "file\tbytes\tMiB\tsha256\tfor\t\n")
	var lines []string
	for _, t := range ts {
		path := filepath.Join(out, t.File())
		if err := build(root, t, s.ldflags(true), path); err != nil {
			return nil, err
		}
		sum, err := sha256File(path)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		sums[t.File()] = sum
		lines = append(lines, sum+"  "+t.File()+"\n")
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t\n", t.File(), fi.Size(), float64(fi.Size())/(1<<20), sum[:16], t.For)
	}
	tw.Flush()
	fmt.Printf("version %s, commit %s, %s\n", s.Version, s.Commit, goVersion())
	if err := os.WriteFile(filepath.Join(out, "SHA256SUMS"), []byte(strings.Join(lines, "")), 0o644); err != nil {
		return nil, err
	}
	return sums, os.WriteFile(filepath.Join(out, "VERSION"), []byte(s.Version+"\n"), 0o644)
}

// verifyAll rebuilds every target from a copy of the source in another
// directory, with an empty build cache and another temporary directory,
// and compares the bytes with the first build.
func verifyAll(root string, ts []Target, s stamp, sums map[string]string) error {
	tmp, err := os.MkdirTemp("", "amane-verify")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "elsewhere", "amane")
	if err := copySource(root, src); err != nil {
		return err
	}
	cache := filepath.Join(tmp, "gocache")
	var differ []string
	for _, t := range ts {
		path := filepath.Join(tmp, t.File())
		if err := build(src, t, s.ldflags(true), path, "GOCACHE="+cache, "TMPDIR="+tmp); err != nil {
			return err
		}
		sum, err := sha256File(path)
		if err != nil {
			return err
		}
		same := sum == sums[t.File()]
		fmt.Printf("rebuilt %s from %s with an empty cache: same bytes: %v\n", t.File(), src, same)
		if !same {
			differ = append(differ, t.File())
		}
	}
	if len(differ) > 0 {
		return fmt.Errorf("not reproducible: %s", strings.Join(differ, ", "))
	}
	return nil
}

// writeConfigs makes each packaged configuration file from the example.
func writeConfigs(root string) error {
	example, err := os.ReadFile(filepath.Join(root, "configs", "amane.toml"))
	if err != nil {
		return err
	}
	for _, f := range packaging.Flavors {
		b, err := f.Config(example)
		if err != nil {
			return err
		}
		path := filepath.Join(root, "packaging", f.File)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}
