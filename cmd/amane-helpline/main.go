// Command amane-helpline is the helpline's side of amane: it makes the feed
// signing key and publishes signed blocklist feeds that appliances
// subscribe to. (The report intake server comes later.)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

const usage = `amane-helpline — the helpline's side of amane

usage:
  amane-helpline feed keygen --out DIR      make a feed signing key: DIR/feed.key (secret), DIR/feed.pub
  amane-helpline feed publish --key FILE --lists DIR --out FEEDDIR [--name N] [--expires 720h] [--contact FILE]
                                            sign the lists in DIR and write a new version of the feed
`

func main() {
	err := run(os.Args[1:], os.Stdout, time.Now)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "amane-helpline: %v\n\n%s", err, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "amane-helpline:", err)
		os.Exit(1)
	}
}

// errUsage is wrapped by the error for a command line that names no known
// command: main prints the usage after it.
var errUsage = errors.New("see the usage")

func run(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("no command given: %w", errUsage)
	}
	switch args[0] {
	case "feed":
		return feedCommand(args[1:], stdout, now)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
	}
}
