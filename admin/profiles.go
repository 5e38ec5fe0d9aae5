package admin

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

// homeworkCats are what a "homework" window blocks: the distractions.
var homeworkCats = []string{"games", "social", "video", "chat"}

// profileRow is one profile on the Profiles page.
type profileRow struct {
	Name, Preset string
	Hand         bool
	Devices      int
}

type profilesData struct {
	Profiles []profileRow
	Path     string
}

func (c *Console) profilesPage(w http.ResponseWriter, r *http.Request) {
	cfg := c.app.Config()
	d := profilesData{Path: filepath.Base(cfg.Path)}
	for _, p := range cfg.Profiles {
		n := 0
		for _, dc := range cfg.Devices {
			if dc.Profile == p.Name {
				n++
			}
		}
		d.Profiles = append(d.Profiles, profileRow{Name: p.Name, Preset: p.Preset, Hand: cfg.ProfileSetByHand(p.Name), Devices: n})
	}
	c.rd.Render(w, r, web.View{Page: "profiles", Nav: "profiles", Data: d})
}

// option is one choice of a select or a switch.
type option struct {
	Value, Label string
	On           bool
}

// appGroup is a group of the catalog's apps, as switches.
type appGroup struct {
	Label string
	Apps  []option
}

// scheduleRow is one window of the form ("bedtime", "homework").
type scheduleRow struct {
	Kind, Days, From, To string
}

// budgetRow is one daily budget of the form.
type budgetRow struct {
	Categories            string
	Minutes, WeekendMin   string
	CategoryChoices, Days []option
}

// dayLine is one day of the weekly view.
type dayLine struct {
	Day     string
	Windows []string
}

type profileData struct {
	Old        string // the name it is saved under; "" for a new profile
	Name       string
	Hand       bool // set in amane.toml: shown, not changed
	Path       string
	Presets    []option
	Categories []option
	Mandatory  string // the label of what no profile unblocks
	Groups     []appGroup
	Schedules  []scheduleRow
	Kinds      []option
	DayChoices []option
	Week       []dayLine
	Budgets    []budgetRow
	BudgetCats []option
	SafeSearch bool
	Allow      string
	Deny       string
}

func (c *Console) profilePage(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	var p policy.ProfileConfig
	if name != "" {
		i := slices.IndexFunc(c.app.Config().Profiles, func(p policy.ProfileConfig) bool { return p.Name == name })
		if i < 0 {
			http.Error(w, c.rd.Localizer(r).T("error.not_found"), http.StatusNotFound)
			return
		}
		p = c.app.Config().Profiles[i]
	} else {
		p = policy.ProfileConfig{Preset: "9-12"}
	}
	c.renderProfile(w, r, 0, nil, name, p)
}

func (c *Console) renderProfile(w http.ResponseWriter, r *http.Request, status int, errs web.FieldErrors, old string, p policy.ProfileConfig) {
	c.rd.Render(w, r, web.View{Page: "profile", Nav: "profiles", Status: status, Errors: errs, Data: c.profileView(r, old, p)})
}

