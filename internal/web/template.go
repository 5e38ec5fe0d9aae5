package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
)

//go:embed templates/*.html
var baseTemplates embed.FS

// NavItem is one entry of a console's main menu.
type NavItem struct {
	Route string // route name, as given to Router.Handle
	Label string // catalog key: "nav.home"
}

// RendererConfig is what a console gives NewRenderer.
type RendererConfig struct {
	Catalogs *Catalogs                                  // never nil
	Assets   *Assets                                    // never nil
	Pages    fs.FS                                      // the console's *.html: each page defines "title" and "content"; files named _*.html are partials every page sees
	URL      func(name string, params ...string) string // route names to paths: Router.URL
	Home     string                                     // route name the brand links to ("home"); "" for no link (the block page)
	Nav      []NavItem                                  // the menu a signed-in visitor sees
	Logout   string                                     // route name of the POST that ends a session; "" for none
	Log      *slog.Logger                               // where a failed render is told; nil for slog.Default()
}

// Renderer renders a console's pages inside the shared layout, in the
// language of each request. Immutable after NewRenderer; safe for
// concurrent use.
type Renderer struct {
	cfg   RendererConfig
	pages map[Lang]map[string]*template.Template // language → page name ("home") → layout + partials + page
}

// NewRenderer parses every page of cfg.Pages with the layout, once per
// language, each set with its language's func map: html/template escapes
// a template on its first execution, and doing that per request (a clone
// to bind the request's language) cost 4 ms a page. A template that does
// not parse is an error here, not at the first visit.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	rd := &Renderer{cfg: cfg, pages: map[Lang]map[string]*template.Template{}}
	for _, l := range Langs {
		pages, err := rd.parse(cfg.Catalogs.For(l))
		if err != nil {
			return nil, err
		}
		rd.pages[l] = pages
	}
	return rd, nil
}

func (rd *Renderer) parse(loc *Localizer) (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(rd.funcs(loc)).ParseFS(baseTemplates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	partials, _ := fs.Glob(rd.cfg.Pages, "_*.html")
	if len(partials) > 0 {
		if base, err = base.ParseFS(rd.cfg.Pages, partials...); err != nil {
			return nil, fmt.Errorf("parsing partials: %w", err)
		}
	}
	files, err := fs.Glob(rd.cfg.Pages, "*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(rd.cfg.Pages, f)
		if err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", f, err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}

// View is what a handler asks the Renderer to show.
type View struct {
	Page   string      // page name: the file name without .html
	Status int         // 0 is 200
	Data   any         // the page's own data, as .Data in the template
	Errors FieldErrors // problems to show next to their fields; nil for none
	Nav    string      // route name of the menu entry to mark current
}

// page is the dot of the layout and of every page template ($ inside a
// range).
type page struct {
	Data   any
	Errors FieldErrors
	CSRF   string // the session's token; "" without a session
	Nav    []navLink
	Logout string
	Home   string
	Langs  []langLink
	loc    *Localizer
}

// Field builds what the layout's "field" template draws, with the field's
// error from the page's Errors:
// {{ template "field" ($.Field "password" "login.password" "password" "" "required" "autocomplete=current-password") }}.
func (p page) Field(name, labelKey, typ string, value any, opts ...string) Field {
	f := Field{ID: FieldID(name), Name: name, Label: p.loc.T(labelKey), Type: typ, Value: value, Error: p.Errors.For(name)}
	for _, o := range opts {
		switch k, v, _ := strings.Cut(o, "="); k {
		case "required":
			f.Required = true
		case "autocomplete":
			f.Autocomplete = v
		}
	}
	return f
}

type navLink struct {
	NavItem
	Current bool
}

type langLink struct {
	Lang    Lang
	Name    string
	URL     string
	Current bool
}

// Render writes v's page in r's language (Negotiate); it sets no cookie
// (RememberLang does, for the consoles). The menu and the
// CSRF token are shown only to a request that carries a session
// (SessionFrom). The page is rendered into a buffer first, so a template
// error is a clean 500, never half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, v View) {
	lang := Negotiate(r)
	loc := rd.cfg.Catalogs.For(lang)
	sess := SessionFrom(r.Context())
	p := page{Data: v.Data, Errors: v.Errors, Home: rd.cfg.Home, Langs: langLinks(r, lang), loc: loc}
	if sess != nil {
		p.CSRF = sess.CSRF
		p.Logout = rd.cfg.Logout
		for _, n := range rd.cfg.Nav {
			p.Nav = append(p.Nav, navLink{n, n.Route == v.Nav})
		}
	}
	t, ok := rd.pages[loc.Lang()][v.Page]
	var buf bytes.Buffer
	err := fmt.Errorf("no page %q", v.Page)
	if ok {
		err = t.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		rd.cfg.Log.Error("rendering a page", "page", v.Page, "err", err)
		http.Error(w, loc.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(lang))
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Localizer returns the Localizer of r's language (Negotiate), for a
// handler that words a problem before it renders or answers.
func (rd *Renderer) Localizer(r *http.Request) *Localizer {
	return rd.cfg.Catalogs.For(Negotiate(r))
}

func langLinks(r *http.Request, cur Lang) []langLink {
	out := make([]langLink, 0, len(Langs))
	for _, l := range Langs {
		q := r.URL.Query()
		q.Set("lang", string(l))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		out = append(out, langLink{Lang: l, Name: l.Name(), URL: u.String(), Current: l == cur})
	}
	return out
}

// funcs is the template func map of loc's language. What depends on the
// request (the CSRF token, the errors) is on the page instead: $.CSRF,
// $.Field.
func (rd *Renderer) funcs(loc *Localizer) template.FuncMap {
	return template.FuncMap{
		"t":         loc.T,
		"plural":    loc.Plural,
		"clock":     loc.Clock,
		"until":     loc.Until,
		"weekday":   loc.Weekday,
		"number":    loc.Number,
		"duration":  loc.Duration,
		"lang":      loc.Lang,
		"dir":       loc.lang.Dir,
		"route":     func(name string, params ...string) string { return rd.cfg.URL(name, params...) },
		"asset":     func(name string) string { return rd.cfg.Assets.URL(name) },
		"csrfField": func() string { return CSRFField },
		"fieldID":   FieldID,
	}
}

// Field is what the layout's "field" template draws: a label, an input,
// and the field's error beside it, tied by aria-describedby.
type Field struct {
	ID, Name, Label, Type string
	Value                 any
	Error                 string
	Required              bool
	Autocomplete          string
}

// FieldID turns a field's key ("profile.schedule[0].from") into an HTML id
// ("f-profile-schedule-0-from") that a summary can link to.
func FieldID(key string) string {
	var b strings.Builder
	b.WriteString("f-")
	dash := false
	for _, c := range key {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
