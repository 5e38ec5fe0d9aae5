package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/amane-dns/amane/admin"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
)

// passwordCommand runs `amane password [-config FILE]`: it reads the
// console's new password from stdin (its first line, so that it never
// shows in the process list or the shell's history) and stores its
// argon2id hash in state_dir/admin.password. The daemon reads that file
// at each login, so the new password holds at once, and every session
// opened with the old one ends.
func passwordCommand(stdin io.Reader, w io.Writer, args []string) error {
	fl := flag.NewFlagSet("password", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	if rest, err := cliflag.ParseInterleaved(fl, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return errors.New("usage: echo 'PASSWORD' | amane password [-config FILE]")
	}
	cfg, err := configs.Load(*path)
	if err != nil {
		return fmt.Errorf("configuration refused:\n%w", err)
	}
	if cfg.StateDir == "" {
		return fmt.Errorf("%s has no state_dir: the console's password is kept there", *path)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	file := admin.PasswordPath(cfg.StateDir)
	if err := admin.SetPassword(file, pw); err != nil {
		return err
	}
	fmt.Fprintf(w, "the console's password is set (its hash is in %s); older sessions are ended\n", file)
	return nil
}
