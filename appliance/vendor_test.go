package appliance

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAMACsMakerWhereKnown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oui.csv")
	os.WriteFile(path, []byte("Registry,Assignment,Organization Name,Organization Address\n"+
		"MA-L,A483E7,\"Apple, Inc.\",1 Infinite Loop Cupertino CA US 95014\n"+
		"MA-L,3C22FB,Apple Inc.,Cupertino US\n"), 0o644)
	v := &vendors{path: path}
	for mac, want := range map[string]string{
		"a4:83:e7:12:34:56": "Apple, Inc.",
		"3c:22:fb:aa:bb:cc": "Apple Inc.",
		"00:11:22:33:44:55": "",
		"a6:83:e7:12:34:56": "", // locally administered: a phone's randomized address
		"not a mac":         "",
	} {
		if got := v.of(mac); got != want {
			t.Errorf("%s: %q, want %q", mac, got, want)
		}
	}
	if got := (&vendors{path: filepath.Join(t.TempDir(), "none.csv")}).of("a4:83:e7:12:34:56"); got != "" {
		t.Errorf("without the registry: %q", got)
	}
}
