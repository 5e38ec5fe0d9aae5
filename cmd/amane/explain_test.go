package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainTakesFlagsAfterNames is issue 9's "amane explain bad.example
// -config a.toml", which explained "-config" and "a.toml" as names.
func TestExplainTakesFlagsAfterNames(t *testing.T) {
	dir := t.TempDir()
	list, path := filepath.Join(dir, "bad.txt"), filepath.Join(dir, "a.toml")
	os.WriteFile(list, []byte("bad.example\n"), 0o600)
	os.WriteFile(path, []byte("[filter]\nblock = [\"malware\"]\n[[list]]\nname = \"bad\"\ncategory = \"malware\"\npath = \""+list+"\"\n"), 0o600)
	var out strings.Builder
	if err := explain(&out, []string{"www.bad.example", "-config", path}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "www.bad.example: BLOCKED (malware)") || strings.Contains(got, "-config") || strings.Contains(got, "a.toml:") {
		t.Fatalf("explain says:\n%s", got)
	}
	for _, args := range [][]string{{"--", "-config"}, {"x.example", "-", "y.example"}} {
		out.Reset()
		if err := explain(&out, args); err == nil {
			t.Errorf("%q: a name starting with '-' was explained:\n%s", args, out.String())
		}
	}
}
