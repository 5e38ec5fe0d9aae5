// Command amane-helpline is the helpline's side of amane: the intake that
// receives the appliances' anonymous reports, the operators' triage of
// them, and the signed blocklist feed that appliances subscribe to.
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

usage (every command takes -config FILE; see configs/helpline.toml):
  amane-helpline serve -config F            receive reports (HTTPS POST /reports), serve the feed at /feed/,
                                            and the operators' console on [console] listen
  amane-helpline migrate -config F          create or upgrade the PostgreSQL schema ([store] postgres)
  amane-helpline reports list -config F [--category C] [--since DAY] [--until DAY] [--status S] [--kind K]
                                            reported domains: appliances, count, categories, days, age bands, status
  amane-helpline reports show NAME -config F
                                            everything reported about one domain, with the parents' notes
  amane-helpline reports confirm NAME --category C [--reason R] [--as WHO] -config F
                                            confirm a domain: the next feed version blocks it everywhere
  amane-helpline reports reject NAME [--reason R] [--as WHO] -config F
  amane-helpline reports retract NAME [--reason R] [--as WHO] -config F
                                            take a confirmed domain out of the next feed version
                                            (each decision goes to the audit log, by WHO or the OS user)
  amane-helpline reports export --format csv|xarf [filters] -config F
                                            the list above as CSV, or as XARF v4 JSON, on stdout
  amane-helpline stats -config F            reports by category, by age band and by month
  amane-helpline user add NAME --role operator|publisher|admin -config F
                                            a console account; its password is the first line of stdin
  amane-helpline user list -config F
  amane-helpline user remove NAME -config F
  amane-helpline feed keygen --out DIR      make a feed signing key: DIR/feed.key (secret), DIR/feed.pub
                                            (or -config F: DIR is the directory of [feed] key)
  amane-helpline feed publish -config F     sign [feed] lists plus the confirmed domains into [feed] dir
  amane-helpline feed publish --key FILE --lists DIR --out FEEDDIR [--name N] [--expires 720h] [--contact FILE]
  amane-helpline feed catalog --lists DIR [--mirror URL] SOURCE_ID...
                                            copy catalog sources into the feed's lists, so that the next
                                            publish signs them and appliances need no public host
                                            the same without a configuration (and without confirmed domains)

The operators' commands work while serve runs: they talk to it over state_dir/control.sock,
or, with [store] postgres, to the database that every server shares.
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
	case "serve":
		return serveCommand(args[1:], stdout, now)
	case "reports":
		return reportsCommand(args[1:], stdout, now)
	case "migrate":
		return migrateCommand(args[1:], stdout)
	case "stats":
		return statsCommand(args[1:], stdout, now)
	case "user":
		return userCommand(args[1:], stdout, now)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
	}
}
