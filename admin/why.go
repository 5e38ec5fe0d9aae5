package admin

import (
	"net/http"
	"strings"

	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// whyLine is one explanation as the Why page words it.
type whyLine struct {
	Name, Invalid, Profile string
	Blocked                bool
	Reason                 string // catalog key: "why.schedule"
	Detail                 string // the categories or the app, in the page's language
	Rule                   string // the listed domain the name falls under, if a list matched
	CanAllow               bool   // the profile is the console's: "allow this site" is offered
}

type whyData struct {
	Name, Device string
	Devices      []string
	Lines        []whyLine
}

func (c *Console) why(r *http.Request, name, device string) (whyData, error) {
	d := whyData{Name: name, Device: device}
	cfg := c.app.Config()
	for _, dc := range cfg.Devices {
		d.Devices = append(d.Devices, dc.Name)
	}
	if strings.TrimSpace(name) == "" {
		return d, nil
	}
	if device == "" {
		device = web.ClientAddr(r).String() // the parent's own phone
	}
	cl, err := c.app.ClientOf(device)
	if err != nil {
		return d, err
	}
	lg := lang(r)
	for _, e := range c.app.Explain(cl, strings.Fields(name)...) {
		dec := e.Decision
		l := whyLine{Name: e.Name, Invalid: e.Invalid, Profile: e.Profile, Blocked: dec.Action == policy.Block}
		if l.Blocked {
			l.Reason = "why." + whyKey(dec)
			l.Detail = labels(dec.Categories, nil, lg)
			if s, ok := catalog.ByID(dec.ServiceID()); ok {
				l.Detail = s.Name(lg)
			}
			for _, h := range e.Lists.Hits {
				if h.Categories != 0 {
					l.Rule = h.Name // the listed domain the name falls under
				}
			}
			_, mine := c.app.ConsoleProfile(e.Profile)
			l.CanAllow = mine && !dec.Mandatory
		}
		d.Lines = append(d.Lines, l)
	}
	return d, nil
}

func (c *Console) whyPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, err := c.why(r, q.Get("name"), q.Get("device"))
	status := 0
	if err != nil {
		status = http.StatusUnprocessableEntity
	}
	c.rd.Render(w, r, web.View{Page: "why", Nav: "why", Status: status, Errors: web.Fields(err), Data: d})
}

// allowPost is the Why page's next step: allow this site for this profile.
func (c *Console) allowPost(w http.ResponseWriter, r *http.Request) {
	name, profile := r.PostFormValue("name"), r.PostFormValue("profile")
	if err := c.app.AllowForProfile(profile, name); err != nil {
		d, _ := c.why(r, name, r.PostFormValue("device"))
		c.rd.Render(w, r, web.View{Page: "why", Nav: "why", Status: http.StatusUnprocessableEntity, Errors: web.Fields(err), Data: d})
		return
	}
	http.Redirect(w, r, c.router.URL("why")+"?name="+urlQuery(name)+"&device="+urlQuery(r.PostFormValue("device")), http.StatusSeeOther)
}
