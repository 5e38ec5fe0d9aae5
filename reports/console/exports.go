package console

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

type exportsData struct {
	Filter     reports.Filter
	Query      string // the filter as a query string, for the download links
	Categories []string
	XARF       bool // the reporter is configured
}

// filter reads an export's filter from the query string.
func filter(r *http.Request) (reports.Filter, error) {
	q := r.URL.Query()
	f := reports.Filter{Category: q.Get("category"), Since: q.Get("since"), Until: q.Get("until"), Status: reports.TriageStatus(q.Get("status"))}
	return f, f.Validate()
}

func (c *Console) exports(w http.ResponseWriter, r *http.Request) {
	f, err := filter(r)
	rep := c.o.Reporter
	d := exportsData{Filter: f, Query: r.URL.RawQuery, Categories: categories(), XARF: rep.Org != "" && rep.Contact != "" && rep.Domain != ""}
	status := http.StatusOK
	if err != nil {
		status, d.Query = http.StatusUnprocessableEntity, ""
	}
	c.page(w, r, web.View{Page: "exports", Nav: "exports", Status: status, Errors: web.Fields(err), Data: d})
}

// download writes the selected aggregates with write as a file download;
// a bad filter is answered in words.
func (c *Console) download(w http.ResponseWriter, r *http.Request, name, contentType string, write func(*bytes.Buffer, []reports.Aggregate) error) {
	f, err := filter(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	aggs, err := c.o.Store.Domains(f)
	var buf bytes.Buffer
	if err == nil {
		err = write(&buf, aggs)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

func (c *Console) exportCSV(w http.ResponseWriter, r *http.Request) {
	c.download(w, r, "amane-reports.csv", "text/csv; charset=utf-8", func(b *bytes.Buffer, aggs []reports.Aggregate) error {
		return reports.WriteCSV(b, aggs)
	})
}

func (c *Console) exportXARF(w http.ResponseWriter, r *http.Request) {
	rep := c.o.Reporter
	if rep.Org == "" || rep.Contact == "" || rep.Domain == "" {
		http.Error(w, errors.New("XARF names the reporter: set [reporter] org, contact and domain").Error(), http.StatusConflict)
		return
	}
	c.download(w, r, "amane-reports.xarf.json", "application/json", func(b *bytes.Buffer, aggs []reports.Aggregate) error {
		return reports.WriteXARF(b, aggs, rep)
	})
}
