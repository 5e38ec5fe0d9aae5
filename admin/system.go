package admin

import (
	"net/http"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/web"
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
	c.rd.Render(w, r, web.View{Page: "system", Nav: "system", Data: d})
}
