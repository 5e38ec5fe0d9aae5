package packaging

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTheDashboardAsksForMetricsAmaneServes keeps the Grafana dashboard
// honest: every amane_ metric its queries name is one package metrics
// writes, so a renamed metric cannot leave a panel silently empty.
func TestTheDashboardAsksForMetricsAmaneServes(t *testing.T) {
	b, err := os.ReadFile("grafana/amane-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	srcs, _ := filepath.Glob("../metrics/*.go")
	var served strings.Builder
	for _, f := range srcs {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			served.Write(b)
		}
	}
	name := regexp.MustCompile(`amane_[a-z_]+`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
				if !strings.Contains(served.String(), base) {
					t.Errorf("panel %q asks for %s, which amane does not serve", p.Title, m)
				}
			}
		}
	}
	if len(dash.Panels) == 0 {
		t.Fatal("no panels")
	}
}
