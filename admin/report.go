package admin

import (
	"net/http"
	"strings"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

type reportData struct {
	Enabled    bool // a [helpline] is configured
	Categories []option
	Domain     string
	Note       string
	Sent       string // the domain just reported
	Status     reports.OutboxStatus
	StatusErr  string
}

func (c *Console) reportView(r *http.Request, req appliance.ReportRequest) reportData {
	d := reportData{Enabled: c.app.Config().Helpline.Enabled(), Domain: req.Domain, Note: req.Note, Sent: r.URL.Query().Get("sent")}
	for ct := blocklist.Category(0); ct < blocklist.NumCategories; ct++ {
		d.Categories = append(d.Categories, option{ct.String(), ct.Label(lang(r)), ct.String() == req.Category})
	}
	if d.Enabled {
		st, err := c.app.ReportStatus()
		if err != nil {
			d.StatusErr = err.Error()
		}
		d.Status = st
	}
	return d
}

func (c *Console) reportPage(w http.ResponseWriter, r *http.Request) {
	c.rd.Render(w, r, web.View{Page: "report", Nav: "report", Data: c.reportView(r, appliance.ReportRequest{})})
}

// reportPost sends a report to the helpline's outbox: a domain, a
// category and a note in the parent's own words; nothing identifying.
func (c *Console) reportPost(w http.ResponseWriter, r *http.Request) {
	req := appliance.ReportRequest{Domain: strings.TrimSpace(r.PostFormValue("domain")), Category: r.PostFormValue("category"),
		Note: r.PostFormValue("note")}
	var err error
	if req.Domain == "" {
		err = fielderr.New("domain", "%s", c.rd.Localizer(r).T("report.need_domain"))
	} else if dom, derr := reports.DomainOf(req.Domain); derr != nil {
		err = fielderr.New("domain", "%v", derr)
	} else {
		req.Domain = dom
		_, err = c.app.Report(req)
	}
	if err != nil {
		c.rd.Render(w, r, web.View{Page: "report", Nav: "report", Status: http.StatusUnprocessableEntity,
			Errors: web.Fields(err), Data: c.reportView(r, req)})
		return
	}
	http.Redirect(w, r, c.router.URL("report")+"?sent="+urlQuery(req.Domain), http.StatusSeeOther)
}
