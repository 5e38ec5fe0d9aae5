package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/BurntSushi/toml"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/internal/cliflag"
)

// configCommand runs `amane config show [-config FILE]`: the configuration
// amane runs on, the hand-written file and the console's settings merged,
// every default filled in.
func configCommand(w io.Writer, args []string) error {
	if len(args) == 0 || args[0] != "show" {
		return errors.New("usage: amane config show [-config FILE]")
	}
	fl := flag.NewFlagSet("config show", flag.ContinueOnError)
	path := fl.String("config", "/etc/amane/amane.toml", "configuration file")
	if rest, err := cliflag.ParseInterleaved(fl, args[1:]); err != nil || len(rest) > 0 {
		return errors.Join(err, errors.New("usage: amane config show [-config FILE]"))
	}
	cfg, err := configs.Load(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# amane's configuration as it runs: %s with every default filled in", cfg.Path)
	if c := cfg.Console; c != nil {
		fmt.Fprintf(w, ",\n# and what the console set in %s:", cfg.ConsolePath())
		for _, p := range c.Profiles {
			fmt.Fprintf(w, " profile %q", p.Name)
		}
		for _, d := range c.Devices {
			fmt.Fprintf(w, " device %q", d.Name)
		}
	}
	fmt.Fprint(w, "\n\n")
	return toml.NewEncoder(w).Encode(cfg)
}
