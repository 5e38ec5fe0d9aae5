package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/amane-dns/amane/configs"
)

// checkConfig validates each file and prints every problem, one per line,
// as FILE:LINE: KEY: PROBLEM.
func checkConfig(w io.Writer, files []string) error {
	if len(files) == 0 {
		return errors.New("check-config needs a file: amane check-config /etc/amane/amane.toml")
	}
	for _, f := range files {
		if strings.HasPrefix(f, "-") {
			return fmt.Errorf("check-config: %q is not a file (it takes no flags): amane check-config FILE...", f)
		}
	}
	bad := 0
	for _, path := range files {
		_, err := configs.Load(path)
		var ps configs.Problems
		switch {
		case err == nil:
			fmt.Fprintf(w, "%s: OK\n", path)
		case errors.As(err, &ps):
			bad++
			for _, p := range ps {
				fmt.Fprintln(w, p.Error())
			}
		default:
			bad++
			fmt.Fprintf(w, "%s: %v\n", path, err)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files have problems", bad, len(files))
	}
	return nil
}
