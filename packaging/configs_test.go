package packaging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/amane-dns/amane/configs"
)

// TestPackagedConfigsFollowTheExample fails when a packaged configuration
// falls behind configs/amane.toml (a key added to the example and not to
// what a Pi or a router installs), and checks each is a valid file.
func TestPackagedConfigsFollowTheExample(t *testing.T) {
	example, err := os.ReadFile("../configs/amane.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Flavors {
		t.Run(f.Name, func(t *testing.T) {
			want, err := f.Config(example)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.FromSlash(f.File))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s is behind configs/amane.toml: run go run ./packaging/release -configs", f.File)
			}
			if _, err := configs.Parse(f.File, got); err != nil {
				t.Fatalf("%s is not a valid configuration:\n%v", f.File, err)
			}
		})
	}
}