func (c *Console) profileView(r *http.Request, old string, p policy.ProfileConfig) profileData {
	cfg, lg, loc := c.app.Config(), lang(r), c.rd.Localizer(r)
	d := profileData{Old: old, Name: p.Name, Hand: old != "" && cfg.ProfileSetByHand(old), Path: filepath.Base(cfg.Path),
		Allow: strings.Join(p.Allow, "\n"), Deny: strings.Join(p.Deny, "\n"), Mandatory: blocklist.Abuse.Label(lg)}
	d.SafeSearch = p.SafeSearch == nil && p.Preset != "adult" && p.Preset != "" || p.SafeSearch != nil && p.SafeSearch.On()
	d.Presets = append(d.Presets, option{"", loc.T("profile.preset_none"), p.Preset == ""})
	for _, ps := range policy.Presets() {
		d.Presets = append(d.Presets, option{ps, loc.T("preset." + ps), p.Preset == ps})
	}
	blocked := effective(p)
	for ct := blocklist.Category(0); ct < blocklist.NumCategories; ct++ {
		if ct == blocklist.Abuse {
			continue
		}
		d.Categories = append(d.Categories, option{ct.String(), ct.Label(lg), blocked.Has(ct)})
	}
	for _, g := range catalog.Groups() {
		ag := appGroup{Label: catalog.GroupName(g, lg)}
		for _, s := range catalog.InGroup(g) {
			ag.Apps = append(ag.Apps, option{s.ID, s.Name(lg), slices.Contains(p.BlockServices, s.ID)})
		}
		d.Groups = append(d.Groups, ag)
	}
	for _, k := range []string{"", "bedtime", "homework"} {
		d.Kinds = append(d.Kinds, option{Value: k, Label: loc.T("schedule.kind_" + kindName(k))})
	}
	dayChoices := []string{"all", "weekdays", "weekend"}
	for _, s := range p.Schedules {
		row := scheduleRow{Kind: "homework", Days: strings.Join(s.Days, ","), From: s.From, To: s.To}
		if s.Block.All {
			row.Kind = "bedtime"
		}
		if !slices.Contains(dayChoices, row.Days) {
			dayChoices = append(dayChoices, row.Days)
		}
		d.Schedules = append(d.Schedules, row)
	}
	// Room for one more: a bedtime, once its times are filled in.
	d.Schedules = append(d.Schedules, scheduleRow{Kind: "bedtime", Days: "all"})
	for _, dc := range dayChoices {
		d.DayChoices = append(d.DayChoices, option{Value: dc, Label: daysLabel(loc, dc)})
	}
	d.Week = week(loc, p.Schedules)
	budgetCats := []string{"games", "video", "social", "chat"}
	for _, b := range p.Budgets {
		v := strings.Join(b.Categories, ",")
		if !slices.Contains(budgetCats, v) {
			budgetCats = append(budgetCats, v)
		}
		d.Budgets = append(d.Budgets, budgetRow{Categories: v, Minutes: strconv.Itoa(b.Minutes), WeekendMin: strconv.Itoa(b.WeekendMinutes)})
	}
	d.Budgets = append(d.Budgets, budgetRow{})
	for _, bc := range budgetCats {
		d.BudgetCats = append(d.BudgetCats, option{Value: bc, Label: labels(categoriesOf(strings.Split(bc, ",")), nil, lg)})
	}
	return d
}

func kindName(k string) string {
	if k == "" {
		return "none"
	}
	return k
}

// daysLabel words a schedule's days: "Every day", "Mon, Wed".
func daysLabel(loc *web.Localizer, days string) string {
	switch days {
	case "all", "weekdays", "weekend":
		return loc.T("days." + days)
	}
	var out []string
	for _, d := range strings.Split(days, ",") {
		out = append(out, loc.T("days."+d))
	}
	return strings.Join(out, ", ")
}

var dayNumbers = map[string][]time.Weekday{
	"sun": {0}, "mon": {1}, "tue": {2}, "wed": {3}, "thu": {4}, "fri": {5}, "sat": {6},
	"weekdays": {1, 2, 3, 4, 5}, "weekend": {6, 0}, "all": {1, 2, 3, 4, 5, 6, 0},
}

// week is the weekly view: for each day from Monday, the windows that
// start on it, as a parent reads them ("21:00–07:00 Bedtime").
func week(loc *web.Localizer, ss []policy.ScheduleConfig) []dayLine {
	var out []dayLine
	for _, wd := range []time.Weekday{1, 2, 3, 4, 5, 6, 0} {
		line := dayLine{Day: loc.Weekday(wd)}
		for _, s := range ss {
			on := false
			for _, d := range s.Days {
				on = on || slices.Contains(dayNumbers[d], wd)
			}
			if !on {
				continue
			}
			kind := "homework"
			if s.Block.All {
				kind = "bedtime"
			}
			line.Windows = append(line.Windows, fmt.Sprintf("%s–%s %s", s.From, s.To, loc.T("schedule.kind_"+kind)))
		}
		out = append(out, line)
	}
	return out
}

