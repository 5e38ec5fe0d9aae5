package catalog

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteServicesTable writes the built-in services as a text table for
// `amane services [-lang fr|ar|en] [GROUP]`: one section per group, its
// label in lang, then a line per service with its id (what a configuration
// writes), its name in lang and how many domains it holds. group "" lists
// every group; an unknown group is an error naming the known ones.
func WriteServicesTable(w io.Writer, lang, group string) error {
	return writeServicesTable(w, Services(), lang, group)
}

func writeServicesTable(w io.Writer, services []*Service, lang, group string) error {
	if group != "" && !knownGroup(group) {
		return fmt.Errorf("unknown service group %q (known: %v)", group, Groups())
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, g := range Groups() {
		if group != "" && g != group {
			continue
		}
		var in []*Service
		for _, s := range services {
			if s.Group == g {
				in = append(in, s)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s (%s, %d)\n", GroupName(g, lang), g, len(in))
		for _, s := range in {
			fmt.Fprintf(tw, "  %s\t%s\t%d\n", s.ID, s.Name(lang), len(s.Domains))
		}
	}
	return tw.Flush()
}
