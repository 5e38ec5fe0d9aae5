package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// homeAlertRows is how many alerts Home lists.
const homeAlertRows = 5

// child is one profile as Home shows it: what applies now, its devices
// and their budgets today.
type child struct {
	Name     string
	Paused   time.Time // zero: not paused
	Window   policy.Window
	Homework string // the categories a homework window blocks, in words
	Spent    []string
	Devices  []childDevice
	Budgets  []budgetLine
	// Blocked and Adult are today's blocked attempts, and those of them
	// at adult sites.
	Blocked, Adult int
	// NotKept says that no attempt is counted for this child ([activity]
	// log = "off", or activity = false on the profile): the page says so
	// rather than "0 blocked attempts today".
	NotKept bool
}

type childDevice struct {
	Name, Addr string
	Paused     time.Time
}

// budgetLine is one device's use of one budget today.
type budgetLine struct {
	Device, Label, Category string // Category: the one Grant is asked for
	Used, Allowance, Left   int    // minutes
	UsedD, AllowD           time.Duration
	Spent                   bool
}

type homeData struct {
	Now      time.Time
	Children []child
	Unnamed  int // devices seen and not named yet
	Alerts   []alertLine
}

// labels writes categories and apps in lang.
func labels(cats blocklist.Categories, services []string, lang string) string {
	var out []string
	for _, ct := range cats.List() {
		out = append(out, ct.Label(lang))
	}
	for _, id := range services {
		if s, ok := catalog.ByID(id); ok {
			out = append(out, s.Name(lang))
		}
	}
	return joinLabels(out)
}

func (c *Console) home(r *http.Request) homeData {
	cfg, pol, now, lg := c.app.Config(), c.app.Policy(), c.app.Now(), lang(r)
	loc := pol.Location()
	d := homeData{Now: now.In(loc)}
	paused := map[string]time.Time{}
	for _, p := range c.app.Pauses() {
		paused[p.Target] = p.Until.In(loc)
	}
	addrs := map[string]string{}
	for _, dev := range c.app.Devices() {
		if dev.Name == "" {
			d.Unnamed++
		} else {
			addrs[dev.Name] = dev.Addr
		}
	}
	used := map[string]map[int][2]int{} // device → budget → minutes used, granted
	for _, u := range c.app.Usage("") {
		if used[u.Device] == nil {
			used[u.Device] = map[int][2]int{}
		}
		used[u.Device][u.Budget] = [2]int{u.Used, u.Granted}
	}
	today := map[string]activity.Today{}
	ts, err := c.app.ActivityToday()
	if err != nil {
		c.opts.Log.Warn("activity today", "err", err)
	}
	for _, t := range ts {
		today[t.Profile] = t
	}
	d.Alerts = c.homeAlerts(r, homeAlertRows)
	weekend := d.Now.Weekday() == time.Saturday || d.Now.Weekday() == time.Sunday
	for _, p := range cfg.Profiles {
		ch := child{Name: p.Name, Paused: paused[p.Name], Blocked: int(today[p.Name].Blocked), Adult: int(today[p.Name].Adult),
			NotKept: cfg.Activity.Log == activity.LogOff || p.Activity != nil && !*p.Activity}
		ch.Window, _ = pol.ScheduleAt(p.Name, now)
		ch.Window.Until = ch.Window.Until.In(loc)
		if !ch.Window.All && ch.Window.Active() {
			ch.Homework = labels(ch.Window.Categories, nil, lg)
		}
		for _, dc := range cfg.Devices {
			if dc.Profile != p.Name {
				continue
			}
			ch.Devices = append(ch.Devices, childDevice{Name: dc.Name, Addr: addrs[dc.Name], Paused: paused[dc.Name]})
			for i, b := range p.Budgets {
				allow := b.Minutes
				if weekend && b.WeekendMinutes > 0 {
					allow = b.WeekendMinutes
				}
				u := used[dc.Name][i]
				bl := budgetLine{Device: dc.Name, Label: labels(categoriesOf(b.Categories), b.Services, lg), Used: u[0], Allowance: allow + u[1]}
				bl.Left = max(bl.Allowance-bl.Used, 0)
				bl.UsedD, bl.AllowD = time.Duration(bl.Used)*time.Minute, time.Duration(bl.Allowance)*time.Minute
				bl.Spent = bl.Left == 0
				if len(b.Categories) > 0 {
					bl.Category = b.Categories[0]
				}
				if bl.Spent {
					ch.Spent = append(ch.Spent, bl.Label)
				}
				ch.Budgets = append(ch.Budgets, bl)
			}
		}
		d.Children = append(d.Children, ch)
	}
	return d
}

func categoriesOf(ids []string) blocklist.Categories {
	cats, _ := blocklist.ParseCategories(strings.Join(ids, ","))
	return cats
}

func (c *Console) renderHome(w http.ResponseWriter, r *http.Request, status int, errs web.FieldErrors) {
	c.rd.Render(w, r, web.View{Page: "home", Nav: "home", Status: status, Errors: errs, Data: c.home(r)})
}

func (c *Console) homePage(w http.ResponseWriter, r *http.Request) { c.renderHome(w, r, 0, nil) }

// done sends a successful form back to where it came from (303), so that
// a reload does not post it twice.
func (c *Console) done(w http.ResponseWriter, r *http.Request, route string) {
	http.Redirect(w, r, c.router.URL(route), http.StatusSeeOther)
}

func (c *Console) pausePost(w http.ResponseWriter, r *http.Request) {
	if _, err := c.app.PauseFor(r.PostFormValue("target"), r.PostFormValue("duration")); err != nil {
		c.renderHome(w, r, http.StatusUnprocessableEntity, web.Fields(err))
		return
	}
	c.done(w, r, "home")
}

func (c *Console) resumePost(w http.ResponseWriter, r *http.Request) {
	if _, err := c.app.Resume(r.PostFormValue("target")); err != nil {
		c.renderHome(w, r, http.StatusUnprocessableEntity, web.Fields(err))
		return
	}
	c.done(w, r, "home")
}

func (c *Console) grantPost(w http.ResponseWriter, r *http.Request) {
	m, _ := strconv.Atoi(r.PostFormValue("minutes"))
	if _, err := c.app.Grant(r.PostFormValue("device"), r.PostFormValue("category"), m); err != nil {
		c.renderHome(w, r, http.StatusUnprocessableEntity, web.Fields(err))
		return
	}
	c.done(w, r, "home")
}
