package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/packaging/doctor"
)

type systemData struct {
	Version   string
	Metrics   bool
	Lists     []blocklist.SourceStatus
	Feeds     []appliance.FeedStatus
	Upstreams []string
	Listen    []string
	Config    string
	Console   string
	Now       time.Time
	// Checks are amane doctor's, run when the parent asks (?checks=1):
	// they probe the network and take a few seconds.
	Checks    []check
	RanChecks bool
}

// check is one doctor result, with its status as a catalog key.
type check struct {
	doctor.Result
	Key string // system.check_ok, _warn, _fail
}

// runChecks runs amane doctor's checks on the file the appliance runs on.
func runChecks(ctx context.Context, path string) []check {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	d := &doctor.Doctor{ConfigPath: path, Timeout: 2 * time.Second}
	var out []check
	for _, r := range d.Run(ctx) {
		key := map[doctor.Status]string{doctor.OK: "system.check_ok", doctor.Warn: "system.check_warn"}[r.Status]
		if key == "" {
			key = "system.check_fail"
		}
		out = append(out, check{r, key})
	}
	return out
}

func (c *Console) systemPage(w http.ResponseWriter, r *http.Request) {
	cfg := c.app.Config()
	d := systemData{Version: c.opts.Version, Metrics: cfg.Admin.Metrics, Listen: cfg.Server.Listen,
		Config: cfg.Path, Console: cfg.ConsolePath(), Now: c.app.Now()}
	if d.Metrics {
		d.Lists = c.app.ListStatus()
		d.Feeds = c.app.FeedStatus()
		d.Upstreams = cfg.Upstream.Servers
	}
	if r.URL.Query().Get("checks") == "1" && cfg.Path != "" {
		d.Checks, d.RanChecks = runChecks(r.Context(), cfg.Path), true
	}
	c.rd.Render(w, r, web.View{Page: "system", Nav: "system", Data: d})
}
