package harness

import (
	"context"
	"os"
	"os/exec"
)

// AmaneBuild returns the command that builds ./cmd/amane of the module in
// repo into bin as a release does (packaging/release): static
// (CGO_ENABLED=0), -trimpath, no VCS stamp, stripped (-s -w). What is
// measured is then what a router runs: a plain go build links the cgo
// resolver, and the process maps libc and the dynamic loader, about 1.4 MB
// more resident memory than the released binary (issue 14). The release's
// version stamp (-X main.version) is left out: it changes no figure.
func AmaneBuild(ctx context.Context, repo, bin string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, "./cmd/amane")
	cmd.Dir = repo
	// The last value of a variable wins.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}
