package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/activity/alert"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
)

// The Activity page: what one child's devices asked for, blocked
// attempts first, with "allow this site" and "block this site" for the
// profile; and charts of the day's and the week's use.

// Limits of the page: a phone's screen, not an export.
const (
	activityBlockedRows = 50
	activityRows        = 200
)

// siteLine is one name as the Activity page lists it: every answer for
// it in the recent log, folded.
type siteLine struct {
	Name    string
	Devices []string
	Count   int
	Last    time.Time
	Blocked bool
	Reason  string // catalog key, "act.reason.app"
	Detail  string // its argument: the category or app, in the page's language
}

// bar is one bar of a chart.
type bar struct {
	Label   string
	Minutes int
}

// chart is a bar chart drawn as inline SVG.
type chart struct {
	Title string // catalog key
	Bars  []bar
}

type activityData struct {
	Now       time.Time
	Profile   string
	Profiles  []string
	CanChange bool   // the console's own profile: allow and block are offered
	Path      string // the hand-written file, when it is not
	Query     string
	Blocked   []siteLine
	All       []siteLine
	Charts    []template.HTML
	Off       bool // the activity log keeps no names for this profile
}

// reasonWords turns an entry's reason into a catalog key and the label it
// takes, in lg: "Adult content", "TikTok is blocked", "Games: time used
// up".
func reasonWords(e activity.Entry, lg string) (key, detail string) {
	cats := categoriesOf(e.Categories)
	detail = labels(cats, nil, lg)
	if s, ok := catalog.ByID(e.App); ok && (e.Reason == activity.ReasonApp || detail == "") {
		detail = s.Name(lg)
	}
	return "act.reason." + e.Reason, detail
}

// fold groups entries by name, newest first, keeping at most n names
// whose name contains q.
func fold(es []activity.Entry, q string, n int, lg string) []siteLine {
	var out []siteLine
	at := map[string]int{}
	for _, e := range es {
		if q != "" && !strings.Contains(e.Name, q) {
			continue
		}
		i, ok := at[e.Name]
		if !ok {
			if len(out) == n {
				continue
			}
			i = len(out)
			at[e.Name] = i
			l := siteLine{Name: e.Name, Last: e.At, Blocked: e.Blocked}
			if e.Blocked {
				l.Reason, l.Detail = reasonWords(e, lg)
			}
			out = append(out, l)
		}
		l := &out[i]
		l.Count++
		if !slices.Contains(l.Devices, e.Device) {
			l.Devices = append(l.Devices, e.Device)
		}
	}
	return out
}

func (c *Console) activity(r *http.Request, profile, q string) activityData {
	cfg, lg := c.app.Config(), lang(r)
	loc := c.app.Policy().Location()
	now := c.app.Now()
	d := activityData{Now: now.In(loc), Profile: profile, Query: strings.ToLower(strings.TrimSpace(q))}
	for _, p := range cfg.Profiles {
		d.Profiles = append(d.Profiles, p.Name)
	}
	if d.Profile == "" && len(d.Profiles) > 0 {
		d.Profile = d.Profiles[0]
	}
	_, d.CanChange = c.app.ConsoleProfile(d.Profile)
	if !d.CanChange && cfg.ProfileSetByHand(d.Profile) {
		d.Path = cfg.Path
	}
	var mine []activity.Entry
	for _, e := range c.app.Activity("", activity.Filter{}) {
		if e.Profile == d.Profile {
			mine = append(mine, e)
		}
	}
	var blocked []activity.Entry
	for _, e := range mine {
		if e.Blocked {
			blocked = append(blocked, e)
		}
	}
	d.Blocked = fold(blocked, d.Query, activityBlockedRows, lg)
	d.All = fold(mine, d.Query, activityRows, lg)

	l := c.rd.Localizer(r)
	rtl := l.Lang() == "ar"
	day := time.Date(d.Now.Year(), d.Now.Month(), d.Now.Day(), 0, 0, 0, 0, loc)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	// One read of the week's days gives all three charts: today's, the
	// week's (the days summed), and day by day.
	days, err := c.app.ActivityTotals(activity.Who{Profile: d.Profile}, week, now, activity.Daily)
	if err != nil {
		c.opts.Log.Warn("activity totals", "err", err)
	}
	minutes := func(m int) string { return l.Duration(time.Duration(m) * time.Minute) }
	for _, p := range []struct {
		title string
		from  time.Time
	}{{"act.chart_today", day}, {"act.chart_week", week}} {
		var ts []activity.Total
		for _, t := range days {
			if !t.Start.Before(p.from) {
				ts = append(ts, t)
			}
		}
		d.Charts = append(d.Charts, barChart(l.T(p.title), l.T("act.no_use"), useBars(ts, lg), rtl, minutes))
	}
	// Time online, day by day since Monday: the week's shape at a glance.
	d.Charts = append(d.Charts, barChart(l.T("act.chart_days"), l.T("act.no_use"), dayBars(days, week, day, l), rtl, minutes))
	return d
}

// dayBars is one bar per day from week (a Monday) to today: the minutes
// online, 0 for a day with none; nothing when no day has any.
func dayBars(ts []activity.Total, week, today time.Time, l *web.Localizer) []bar {
	var out []bar
	if !slices.ContainsFunc(ts, func(t activity.Total) bool { return t.Minutes > 0 }) {
		return nil
	}
	for d := week; !d.After(today); d = d.AddDate(0, 0, 1) {
		b := bar{Label: l.Weekday(d.Weekday())}
		for _, t := range ts {
			if t.Start.Equal(d) {
				b.Minutes = t.Minutes
			}
		}
		out = append(out, b)
	}
	return out
}