// effective is what a profile blocks: its preset's, plus block, less unblock.
func effective(p policy.ProfileConfig) blocklist.Categories {
	cats := policy.PresetBlocks(p.Preset) | categoriesOf(p.Block)
	return cats &^ categoriesOf(p.Unblock)
}

// profileForm reads the Profiles form into a profile: the switches become
// the preset's difference (block, unblock), each window and budget a row.
func profileForm(r *http.Request, base policy.ProfileConfig) policy.ProfileConfig {
	r.ParseForm()
	f := r.PostForm
	p := base // keeps what the form does not show (age band)
	p.Name = strings.TrimSpace(f.Get("profile.name"))
	p.Preset = f.Get("profile.preset")
	want := categoriesOf(f["profile.block"])
	preset := policy.PresetBlocks(p.Preset)
	p.Block, p.Unblock = ids(want&^preset), ids(preset&^want&^blocklist.CategoriesOf(blocklist.Abuse))
	p.BlockServices = f["profile.block_services"]
	p.Schedules = nil
	for i := 0; f.Has(fmt.Sprintf("profile.schedule[%d].kind", i)); i++ {
		k := fmt.Sprintf("profile.schedule[%d].", i)
		s := policy.ScheduleConfig{Days: strings.Split(f.Get(k+"days"), ","), From: f.Get(k + "from"), To: f.Get(k + "to")}
		if s.From == "" && s.To == "" {
			continue // the spare row, left empty
		}
		switch f.Get(k + "kind") {
		case "bedtime":
			s.Block.All = true
		case "homework":
			s.Block.Categories = homeworkCats
		default:
			continue // an empty row: no window
		}
		s.BlockServices = keptServices(base.Schedules, s)
		p.Schedules = append(p.Schedules, s)
	}
	p.Budgets = nil
	for i := 0; f.Has(fmt.Sprintf("profile.budget[%d].minutes", i)); i++ {
		k := fmt.Sprintf("profile.budget[%d].", i)
		if strings.TrimSpace(f.Get(k+"minutes")) == "" {
			continue
		}
		m, _ := strconv.Atoi(f.Get(k + "minutes"))
		wm, _ := strconv.Atoi(f.Get(k + "weekend_minutes"))
		b := policy.BudgetConfig{Categories: strings.Split(f.Get(k+"categories"), ","), Minutes: m, WeekendMinutes: wm}
		for _, old := range base.Budgets { // keep the apps the form does not show
			if slices.Equal(old.Categories, b.Categories) {
				b.Services = old.Services
			}
		}
		p.Budgets = append(p.Budgets, b)
	}
	ss := policy.SafeSearch()
	if f.Get("profile.safe_search") != "" {
		ss = policy.SafeSearch("all")
	}
	p.SafeSearch = &ss
	p.Allow, p.Deny = lines(f.Get("profile.allow")), lines(f.Get("profile.deny"))
	return p
}

// keptServices are the apps blocked in the window of base that s
// replaces (same days and hours): the form does not show them, and a save
// must not lose what console.toml says.
func keptServices(base []policy.ScheduleConfig, s policy.ScheduleConfig) []string {
	for _, old := range base {
		if slices.Equal(old.Days, s.Days) && old.From == s.From && old.To == s.To {
			return old.BlockServices
		}
	}
	return nil
}

func ids(cats blocklist.Categories) []string {
	var out []string
	for _, c := range cats.List() {
		out = append(out, c.String())
	}
	return out
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' }) {
		out = append(out, l)
	}
	return out
}

func (c *Console) profilePost(w http.ResponseWriter, r *http.Request) {
	old := r.PostFormValue("old")
	base, _ := c.app.ConsoleProfile(old)
	p := profileForm(r, base)
	if err := c.app.SetProfile(old, p); err != nil {
		c.renderProfile(w, r, http.StatusUnprocessableEntity, web.Fields(err), old, p)
		return
	}
	http.Redirect(w, r, c.router.URL("profile")+"?name="+urlQuery(p.Name)+"&saved=1", http.StatusSeeOther)
}
