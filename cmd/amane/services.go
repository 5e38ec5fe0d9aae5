package main

import (
	"errors"
	"flag"
	"io"

	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/cliflag"
)

// servicesCommand runs `amane services [-lang en|fr|ar] [GROUP]`: the apps
// a profile can block by name (block_services) or count in a budget
// (services), with the ids a configuration writes.
func servicesCommand(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("services", flag.ContinueOnError)
	lang := fl.String("lang", "en", "the names' language: en, fr or ar")
	groups, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return err
	}
	switch len(groups) {
	case 0:
		return catalog.WriteServicesTable(w, *lang, "")
	case 1:
		return catalog.WriteServicesTable(w, *lang, groups[0])
	}
	return errors.New("usage: amane services [-lang en|fr|ar] [GROUP]")
}
