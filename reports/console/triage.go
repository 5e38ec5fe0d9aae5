package console

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

// queueLimit is how many domains the queue shows: enough for a shift.
const queueLimit = 50

// queueRow is one domain of the queue, with its reports by day and the
// notes of its manual reports.
type queueRow struct {
	reports.Aggregate
	Manual int
	Days   []dayCount // newest first, at most 7
	Notes  []string
}

type dayCount struct {
	Day   string
	Count uint64
}

type queueData struct {
	Status   string   // the filter: new, confirmed, rejected, retracted, or "" for all
	Statuses []string // the filter's choices
	Rows     []queueRow
	Total    int // domains the filter selects; more than len(Rows) when cut
}

// queue shows the reported domains, newest and most reported first.
func (c *Console) queue(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" && !r.URL.Query().Has("status") {
		status = string(reports.StatusNew)
	}
	f := reports.Filter{Status: reports.TriageStatus(status)}
	if err := f.Validate(); err != nil {
		status, f.Status = "", ""
	}
	aggs, err := c.o.Store.Domains(f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	slices.SortFunc(aggs, func(a, b reports.Aggregate) int {
		return cmp.Or(strings.Compare(b.Last, a.Last), cmp.Compare(b.Count, a.Count), strings.Compare(a.Domain, b.Domain))
	})
	d := queueData{Status: status, Total: len(aggs), Statuses: []string{"new", "confirmed", "rejected", "retracted", ""}}
	for _, a := range aggs[:min(len(aggs), queueLimit)] {
		rs, err := c.o.Store.Reports(a.Domain)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Rows = append(d.Rows, summarize(a, rs))
	}
	c.page(w, r, web.View{Page: "queue", Nav: "queue", Data: d})
}

// summarize adds to a its reports' counts by day and their notes.
func summarize(a reports.Aggregate, rs []reports.Report) queueRow {
	row := queueRow{Aggregate: a}
	byDay := map[string]uint64{}
	for _, r := range rs {
		byDay[r.Day] += uint64(r.Count)
		if r.Kind == reports.Manual {
			row.Manual++
			if r.Note != "" {
				row.Notes = append(row.Notes, r.Note)
			}
		}
	}
	for day, n := range byDay {
		row.Days = append(row.Days, dayCount{day, n})
	}
	slices.SortFunc(row.Days, func(a, b dayCount) int { return strings.Compare(b.Day, a.Day) })
	row.Days = row.Days[:min(len(row.Days), 7)]
	return row
}

// domainData is a domain's page.
type domainData struct {
	reports.Aggregate
	Reports     []reports.Report
	History     []reports.AuditEntry
	CategoryIDs []string
	Form        reports.TriageRequest // what was typed, shown again when refused
}

func (c *Console) domain(w http.ResponseWriter, r *http.Request) {
	c.showDomain(w, r, http.StatusOK, reports.TriageRequest{}, nil)
}

func (c *Console) showDomain(w http.ResponseWriter, r *http.Request, status int, form reports.TriageRequest, errs web.FieldErrors) {
	name := r.PathValue("name")
	a, err := c.o.Store.Domain(name)
	if errors.Is(err, reports.ErrNotReported) {
		c.page(w, r, web.View{Page: "notfound", Status: http.StatusNotFound})
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if form.Category == "" { // the category it was confirmed as, else the most reported
		form.Category = a.Triage.Category
		var top uint64
		for cat, n := range a.Categories {
			if form.Category == "" || a.Triage.Category == "" && (n > top || n == top && cat < form.Category) {
				form.Category, top = cat, n
			}
		}
	}
	d := domainData{Aggregate: a, CategoryIDs: categories(), Form: form}
	if d.Reports, err = c.o.Store.Reports(name); err == nil {
		d.History, err = c.o.Store.Audit(name)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	slices.Reverse(d.History) // newest first
	c.page(w, r, web.View{Page: "domain", Nav: "queue", Status: status, Errors: errs, Data: d})
}

// decide applies an operator's decision through reports.Decide, the
// command line's code path; the console requires a reason for each.
func (c *Console) decide(w http.ResponseWriter, r *http.Request) {
	q := reports.TriageRequest{
		Action: r.PostFormValue("action"), Name: r.PathValue("name"),
		Category: r.PostFormValue("category"), Reason: strings.TrimSpace(r.PostFormValue("reason")), By: who(r),
	}
	loc := c.render[reports.RoleOperator].Localizer(r)
	var errs web.FieldErrors
	if q.Reason == "" {
		errs = append(errs, web.FieldError{Field: "reason", Error: loc.T("console.reason_required")})
	} else if _, err := reports.Decide(c.o.Store, q, c.o.Now()); err != nil {
		if errors.Is(err, reports.ErrNotReported) {
			c.page(w, r, web.View{Page: "notfound", Status: http.StatusNotFound})
			return
		}
		field := "reason"
		if q.Action == reports.ActionConfirm && reports.CheckConfirm(q.Category) != nil {
			field = "category"
		}
		errs = web.Fields(fielderr.New(field, "%v", err))
	}
	if errs != nil {
		c.showDomain(w, r, http.StatusUnprocessableEntity, q, errs)
		return
	}
	http.Redirect(w, r, c.router.URL("domain", "name", q.Name)+"#history", http.StatusSeeOther)
}

// categories are the ids a domain may be confirmed as.
func categories() []string {
	var out []string
	for c := range blocklist.NumCategories {
		out = append(out, c.String())
	}
	return out
}