// useBars are the minutes of use per category and per app (the apps of
// the built-in catalog: minutes in which one of its names was answered),
// from the aggregates, most first, at most 8.
func useBars(ts []activity.Total, lg string) []bar {
	cats, apps := map[string]int{}, map[string]int{}
	for _, t := range ts {
		for id, ct := range t.Categories {
			cats[id] += ct.Minutes
		}
		for id, m := range t.Apps {
			apps[id] += m
		}
	}
	var out []bar
	for id, m := range cats {
		if c, err := blocklist.ParseCategory(id); err == nil && m > 0 {
			out = append(out, bar{c.Label(lg), m})
		}
	}
	for id, m := range apps {
		if s, ok := catalog.ByID(id); ok && m > 0 {
			out = append(out, bar{s.Name(lg), m})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Minutes > out[j].Minutes || out[i].Minutes == out[j].Minutes && out[i].Label < out[j].Label
	})
	return out[:min(len(out), 8)]
}

// barChart draws bars as inline SVG: one row per bar, its label and
// figure above it, the bar growing from the start of the line (the right
// in Arabic). No script, no library: the page stays readable without
// either.
func barChart(title, empty string, bars []bar, rtl bool, figure func(int) string) template.HTML {
	const w, row = 320, 42
	var b strings.Builder
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<figure class="chart"><figcaption>%s</figcaption><p class="muted">%s</p></figure>`,
			template.HTMLEscapeString(title), template.HTMLEscapeString(empty))
		return template.HTML(b.String())
	}
	top := 1
	for _, x := range bars {
		top = max(top, x.Minutes)
	}
	h := row * len(bars)
	fmt.Fprintf(&b, `<figure class="chart"><figcaption>%s</figcaption>`, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	for i, x := range bars {
		y := i * row
		bw := max(2, x.Minutes*w/top)
		tx, bx, anchor := 0, 0, "start"
		if rtl {
			tx, bx = w, w-bw
		}
		text := x.Label + " · " + figure(x.Minutes)
		dir := "ltr"
		if rtl {
			dir = "rtl"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" direction="%s" text-anchor="%s">%s</text>`, tx, y+16, dir, anchor, template.HTMLEscapeString(text))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="14" rx="2"><title>%s</title></rect>`, bx, y+23, bw, template.HTMLEscapeString(text))
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

func (c *Console) renderActivity(w http.ResponseWriter, r *http.Request, profile, q string, status int, errs web.FieldErrors) {
	c.rd.Render(w, r, web.View{Page: "activity", Nav: "home", Status: status, Errors: errs, Data: c.activity(r, profile, q)})
}

func (c *Console) activityPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c.renderActivity(w, r, q.Get("profile"), q.Get("q"), 0, nil)
}

// siteAction is "allow this site" or "block this site" for a profile,
// from the Activity page or an alert on Home.
func (c *Console) siteAction(do func(profile, name string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		profile, name := r.PostFormValue("profile"), r.PostFormValue("name")
		if err := do(profile, name); err != nil {
			c.renderActivity(w, r, profile, r.PostFormValue("q"), http.StatusUnprocessableEntity, web.Fields(err))
			return
		}
		if r.PostFormValue("back") == "home" {
			c.done(w, r, "home")
			return
		}
		http.Redirect(w, r, c.router.URL("activity")+"?profile="+urlQuery(profile)+"&q="+urlQuery(r.PostFormValue("q")), http.StatusSeeOther)
	}
}

// alertLine is one alert as Home lists it, in the page's language.
type alertLine struct {
	alert.Alert
	Text      string // catalog key
	Detail    string // the category, in words
	CanAllow  bool
	AskParent bool
}

// homeAlerts are the latest alerts, at most n.
func (c *Console) homeAlerts(r *http.Request, n int) []alertLine {
	var out []alertLine
	lg := lang(r)
	for _, a := range c.app.Alerts() {
		if len(out) == n {
			break
		}
		l := alertLine{Alert: a, Text: "alert." + a.Kind, AskParent: a.Kind == alert.AskParent}
		if ct, err := blocklist.ParseCategory(a.Category); err == nil && a.Category != "" {
			l.Detail = ct.Label(lg)
		}
		_, mine := c.app.ConsoleProfile(a.Profile)
		l.CanAllow = l.AskParent && a.Site != "" && mine
		out = append(out, l)
	}
	return out
}

// apiActivity is GET /api/v1/activity?device=&profile=&blocked=1&since=1h&limit=.
func (c *Console) apiActivity(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := activity.Filter{Blocked: q.Get("blocked") == "1" || q.Get("blocked") == "true"}
	if s := q.Get("since"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			web.WriteJSONError(w, http.StatusUnprocessableEntity, fielderr.New("since", "%q is not a duration such as 1h or 30m", s))
			return
		}
		f.Since = c.app.Now().Add(-d)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			web.WriteJSONError(w, http.StatusUnprocessableEntity, fielderr.New("limit", "%q is not a count", s))
			return
		}
		f.Limit = n
	}
	out := []activity.Entry{}
	for _, e := range c.app.Activity(q.Get("device"), f) {
		if p := q.Get("profile"); p == "" || e.Profile == p {
			out = append(out, e)
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"activity": out})
}
