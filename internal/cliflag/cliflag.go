// Package cliflag parses the command lines of amane's programs, where an
// operator writes flags before or after the names they act on
// ("amane report bad.example --category scam", "reports show NAME -config F").
package cliflag

import "flag"

// ParseInterleaved parses fl's flags wherever they stand among args and
// returns the positional arguments in order. "--" ends the flags.
func ParseInterleaved(fl *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		if fl.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
}
