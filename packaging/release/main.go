// Command release builds amane for every appliance it runs on: static,
// -trimpath, stamped with the version and the commit, stripped, and
// reproducible: the same source built with the same Go gives the same
// bytes, which -verify shows by building each target again from a copy of
// the tree in another directory, with an empty build cache.
//
//	go run ./packaging/release                    # every target into packaging/dist
//	go run ./packaging/release -targets arm64,mipsle
//	go run ./packaging/release -verify            # then rebuild each from scratch and compare
//	go run ./packaging/release -sizes mipsle      # what each module costs in that binary
//	go run ./packaging/release -configs           # rewrite the packaged configuration files
//
// It writes the binaries, SHA256SUMS and VERSION (for the packages) to the
// output directory and prints each binary's size.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("release", flag.ContinueOnError)
	out := fl.String("out", "", "output directory (default packaging/dist)")
	only := fl.String("targets", "", "comma-separated targets (default all): "+targetNames())
	version := fl.String("version", "", "version to stamp (default from git: the tag, or 0.0.0-dev+COMMIT)")
	commit := fl.String("commit", "", "commit to stamp (default git rev-parse HEAD)")
	verify := fl.Bool("verify", false, "rebuild every target from a copy of the tree with an empty build cache and compare")
	sizes := fl.String("sizes", "", "print what each module and package costs in this target's binary, and exit")
	genConfigs := fl.Bool("configs", false, "rewrite the packaged configuration files from configs/amane.toml, and exit")
	if err := fl.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if *genConfigs {
		return writeConfigs(root)
	}
	ts, err := selectTargets(*only)
	if err != nil {
		return err
	}
	s := stamp{Version: *version, Commit: *commit}
	if err := s.fill(root); err != nil {
		return err
	}
	if *sizes != "" {
		return printSizes(root, *sizes, s)
	}
	if *out == "" {
		*out = filepath.Join(root, "packaging", "dist")
	}
	sums, err := buildAll(root, *out, ts, s)
	if err != nil || !*verify {
		return err
	}
	return verifyAll(root, ts, s, sums)
}

func targetNames() string {
	names := make([]string, len(Targets))
	for i, t := range Targets {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}

func selectTargets(only string) ([]Target, error) {
	if only == "" {
		return Targets, nil
	}
	var ts []Target
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(Targets, func(t Target) bool { return t.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown target %q (known: %s)", name, targetNames())
		}
		ts = append(ts, Targets[i])
	}
	return ts, nil
}

// moduleRoot is the directory of amane's go.mod.
func moduleRoot() (string, error) {
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module (run this inside the amane tree): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// fill takes what was not given from git: the exact tag for a release,
// else 0.0.0-dev+COMMIT, marked dirty when the tree has changes.
func (s *stamp) fill(root string) error {
	git := func(args ...string) (string, error) {
		b, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		return strings.TrimSpace(string(b)), err
	}
	if s.Commit == "" {
		c, err := git("rev-parse", "HEAD")
		if err != nil {
			return errors.New("no commit given and git cannot say it: use -commit")
		}
		s.Commit = c
	}
	if s.Version != "" {
		return nil
	}
	if tag, err := git("describe", "--tags", "--exact-match"); err == nil {
		s.Version = tag
		return nil
	}
	s.Version = "0.0.0-dev+" + s.Commit[:min(12, len(s.Commit))]
	if st, _ := git("status", "--porcelain", "--untracked-files=no"); st != "" {
		s.Version += ".dirty"
	}
	return nil
}
