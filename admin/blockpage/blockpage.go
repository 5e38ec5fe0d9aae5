package blockpage

import (
	"embed"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/policy"
)

//go:embed pages locales
var files embed.FS

// Page serves the block page. It is immutable after New and safe for
// concurrent use.
type Page struct {
	app    *appliance.Appliance
	rd     *web.Renderer
	assets *web.Assets
	now    func() time.Time
}

// New returns the block page of app. assets are the console's (the same
// stylesheet, served under the blocked name's Host).
func New(app *appliance.Appliance, assets *web.Assets, now func() time.Time) (*Page, error) {
	pages, _ := fs.Sub(files, "pages")
	locales, _ := fs.Sub(files, "locales")
	cats, err := web.NewCatalogs(locales)
	if err != nil {
		return nil, err
	}
	rd, err := web.NewRenderer(web.RendererConfig{Catalogs: cats, Assets: assets, Pages: pages,
		URL: func(string, ...string) string { return "/" }})
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Page{app: app, rd: rd, assets: assets, now: now}, nil
}

// Check parses and escapes the page in every language
// (web.Renderer.Check); New leaves that to the first visit in each.
func (p *Page) Check() error { return p.rd.Check() }

// view is what the page template shows.
type view struct {
	Site     string
	Reason   string // in the visitor's words; "" when nothing blocks the name now
	Asked    bool   // the child just asked a parent
	Notified bool   // and the parents' phones were told
	Contact  *contactView
}

type contactView struct {
	Name, Hours, Note   string
	Phone, WhatsApp     string
	PhoneTo, WhatsAppTo string // for the links: digits and a leading '+'
	WebChat, Web, Email string
}

// ServeHTTP answers any path under a blocked name: the page, the
// stylesheet it uses, and "ask a parent".
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, web.AssetPrefix) {
		p.assets.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the reason changes: bedtime ends
	// A blocked name over plain http is never a trustworthy origin, where
	// browsers ignore this header and say so in the console.
	w.Header().Del("Cross-Origin-Opener-Policy")
	site := siteOf(r.Host)
	client := web.ClientAddr(r)
	v := view{Site: site}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/ask":
		note := r.PostFormValue("note")
		v.Asked, v.Notified = true, p.app.AskParent(client, site, note)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	loc := p.rd.Localizer(r)
	if site != "" {
		v.Reason = p.reason(loc, policy.Client{Addr: client}, site)
	}
	v.Contact = contactIn(p.app.HelplineContact(), string(loc.Lang()))
	p.rd.Render(w, r, web.View{Page: "blocked", Status: http.StatusForbidden, Data: v})
}

// reason says, in the visitor's language, why site is blocked for client
// now, as explain would.
func (p *Page) reason(loc *web.Localizer, client policy.Client, site string) string {
	es := p.app.Explain(client, site)
	if len(es) == 0 || es[0].Invalid != "" {
		return ""
	}
	d, now := es[0].Decision, p.now()
	lang := string(loc.Lang())
	until := loc.Until(now.Add(d.TTLCap), now)
	switch {
	case d.Action != policy.Block:
		return loc.T("reason.not_now")
	case d.Mandatory:
		return loc.T("reason.mandatory")
	case d.Why == policy.ByPause:
		return loc.T("reason.pause", until)
	case d.Why == policy.BySchedule:
		return loc.T("reason.bedtime", until)
	case d.Why == policy.ByService:
		return loc.T("reason.app", appName(d, lang))
	case d.Why == policy.ByBudget && d.Service != 0 && d.Categories == 0:
		return loc.T("reason.budget", appName(d, lang))
	case d.Why == policy.ByBudget:
		return loc.T("reason.budget", labels(d, lang))
	case d.Why == policy.ByDeny:
		return loc.T("reason.deny")
	case d.Why == policy.ByBypass:
		return loc.T("reason.bypass")
	}
	// No "until" here: the answer's TTL cap is the next schedule
	// boundary, which says nothing of when this category opens.
	return loc.T("reason.category", labels(d, lang))
}

func appName(d policy.Decision, lang string) string {
	if s, ok := catalog.ByID(d.ServiceID()); ok {
		return s.Name(lang)
	}
	return d.ServiceID()
}

// labels names the decision's categories in lang.
func labels(d policy.Decision, lang string) string {
	var out []string
	for _, c := range d.Categories.List() {
		out = append(out, c.Label(lang))
	}
	sep := ", "
	if lang == "ar" {
		sep = "، "
	}
	return strings.Join(out, sep)
}

// siteOf is the name asked for, from the Host header.
func siteOf(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// contactIn picks c's texts in lang, falling back to French, then English,
// then any.
func contactIn(c *feed.Contact, lang string) *contactView {
	if c == nil {
		return nil
	}
	pick := func(m feed.Localized) string {
		for _, l := range []string{lang, "fr", "en"} {
			if s := m[l]; s != "" {
				return s
			}
		}
		for _, s := range m {
			return s
		}
		return ""
	}
	v := &contactView{Name: pick(c.Name), Hours: pick(c.Hours), Note: pick(c.Note), Phone: c.Phone,
		WhatsApp: c.WhatsApp, WebChat: c.WebChat, Web: c.Web, Email: c.Email}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, s)
	}
	v.PhoneTo = digits(c.Phone)
	if c.WhatsApp != "" {
		v.WhatsAppTo = "https://wa.me/" + strings.TrimPrefix(digits(c.WhatsApp), "+")
	}
	return v
}
