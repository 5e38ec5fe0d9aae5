package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

// stdin is where `user add` reads the password: a variable so that the
// tests can give one.
var stdin io.Reader = os.Stdin

// osUser names who runs a command, for the audit log: the OS account, the
// only identity a command line on the helpline's machine has.
func osUser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("who is running this (give --as NAME): %w", err)
	}
	return "os:" + u.Username, nil
}

// userCommand runs `user add|list|remove`: the console's accounts.
func userCommand(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("user: want add, list or remove: %w", errUsage)
	}
	cmd, args := args[0], args[1:]
	var role string
	want, flags := 1, func(*flag.FlagSet) {}
	switch cmd {
	case "add":
		flags = func(fl *flag.FlagSet) {
			fl.StringVar(&role, "role", "", "operator, publisher or admin (required)")
		}
	case "remove":
	case "list":
		want = 0
	default:
		return fmt.Errorf("user: unknown command %q: %w", cmd, errUsage)
	}
	c, pos, err := configFlags("user "+cmd, args, want, flags)
	if err != nil {
		return err
	}
	var acct reports.Account
	if cmd == "add" {
		// Check before asking for a password that would be thrown away.
		acct = reports.Account{Name: pos[0], Role: reports.Role(role), Hash: "-"}
		if err := reports.CheckAccount(acct); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		if acct.Hash, err = readPassword(); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
	}
	by, err := osUser()
	if err != nil {
		return err
	}
	a, err := openAdmin(c, now)
	if err != nil {
		return err
	}
	defer a.close()
	var name string
	switch cmd {
	case "list":
		return listUsers(a, stdout)
	case "add":
		err = a.call("/accounts", accountRequest{Account: acct, By: by}, &name)
	case "remove":
		err = a.call("/accounts/remove", accountRequest{Account: reports.Account{Name: pos[0]}, By: by}, &name)
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", cmd, err)
	}
	fmt.Fprintf(stdout, "account %s: %s\n", name, map[string]string{"add": "added as " + role, "remove": "removed"}[cmd])
	return nil
}

// readPassword reads the password, the first line of stdin, and hashes it.
func readPassword() (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 10 {
		return "", errors.New("the password (the first line of stdin) must have at least 10 characters")
	}
	return web.HashPassword(pw)
}

func listUsers(a *adminClient, stdout io.Writer) error {
	var all []reports.Account
	if err := a.call("/accounts", nil, &all); err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
	for _, u := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}
