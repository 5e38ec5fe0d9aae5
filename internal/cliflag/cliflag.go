// Package cliflag parses the command lines of amane's programs, where an
// operator writes flags before or after the names they act on
// ("amane report bad.example --category scam", "reports show NAME -config F").
package cliflag

import (
	"flag"
	"fmt"
	"strings"
)

// ParseInterleaved parses fl's flags wherever they stand among args and
// returns the positional arguments in order. A positional argument that
// starts with "-" (after "--", or a lone "-") is refused: no name amane
// acts on starts so, and "explain bad.example -confg a.toml" must never
// look up "-confg" (issue 9).
func ParseInterleaved(fl *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		if fl.NArg() == 0 {
			return pos, nil
		}
		if a := fl.Arg(0); strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("%s: %q is not a name (no name starts with \"-\") and not a flag of %s", fl.Name(), a, fl.Name())
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
}
