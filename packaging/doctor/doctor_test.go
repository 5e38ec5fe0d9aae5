package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/amane-dns/amane/configs"
)

func TestConfigWithMistakesFailsAndSkipsWhatNeedsIt(t *testing.T) {
	d := testDoctor(writeConfig(t, "[upstream]\ntimout = \"2s\"\n[cache]\nentries = \"many\"\n"))
	rs := d.Run(context.Background())
	cfg := find(rs, "config")
	if len(cfg) != 1 {
		t.Fatalf("got %v, want one config result", rs)
	}
	want(t, cfg[0], Fail, "(and 1 more)")
	if !strings.Contains(cfg[0].Fix, "amane check-config") {
		t.Errorf("fix %q does not point at check-config", cfg[0].Fix)
	}
	if len(find(rs, "listen")) != 0 || len(find(rs, "upstream")) != 0 {
		t.Errorf("checks that need the configuration ran without one: %v", rs)
	}
	if len(find(rs, "clock")) != 1 || len(find(rs, "leases")) != 1 {
		t.Errorf("checks that need no configuration were skipped: %v", rs)
	}
}

func TestMissingConfigFails(t *testing.T) {
	d := testDoctor("/nonexistent/amane.toml")
	want(t, d.Run(context.Background())[0], Fail, "no such file")
}

func TestExtraChecksRunWithTheConfig(t *testing.T) {
	d := testDoctor(stateConfig(t, t.TempDir()))
	d.Extra = func(cfg *configs.File) []Result {
		return []Result{{Check: "feed", Status: Warn, Msg: "saw " + cfg.Lists[0].Name}}
	}
	want(t, find(d.Run(context.Background()), "feed")[0], Warn, "saw gambling")
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	failed := Write(&b, []Result{
		{Check: "config", Status: OK, Msg: "fine"},
		{Check: "listen", Status: Fail, Msg: "0.0.0.0:53 is taken", Fix: "stop it"},
		{Check: "clock", Status: Warn, Msg: "not synchronized", Fix: "turn NTP on"},
	})
	if failed != 1 {
		t.Errorf("Write counted %d failures, want 1", failed)
	}
	wantOut := `OK    config    fine
FAIL  listen    0.0.0.0:53 is taken
                fix: stop it
WARN  clock     not synchronized
                fix: turn NTP on

1 OK, 1 WARN, 1 FAIL: fix the FAIL lines first, then run amane doctor again.
`
	if b.String() != wantOut {
		t.Errorf("Write printed\n%s\nwant\n%s", b.String(), wantOut)
	}
}
