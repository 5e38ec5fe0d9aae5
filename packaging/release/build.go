package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Target is one release build.
type Target struct {
	Name   string   // the file is amane-linux-Name
	GOARCH string   //
	Env    []string // the GOARCH's variant, always set: the build must not depend on the builder's environment
	Deb    string   // the Debian architecture it is packaged for, or ""
	For    string   // the machines it is for
}

// Targets are the appliances amane runs on.
var Targets = []Target{
	{"amd64", "amd64", []string{"GOAMD64=v1"}, "amd64", "school servers, PCs, x86 routers"},
	{"arm64", "arm64", []string{"GOARM64=v8.0"}, "arm64", "Raspberry Pi 3, 4, 5, Zero 2 W (64-bit OS), arm64 routers"},
	// Raspberry Pi OS's 32-bit "armhf" is built for ARMv6 with VFP, so
	// that one image runs on every Pi: the armhf package carries this.
	{"armv6", "arm", []string{"GOARM=6"}, "armhf", "Raspberry Pi Zero, Zero W and 1; any 32-bit Raspberry Pi OS"},
	{"armv7", "arm", []string{"GOARM=7"}, "", "ARMv7 routers (OpenWrt arm_cortex-a7, -a9, -a15)"},
	// Router SoCs (MediaTek, Atheros) have no FPU: GOMIPS=softfloat.
	{"mipsle", "mipsle", []string{"GOMIPS=softfloat"}, "", "MIPS little-endian routers (OpenWrt ramips mt7621, mt76x8)"},
	{"mips", "mips", []string{"GOMIPS=softfloat"}, "", "MIPS big-endian routers (OpenWrt ath79)"},
	{"riscv64", "riscv64", []string{"GORISCV64=rva20u64"}, "", "RISC-V boards (VisionFive 2, Milk-V)"},
}

// File is the target's binary's name.
func (t Target) File() string { return "amane-linux-" + t.Name }

// stamp is what a release build writes into the binary.
type stamp struct {
	Version, Commit string
}

// ldflags stamps the version and the commit; stripped drops the symbol
// table and DWARF, a third of the file that a router has no use for.
func (s stamp) ldflags(stripped bool) string {
	f := fmt.Sprintf("-X main.version=%s -X main.commit=%s", s.Version, s.Commit)
	if stripped {
		f = "-s -w " + f
	}
	return f
}

// build compiles ./cmd/amane from root for t into out: static (no cgo),
// -trimpath (no builder's paths), no VCS stamp beyond ours. The
// environment is the builder's less every variable that changes the
// output, so two builders with the same Go get the same bytes.
func build(root string, t Target, ldflags, out string, extraEnv ...string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/amane")
	cmd.Dir = root
	cmd.Env = append(append(buildEnv(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+t.GOARCH), t.Env...)
	cmd.Env = append(cmd.Env, extraEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", t.Name, err, b)
	}
	return nil
}

// buildEnv is the environment without what would change a build's bytes.
func buildEnv() []string {
	drop := []string{"GOOS=", "GOARCH=", "GOFLAGS=", "GOAMD64=", "GOARM=", "GOARM64=", "GOMIPS=", "GORISCV64=",
		"GOEXPERIMENT=", "CGO_", "GO386=", "GOPPC64=", "GOWASM="}
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, d := range drop {
			if strings.HasPrefix(kv, d) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copySource copies what building ./cmd/amane reads — go.mod, go.sum and
// the directories of the module's packages it imports, embedded files
// included — to dst, so that a second build runs from another path.
func copySource(root, dst string) error {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/amane")
	cmd.Dir = root
	cmd.Env = append(buildEnv(), "GOOS=linux", "CGO_ENABLED=0")
	list, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("listing the packages of ./cmd/amane: %w", err)
	}
	dirs := []string{root}
	for _, d := range strings.Fields(string(list)) {
		if strings.HasPrefix(d, root+string(filepath.Separator)) {
			dirs = append(dirs, d)
		}
	}
	for _, dir := range dirs {
		if err := copyFiles(root, dir, dst, dir == root); err != nil {
			return err
		}
	}
	return nil
}

// copyFiles copies the regular files of one directory (only go.mod and
// go.sum for the module root).
func copyFiles(root, dir, dst string, moduleRoot bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, dir)
	if err := os.MkdirAll(filepath.Join(dst, rel), 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || moduleRoot && e.Name() != "go.mod" && e.Name() != "go.sum" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, rel, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
