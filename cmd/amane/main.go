// Command amane is the appliance: `amane serve` runs the filtering resolver;
// the other subcommands are for its operator.
package main

import (
	"fmt"
	"os"
)

const usage = `amane — a parental-control filtering DNS resolver

usage:
  amane serve [-config FILE]     run the resolver (without -config: a local trial on 127.0.0.1:5353)
  amane check-config FILE...     check configuration files and print every problem with its line
  amane config show [-config FILE]
                                 print the configuration as it runs: the file, the console's
                                 settings (state_dir/console.toml) and every default
  amane lists check FILE...      show what a list file holds: format, names, what was skipped and why
  amane lists status [-config FILE]
                                 show each list of the running daemon: names, last update, failures
  amane catalog [-config FILE] [-json]
                                 the public lists behind each category, their licences, and what
                                 this configuration fetches; which categories no list can fill
  amane services [-lang en|fr|ar] [GROUP]
                                 list the apps a profile can block by name (block_services)
  amane explain [-config FILE] [-client IP] NAME...
                                 say whether a name is blocked for a device now, and by which rule
  amane pause [-config FILE] [DEVICE|PROFILE [DURATION]]
                                 pause a device or a profile (all but the always-allowed names),
                                 for DURATION or until resumed; without arguments, list pauses
  amane resume [-config FILE] DEVICE|PROFILE
                                 end a pause
  amane doctor [-config FILE]    check what usually goes wrong on an installed appliance, with fixes
  amane grant [-config FILE] DEVICE CATEGORY MINUTES
                                 give a device bonus minutes today in the budget of CATEGORY
  amane usage [-config FILE] [DEVICE]
  amane activity [-config FILE] [DEVICE] [-blocked] [-since 1h]
                                 show today's use of every time budget, and what is left
  amane devices [-config FILE]   list the devices the network knows, named or not yet
  amane report [-config FILE] NAME --category C [--note TEXT] [--age-band B]
                                 report a site to the helpline, anonymously (kept until it is
                                 acknowledged); --status shows what waits, --rotate-key makes a
                                 new pseudonymous key
  amane password [-config FILE]  set the parents' console's password, read from stdin
  amane version                  print the version
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "config":
		err = configCommand(os.Stdout, args)
	case "check-config":
		err = checkConfig(os.Stdout, args)
	case "lists":
		err = listsCommand(os.Stdout, args)
	case "catalog":
		err = catalogCommand(os.Stdout, args)
	case "services":
		err = servicesCommand(os.Stdout, args)
	case "explain":
		err = explain(os.Stdout, args)
	case "pause":
		err = pause(os.Stdout, args)
	case "resume":
		err = resume(os.Stdout, args)
	case "grant":
		err = grant(os.Stdout, args)
	case "usage":
		err = usageCommand(os.Stdout, args)
	case "devices":
		err = devicesCommand(os.Stdout, args)
	case "activity":
		err = activityCommand(os.Stdout, args)
	case "doctor":
		err = runDoctor(os.Stdout, args)
	case "report":
		err = report(args, os.Stdout)
	case "password":
		err = passwordCommand(os.Stdin, os.Stdout, args)
	case "version":
		fmt.Println(versionString())
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "amane: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "amane:", err)
		os.Exit(1)
	}
}
