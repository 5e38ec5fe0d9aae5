package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

// change is one domain the next feed version adds or removes.
type change struct {
	Domain, Category string
}

type publishData struct {
	Configured    bool
	Adds, Removes []change
	Confirmed     int
	Published     int64                // the version just published; 0 when none
	History       []reports.AuditEntry // the latest publications, newest first
}

// diff compares the confirmed domains with the published ones.
func diff(confirmed, published map[string][]string) (adds, removes []change) {
	in := func(m map[string][]string, cat, d string) bool { return slices.Contains(m[cat], d) }
	for cat, ds := range confirmed {
		for _, d := range ds {
			if !in(published, cat, d) {
				adds = append(adds, change{d, cat})
			}
		}
	}
	for cat, ds := range published {
		for _, d := range ds {
			if !in(confirmed, cat, d) {
				removes = append(removes, change{d, cat})
			}
		}
	}
	order := func(a, b change) int {
		return cmp.Or(strings.Compare(a.Domain, b.Domain), strings.Compare(a.Category, b.Category))
	}
	slices.SortFunc(adds, order)
	slices.SortFunc(removes, order)
	return adds, removes
}

func (c *Console) publishPage(w http.ResponseWriter, r *http.Request) {
	v, _ := strconv.ParseInt(r.URL.Query().Get("published"), 10, 64)
	c.showPublish(w, r, http.StatusOK, v, nil)
}

func (c *Console) showPublish(w http.ResponseWriter, r *http.Request, status int, published int64, errs web.FieldErrors) {
	d := publishData{Configured: c.o.Publisher != nil, Published: published}
	var err error
	if d.History, err = recent(c.o.Store, reports.ActionPublish); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Configured {
		confirmed, err := c.o.Store.Confirmed()
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, ds := range confirmed {
			d.Confirmed += len(ds)
		}
		old, err := c.o.Publisher.Published()
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Adds, d.Removes = diff(confirmed, old)
	}
	c.page(w, r, web.View{Page: "publish", Nav: "publish", Status: status, Errors: errs, Data: d})
}

// publish publishes the next feed version and records it in the audit log.
func (c *Console) publish(w http.ResponseWriter, r *http.Request) {
	if c.o.Publisher == nil {
		c.showPublish(w, r, http.StatusConflict, 0, nil)
		return
	}
	v, err := c.o.Publisher.Publish(r.Context())
	if err != nil {
		c.showPublish(w, r, http.StatusUnprocessableEntity, 0, web.FieldErrors{{Error: err.Error()}})
		return
	}
	err = c.o.Store.Record(reports.AuditEntry{At: c.o.Now().UTC(), By: who(r), Action: reports.ActionPublish, Detail: fmt.Sprintf("version %d", v)})
	if err != nil {
		c.fail(w, r, fmt.Errorf("feed version %d published, but not recorded in the audit log: %w", v, err))
		return
	}
	http.Redirect(w, r, c.router.URL("publish")+"?published="+strconv.FormatInt(v, 10), http.StatusSeeOther)
}

// historyLen is how many acts on no domain a page shows.
const historyLen = 10

// recent returns the latest acts on no domain of the given actions,
// newest first.
func recent(s reports.Store, actions ...string) ([]reports.AuditEntry, error) {
	log, err := s.Audit("")
	if err != nil {
		return nil, err
	}
	var out []reports.AuditEntry
	for i := len(log) - 1; i >= 0 && len(out) < historyLen; i-- {
		if slices.Contains(actions, log[i].Action) {
			out = append(out, log[i])
		}
	}
	return out, nil
}
